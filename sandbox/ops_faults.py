"""Faults of phases 5 and 7 (backup and GitOps).

There is no Velero or Argo CD controller in the sandbox: their objects carry the status those controllers write
(sandbox/platform.py), and a stand-in for Argo CD's application controller keeps the Applications' status
current (sandbox/gitops.py). A fault therefore writes what the controller would write when the thing breaks (a
bucket that stops answering, a backup that partly fails, an Application that drifts), or does what an
operator does (pause a schedule, deploy by hand). Their CRDs have no status subresource (``subresources: {}``),
so a merge patch of the object writes its status too.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from sandbox import kube, platform
from sandbox.fault import Fault, delete, merge_patch, restart, stop
from sandbox.layout import Layout

VELERO, ARGO = platform.BACKUP_NS, platform.GITOPS_NS
DRIFTED_APP, DRIFTED = "data-platform", ("Deployment", "data-platform", "superset")
FAILED_BACKUP, UNVALIDATED, GONE_NAMESPACE = "daily-platform-failed", "platform-all", "data-platform-old"
NARROWED = {"matchLabels": {"backup-tier": "legacy"}}
UNMANAGED = "debug-toolbox"
CONTROLLER = "argocd-controller"    # the stand-in for Argo CD's application controller (sandbox/gitops.py)


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


def _drift(on: bool) -> Callable[[Layout], None]:
    kind, namespace, name = DRIFTED
    resource = {"group": "apps", "version": "v1", "kind": kind, "namespace": namespace, "name": name,
                "status": "OutOfSync" if on else "Synced", "health": {"status": "Healthy"}}
    return merge_patch("application", ARGO, DRIFTED_APP, {"status": {
        "sync": {"status": "OutOfSync" if on else "Synced", "revision": platform.GIT_REVISION},
        "resources": [resource]}})


def _unmanaged(layout: Layout) -> None:
    labels = {"app": UNMANAGED}
    kube.apply(layout, [{"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": UNMANAGED, "namespace": "data-platform", "labels": labels},
                         "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                             "metadata": {"labels": labels},
                             "spec": platform.pod_spec(platform.container(
                                 UNMANAGED, "registry.local/254carbon/toolbox:1.0", "50m", "64Mi", 8080))}}}])


OPS_FAULTS = [
    Fault("backup-location-unavailable", "P5-BACKUP-LOCATION", "velero/default: the bucket stopped answering",
          _location(False), _location(True)),
    Fault("schedule-paused", "P5-BACKUP-SCHEDULE", "velero/daily-platform paused (velero schedule pause)",
          merge_patch("schedule", VELERO, "daily-platform", {"spec": {"paused": True}}),
          merge_patch("schedule", VELERO, "daily-platform", {"spec": {"paused": False}})),
    Fault("schedule-unvalidated", "P5-BACKUP-SCHEDULE", f"the platform's backups moved to velero/{UNVALIDATED}, "
          "which Velero never validated (no status); the old schedules narrowed by a label selector",
          _unvalidated(True), _unvalidated(False)),
    Fault("backup-failed", "P5-BACKUP-RECENT", "the daily schedule's newest backup PartiallyFailed with 3 errors",
          _failed_backup,
          delete("backup", VELERO, FAILED_BACKUP)),
    Fault("restore-stale", "P5-RESTORE-TEST", "the last restore test was 45 days ago",
          _restore_age(45), _restore_age(platform.RESTORE_DAYS_AGO)),
    Fault("restore-empty", "P5-RESTORE-TEST", f"the only recent restore test Completed with 0 items, from "
          f"namespace {GONE_NAMESPACE}, which does not exist",
          _empty_restore, _restore_age(platform.RESTORE_DAYS_AGO)),
    Fault("application-out-of-sync", "P7-SYNCED", f"argocd/{DRIFTED_APP}: {DRIFTED[0]} {DRIFTED[2]} drifted "
          "from git", _drift(True), _drift(False)),
    Fault("argocd-controller-stopped", "P7-SYNCED", "Argo CD's application controller stopped: every "
          "Application still says Synced and Healthy while its reconciledAt ages",
          stop(CONTROLLER), lambda layout: restart(layout, CONTROLLER)),
    Fault("unmanaged-workload", "P7-NO-DRIFT", f"data-platform/{UNMANAGED} deployed by hand, outside any "
          "Application", _unmanaged,
          delete("deployment", "data-platform", UNMANAGED)),
]
