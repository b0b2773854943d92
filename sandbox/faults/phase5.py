"""Faults of phase 5 (backup and restore).

There is no Velero controller in the sandbox: its objects carry the status Velero writes
(sandbox/manifests/platform.py). A fault therefore writes what Velero would write when the thing breaks (a bucket
that stops answering, a backup that partly fails), or does what an operator does (pause a schedule). Velero's CRDs
have no status subresource (``subresources: {}``), so a merge patch of the object writes its status too. The
database's own backup is a real CronJob whose Jobs kwok runs.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable

from sandbox.faults.fault import Expect, Fault, delete, merge_patch
from sandbox.manifests import infrastructure, platform
from sandbox.run import kube
from sandbox.run.layout import Layout

VELERO = platform.BACKUP_NS
FAILED_BACKUP, UNVALIDATED, GONE_NAMESPACE = "daily-platform-failed", "platform-all", "data-platform-old"
NARROWED = {"matchLabels": {"backup-tier": "legacy"}}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _location(available: bool) -> Callable[[Layout], None]:
    def act(layout: Layout) -> None:
        status = {"phase": "Available", "lastValidationTime": platform.stamp(_now()), "message": None} if available \
            else {"phase": "Unavailable", "message": "BackupStorageLocation \"default\" is unavailable: rpc error: "
                                                     "NoSuchBucket: The specified bucket does not exist"}
        merge_patch("backupstoragelocation", VELERO, "default", {"status": status})(layout)
    return act


def _failed_backup(layout: Layout) -> None:
    started = _now() - dt.timedelta(minutes=12)       # it has just finished, as the daily schedule's newest backup
    kube.apply(layout, [platform.backup("daily-platform", started, phase="PartiallyFailed", errors=3, warnings=1,
                                        name=FAILED_BACKUP)])


def _restore_age(days: float) -> Callable[[Layout], None]:
    return lambda layout: kube.apply(layout, [platform.restore(_now(), days_ago=days)])


def _empty_restore(layout: Layout) -> None:
    """The restore test still points at a namespace that was renamed: Velero completes it, restoring nothing
    (``progress: {}``). Each restore test is a new Restore; applied over the old one, the API server would turn
    the emptied progress into null."""
    delete("restore", VELERO, platform.RESTORE_TEST)(layout)
    kube.apply(layout, [platform.restore(_now(), namespace=GONE_NAMESPACE, items=0)])


def _unvalidated(on: bool) -> Callable[[Layout], None]:
    """The platform's backups moved to a new Schedule Velero never validated (it has no status), the old
    schedules narrowed to objects labelled for a tier nothing carries any more."""
    def act(layout: Layout) -> None:
        if on:
            kube.apply(layout, [platform.schedule(UNVALIDATED, _now(), validated=False)])
        for name in platform.SCHEDULES:
            merge_patch("schedule", VELERO, name, {"spec": {"template": {
                "labelSelector": NARROWED if on else None}}})(layout)
        if not on:
            delete("schedule", VELERO, UNVALIDATED)(layout)
    return act


BACKUP_POOL = "sandbox.platform-readiness.io/backup-pool"


def _backup_pool(present: bool) -> Callable[[Layout], None]:
    """The backup Jobs pinned to a node pool that no longer exists: each new Job waits, then fails its deadline."""
    path = f"/spec/jobTemplate/spec/template/spec/nodeSelector/{BACKUP_POOL.replace('/', '~1')}"
    ops = [{"op": "remove", "path": path}] if present else [{"op": "add", "path": path, "value": "true"}]
    return lambda layout: kube.kubectl(layout, "-n", "data-platform", "patch", "cronjob", infrastructure.DB_BACKUP,
                                       "--type=json", "-p", json.dumps(ops), check=not present)


FAULTS = [
    Fault("backup-location-unavailable", "P5-BACKUP-LOCATION", "velero/default: the bucket stopped answering",
          _location(False), _location(True),
          Expect("backupstoragelocation velero/default: phase Unavailable", 30)),
    Fault("schedule-paused", "P5-BACKUP-SCHEDULE", "velero/daily-platform paused (velero schedule pause)",
          merge_patch("schedule", VELERO, "daily-platform", {"spec": {"paused": True}}),
          merge_patch("schedule", VELERO, "daily-platform", {"spec": {"paused": False}}),
          Expect("schedule velero/daily-platform: paused", 30)),
    Fault("schedule-unvalidated", "P5-BACKUP-SCHEDULE", f"the platform's backups moved to velero/{UNVALIDATED}, "
          "which Velero never validated (no status); the old schedules narrowed by a label selector",
          _unvalidated(True), _unvalidated(False),
          Expect("schedule velero/platform-all: never validated by Velero (no status.phase)", 30)),
    Fault("backup-failed", "P5-BACKUP-RECENT", "the daily schedule's newest backup PartiallyFailed with 3 errors",
          _failed_backup,
          delete("backup", VELERO, FAILED_BACKUP),
          Expect("backup velero/daily-platform-failed (schedule daily-platform): PartiallyFailed, 3 errors", 30)),
    Fault("restore-stale", "P5-RESTORE-TEST", "the last restore test was 45 days ago",
          _restore_age(45), _restore_age(platform.RESTORE_DAYS_AGO),
          Expect("the last completed restore from a scheduled backup was 45.0d ago", 30)),
    Fault("restore-empty", "P5-RESTORE-TEST", f"the only recent restore test Completed with 0 items, from "
          f"namespace {GONE_NAMESPACE}, which does not exist",
          _empty_restore, _restore_age(platform.RESTORE_DAYS_AGO),
          Expect("restore velero/restore-test-daily-platform: Completed with 0 items restored", 30)),
    Fault("db-backup-failing", "P5-DB-BACKUP", f"data-platform/{infrastructure.DB_BACKUP}: its Jobs pinned to a "
          "node pool that is gone, so each fails its deadline", _backup_pool(False), _backup_pool(True),
          Expect("failed (DeadlineExceeded", 150)),
]
