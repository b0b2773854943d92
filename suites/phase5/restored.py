"""Whether a restore test's objects are where it put them.

Velero creates every object it restores without the owner references, creation time and status it had
(restore.go ``resetMetadataAndStatus``), labelled with the restore's and the backup's names (``addRestoreLabels``;
a name longer than 63 characters is cut to 57 and the first 6 hex digits of its SHA-256, pkg/label
``GetValidName``). An object it skipped because it already existed is not relabelled (unless the restore's
``existingResourcePolicy`` is ``update``), nor is one made by someone else. So a copy counts when it carries
both labels, is not being deleted, and was created while the restore ran: after the Restore object (the API
server's clock for both) and before it completed (Velero's clock, so with the usual skew). The namespace a
restore mapped a platform namespace to must hold such a copy of every object of the kinds below that the
platform namespace held when the backup was taken (created before the backup started, not being deleted then,
not labelled to be left out of backups: those the backup's own checks judge).
"""
from __future__ import annotations

import datetime as dt
import hashlib

from readiness.timing import parse
from suites.phase5.velero import CLOCK_SKEW_S, EXCLUDE_LABEL, Cluster, Lister

RESTORE_NAME_LABEL = "velero.io/restore-name"
BACKUP_NAME_LABEL = "velero.io/backup-name"
# snapshot kind -> (kind shown, Velero's resource name)
RESTORED_KINDS = {"deployments": ("Deployment", "deployments.apps"),
                  "statefulsets": ("StatefulSet", "statefulsets.apps"),
                  "daemonsets": ("DaemonSet", "daemonsets.apps"), "cronjobs": ("CronJob", "cronjobs.batch"),
                  "services": ("Service", "services"),
                  "persistentvolumeclaims": ("PersistentVolumeClaim", "persistentvolumeclaims")}
LABEL_MAX = 63
SHOWN = 5


def label_value(name: str) -> str:
    """The label value Velero writes for ``name`` (label.GetValidName)."""
    if len(name) <= LABEL_MAX:
        return name
    return name[:LABEL_MAX - 6] + hashlib.sha256(name.encode()).hexdigest()[:6]


def _takes_resource(spec: dict, resource: str) -> bool:
    """Whether a backup or restore spec's resource filters let ``resource`` through (other checks judge a
    narrowed one)."""
    names = {resource, resource.split(".")[0]}
    included = [r.lower() for r in spec.get("includedResources") or []]
    excluded = {r.lower() for r in spec.get("excludedResources") or []}
    return not (names & excluded) and (not included or "*" in included or bool(names & set(included)))


class Copies:
    """What tells a restore's own copies from other objects."""

    def __init__(self, restore: dict):
        spec, status = restore.get("spec") or {}, restore.get("status") or {}
        self.labels = {RESTORE_NAME_LABEL: label_value(restore["metadata"]["name"]),
                       BACKUP_NAME_LABEL: label_value(spec.get("backupName") or "")}
        self.requested = parse(restore["metadata"].get("creationTimestamp"))
        completed = parse(status.get("completionTimestamp"))
        self.until = completed + dt.timedelta(seconds=CLOCK_SKEW_S) if completed else None

    def made(self, obj: dict) -> bool:
        meta = obj["metadata"]
        labels, created = meta.get("labels") or {}, parse(meta.get("creationTimestamp"))
        return (all(labels.get(key) == value for key, value in self.labels.items())
                and not meta.get("deletionTimestamp") and created is not None
                and (self.requested is None or created >= self.requested)
                and (self.until is None or created <= self.until))

    def shown(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.labels.items())


def _listed(objects: Lister, specs: list[dict], namespace: str):
    for kind, (shown_kind, resource) in RESTORED_KINDS.items():
        if all(_takes_resource(spec, resource) for spec in specs):
            yield shown_kind, kind, objects(kind, namespace)


def _missing(expected: list[str], missing: list[str], namespace: str, target: str, copies: Copies, when: str) -> str:
    more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
    return (f"{len(missing)} of the {len(expected)} objects {namespace} held {when} are not in {target} as "
            f"restored by it ({copies.shown()}, created while it ran): {', '.join(missing[:SHOWN])}{more}")


def missing_copies(objects: Lister, restore: dict, namespace: str, target: str, backup: dict | None,
                   target_there: bool) -> str | None:
    """Why the restore's copies of ``namespace`` cannot be seen whole in ``target`` (None when they can).
    ``backup`` is the restore's backup (None when Velero no longer has it: the restore's start bounds its time
    then)."""
    if not target_there:
        return (f"restored {namespace} into {target}, which no longer exists or is being deleted: the restored "
                "objects cannot be seen (keep the drill's namespace until the next drill Completed)")
    copies = Copies(restore)
    specs = [restore.get("spec") or {}] + ([backup.get("spec") or {}] if backup else [])
    if target == namespace:
        # In place, into the namespace recreated when the restore ran: everything it held by the time the restore
        # completed must be the restore's own (what was there already, Velero skipped).
        expected, missing = [], []
        for shown_kind, _, listed in _listed(objects, specs, target):
            for obj in listed:
                meta, created = obj["metadata"], parse(obj["metadata"].get("creationTimestamp"))
                if meta.get("deletionTimestamp") or (copies.until and created and created > copies.until):
                    continue
                expected.append(f"{shown_kind} {meta['name']}")
                if not copies.made(obj):
                    missing.append(expected[-1])
        if not expected:
            return f"{namespace} holds no object the restore made ({copies.shown()})"
        return _missing(expected, missing, namespace, target, copies, "when the restore completed") if missing \
            else None
    started = (backup.get("status") or {}).get("startTimestamp") if backup else None
    taken = parse(started) or parse((restore.get("status") or {}).get("startTimestamp"))
    if taken is None:
        return f"no start time known for its backup or itself: which objects {namespace} held then is unknown"
    expected, missing = [], []
    for shown_kind, kind, listed in _listed(objects, specs, namespace):
        made = {o["metadata"]["name"] for o in objects(kind, target) if copies.made(o)}
        for obj in listed:
            meta, created = obj["metadata"], parse(obj["metadata"].get("creationTimestamp"))
            if (meta.get("labels") or {}).get(EXCLUDE_LABEL) == "true" or (created and created >= taken) \
                    or (meta.get("deletionTimestamp") and parse(meta["deletionTimestamp"]) <= taken):
                continue
            expected.append(f"{shown_kind} {meta['name']}")
            if meta["name"] not in made:
                missing.append(expected[-1])
    if not expected:
        return f"{namespace} held none of the objects a restore test looks for when its backup was taken"
    return _missing(expected, missing, namespace, target, copies, "when its backup was taken") if missing else None


def copies_missing(cluster: Cluster, restore: dict, backup: dict | None, namespace: str) -> str | None:
    """``missing_copies`` for the namespace the restore mapped ``namespace`` to, as the cluster holds it now."""
    target = ((restore.get("spec") or {}).get("namespaceMapping") or {}).get(namespace) or namespace
    there = target in cluster.namespace_labels and target not in cluster.terminating
    return missing_copies(cluster.objects, restore, namespace, target, backup, there)
