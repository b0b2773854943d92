"""Faults of phase 5 (backup and restore), through the real components.

Velero, its AWS plugin and SeaweedFS's S3 gateway run in the sandbox (sandbox/services/backups.py): a fault stops
one of them, rotates a key, pauses a schedule or adds a hook that fails, and Velero writes what follows. The
database's own backup is a real CronJob whose Jobs kwok runs.
"""
from __future__ import annotations

import json
from typing import Callable

from sandbox.faults.fault import Expect, Fault, Step, delete, merge_patch, start, stop
from sandbox.manifests import infrastructure, platform
from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.services import backups

VELERO = platform.BACKUP_NS
UNVALIDATED = "platform-all"
NARROWED = {"matchLabels": {"backup-tier": "legacy"}}
HOOKED = ("data-platform", "app=postgresql")        # the pods a pre-backup hook is added to
HOOK = {"pre.hook.backup.velero.io/container": "postgresql",
        "pre.hook.backup.velero.io/command": '["/bin/sh", "-c", "psql -c CHECKPOINT"]',
        "pre.hook.backup.velero.io/on-error": "Fail"}


def _velero(*args: str) -> Step:
    return lambda layout: backups.velero(layout, *args)


def _store_back(layout: Layout) -> None:
    """Start the object store again and wait for Velero to find the location Available."""
    start("seaweedfs")(layout)
    kube.wait_for("Velero validated the location again", lambda: backups.location_phase(layout, "Available"),
                  backups.WAIT_S, 1)


def _key(access_key: str, secret_key: str) -> Step:
    def act(layout: Layout) -> None:
        backups.set_key(layout, access_key, secret_key)
    return act


def _hook(on: bool) -> Step:
    """A pre-backup hook on the database's pods whose command cannot run (kwok's pods run no process), then the
    daily schedule's next backup, which runs it."""
    def act(layout: Layout) -> None:
        namespace, selector = HOOKED
        values = [f"{key}={value}" for key, value in HOOK.items()] if on else [f"{key}-" for key in HOOK]
        kube.kubectl(layout, "-n", namespace, "annotate", "pods", "-l", selector, "--overwrite", *values)
        backups.back_up(layout, "daily-platform")
    return act


def _unvalidated(on: bool) -> Step:
    """Velero's server is down while the platform's backups move to a new Schedule (which it cannot validate) and
    the old schedules are narrowed to objects labelled for a tier nothing carries any more."""
    def act(layout: Layout) -> None:
        if on:
            stop("velero")(layout)
            kube.apply(layout, [{**platform.schedule("daily-platform"), "metadata": {"name": UNVALIDATED,
                                                                                   "namespace": VELERO}}])
        for name in platform.SCHEDULES:
            merge_patch("schedule", VELERO, name, {"spec": {"template": {
                "labelSelector": NARROWED if on else None}}})(layout)
        if not on:
            delete("schedule", VELERO, UNVALIDATED)(layout)
            start("velero")(layout)
    return act


def _restore_with_store_stopped(layout: Layout) -> None:
    stop("seaweedfs")(layout)
    backups.restore_drill(layout)


def _restore_again(layout: Layout) -> None:
    _store_back(layout)
    backups.restore_drill(layout)


def _drill_cleaned(layout: Layout) -> None:
    """A cleanup job deletes the workloads of the newest drill's namespace, leaving its services and claims."""
    newest = max(backups.scratch_namespaces(layout))
    kube.kubectl(layout, "-n", newest, "delete", "deployments,statefulsets", "--all", "--wait=false")


BACKUP_POOL = "sandbox.platform-readiness.io/backup-pool"


def _backup_pool(present: bool) -> Callable[[Layout], None]:
    """The backup Jobs pinned to a node pool that no longer exists: each new Job waits, then fails its deadline."""
    path = f"/spec/jobTemplate/spec/template/spec/nodeSelector/{BACKUP_POOL.replace('/', '~1')}"
    ops = [{"op": "remove", "path": path}] if present else [{"op": "add", "path": path, "value": "true"}]
    return lambda layout: kube.kubectl(layout, "-n", "data-platform", "patch", "cronjob", infrastructure.DB_BACKUP,
                                       "--type=json", "-p", json.dumps(ops), check=not present)


LOCATION_DOWN = Expect("backupstoragelocation velero/default: phase Unavailable", 60)

FAULTS = [
    Fault("backup-store-stopped", "P5-BACKUP-LOCATION", "SeaweedFS, the object store behind velero/default, stopped",
          stop("seaweedfs"), _store_back, LOCATION_DOWN),
    Fault("backup-key-rotated", "P5-BACKUP-LOCATION", "the bucket's key rotated in SeaweedFS, Velero's "
          f"credentials (Secret velero/{platform.CLOUD_CREDENTIALS}) not updated",
          _key(backups.ROTATED_KEY, backups.ROTATED_SECRET), _key(backups.ACCESS_KEY, backups.SECRET_KEY),
          LOCATION_DOWN),
    Fault("schedule-paused", "P5-BACKUP-SCHEDULE", "velero schedule pause daily-platform",
          _velero("schedule", "pause", "daily-platform"), _velero("schedule", "unpause", "daily-platform"),
          Expect("schedule velero/daily-platform: paused", 30)),
    Fault("schedule-unvalidated", "P5-BACKUP-SCHEDULE", f"Velero's server down while the platform's backups move "
          f"to velero/{UNVALIDATED}; the old schedules narrowed by a label selector",
          _unvalidated(True), _unvalidated(False),
          Expect(f"schedule velero/{UNVALIDATED}: never validated by Velero (no status.phase)", 30)),
    Fault("backup-hook-failing", "P5-BACKUP-RECENT", "a pre-backup hook on data-platform's postgresql pods fails, "
          "and the daily schedule's next backup runs it", _hook(True), _hook(False),
          Expect("(schedule daily-platform): PartiallyFailed", 30)),
    Fault("restore-store-stopped", "P5-RESTORE-TEST", "the object store stopped, then the restore drill ran",
          _restore_with_store_stopped, _restore_again, Expect("restores fail now", 30)),
    Fault("restore-copies-deleted", "P5-RESTORE-TEST", "the restore drill's workloads deleted from its namespace "
          "(a cleanup job), its services left", _drill_cleaned, lambda layout: backups.restore_drill(layout),
          Expect("as restored by it (velero.io/restore-name=", 30)),
    Fault("db-backup-failing", "P5-DB-BACKUP", f"data-platform/{infrastructure.DB_BACKUP}: its Jobs pinned to a "
          "node pool that is gone, so each fails its deadline", _backup_pool(False), _backup_pool(True),
          Expect("failed (DeadlineExceeded", 150)),
]
