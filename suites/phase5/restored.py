"""Whether a restore test's objects are where it put them.

Velero labels every object it creates with the restore's and the backup's names (pkg/restore/restore.go,
``addRestoreLabels``; a name longer than 63 characters is cut to 57 and the first 6 hex digits of its SHA-256,
pkg/label ``GetValidName``). An object it skipped because it already existed does not get the label, nor does one
made since by someone else. So the namespace a restore mapped a platform namespace to must hold, labelled with
that restore's name, a copy of every top-level object of the kinds below that the platform namespace held when
the backup was taken (created before the backup started; objects with an owner are recreated by their owner,
and objects labelled to be left out of backups are judged by the backup's own checks).
"""
from __future__ import annotations

import hashlib
from typing import Callable

from readiness.timing import parse

RESTORE_NAME_LABEL = "velero.io/restore-name"
EXCLUDE_LABEL = "velero.io/exclude-from-backup"
# snapshot kind -> (kind shown, Velero's resource name)
RESTORED_KINDS = {"deployments": ("Deployment", "deployments.apps"),
                  "statefulsets": ("StatefulSet", "statefulsets.apps"),
                  "daemonsets": ("DaemonSet", "daemonsets.apps"), "cronjobs": ("CronJob", "cronjobs.batch"),
                  "services": ("Service", "services"),
                  "persistentvolumeclaims": ("PersistentVolumeClaim", "persistentvolumeclaims")}
LABEL_MAX = 63
SHOWN = 5

Lister = Callable[[str, str], list[dict]]      # (snapshot kind, namespace) -> objects


def label_value(name: str) -> str:
    """The label value Velero writes for ``name`` (label.GetValidName)."""
    if len(name) <= LABEL_MAX:
        return name
    return name[:LABEL_MAX - 6] + hashlib.sha256(name.encode()).hexdigest()[:6]


def _restores_resource(spec: dict, resource: str) -> bool:
    """Whether the restore's resource filters let ``resource`` through (other checks judge a narrowed restore)."""
    names = {resource, resource.split(".")[0]}
    included = [r.lower() for r in spec.get("includedResources") or []]
    excluded = {r.lower() for r in spec.get("excludedResources") or []}
    return not (names & excluded) and (not included or "*" in included or bool(names & set(included)))


def missing_copies(objects: Lister, restore: dict, namespace: str, target: str, backup_started: str | None,
                   target_there: bool) -> str | None:
    """Why the restore's copies of ``namespace`` cannot be seen whole in ``target`` (None when they can).
    ``backup_started`` is the backup's start (None when Velero no longer has the backup: the restore's start
    bounds it then)."""
    name = restore["metadata"]["name"]
    if not target_there:
        return (f"restored {namespace} into {target}, which no longer exists or is being deleted: the restored "
                "objects cannot be seen (keep the drill's namespace until the next drill Completed)")
    taken = parse(backup_started) or parse((restore.get("status") or {}).get("startTimestamp"))
    if taken is None:
        return f"no start time known for its backup or itself: which objects {namespace} held then is unknown"
    spec, wanted = restore.get("spec") or {}, label_value(name)
    if target == namespace:
        # In place, into the namespace recreated when the restore ran: what it holds now is what there is.
        if any((o["metadata"].get("labels") or {}).get(RESTORE_NAME_LABEL) == wanted
               for kind, (_, resource) in RESTORED_KINDS.items() if _restores_resource(spec, resource)
               for o in objects(kind, target)):
            return None
        return f"{namespace} holds no object labelled as restored by it ({RESTORE_NAME_LABEL}={wanted})"
    expected = missing = 0
    shown: list[str] = []
    for kind, (shown_kind, resource) in RESTORED_KINDS.items():
        if not _restores_resource(spec, resource):
            continue
        copies = {o["metadata"]["name"] for o in objects(kind, target)
                  if (o["metadata"].get("labels") or {}).get(RESTORE_NAME_LABEL) == wanted}
        for obj in objects(kind, namespace):
            meta = obj["metadata"]
            created = parse(meta.get("creationTimestamp"))
            if meta.get("ownerReferences") or (meta.get("labels") or {}).get(EXCLUDE_LABEL) == "true" \
                    or created is None or created >= taken:
                continue
            expected += 1
            if meta["name"] not in copies:
                missing += 1
                if len(shown) < SHOWN:
                    shown.append(f"{shown_kind} {meta['name']}")
    if not expected:
        return f"{namespace} held none of the objects a restore test looks for when its backup was taken"
    if not missing:
        return None
    more = f" and {missing - len(shown)} more" if missing > len(shown) else ""
    return (f"{missing} of the {expected} objects {namespace} held when its backup was taken are not in {target} "
            f"as restored by it (label {RESTORE_NAME_LABEL}={wanted}): {', '.join(shown)}{more}")
