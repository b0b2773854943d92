"""What Velero's objects mean, read as Velero v1.18 reads them (pkg/apis/velero/v1, pkg/util/collections,
pkg/util/wildcard, pkg/controller, pkg/backup, pkg/restore): which Schedules Velero runs, where their backups
go, what a backup spec backs up, and whether a Backup or Restore's status is one Velero writes when it has
really moved items.

- A Schedule runs only once Velero validated it (``status.phase`` Enabled; New, FailedValidation or no status
  at all do not) and while it is not paused. Schedule validation checks only the cron expression: a template
  Velero will refuse is caught by the backup controller (prepareBackupRequest), so each backup of it ends
  FailedValidation: ``spec_errors`` repeats the filter checks, ``location_refusal`` the storage location ones.
- Storage location: the template's ``storageLocation``, else the first location (by name) in Velero's namespace
  with ``spec.default``, else the one the server's ``--default-backup-storage-location`` names, ``default``
  unless changed. Velero refuses every backup to a location that does not exist, is ReadOnly or is not
  Available. It refuses a backup naming a VolumeSnapshotLocation that does not exist, and writes the locations
  a backup it accepted uses into its ``spec.volumeSnapshotLocations``: the suite does not read
  VolumeSnapshotLocations, so only the schedule's newest finished backup listing them shows they exist.
- A schedule's backups are those labelled with its name, in its namespace, written to its storage location:
  the backup sync controller brings in every backup of a location's bucket, another cluster's too (with its
  schedule's label). A backup in a ReadOnly location (a migration source, another cluster's bucket) or in a
  location that does not exist here is not this cluster's backup.
- Namespaces: an empty include list or ``*`` means every namespace; include and exclude entries are globs
  (``*``, ``?``, ``[abc]``), excludes win; a namespace labelled ``velero.io/exclude-from-backup=true`` is
  added to every backup's excludes, and an object so labelled is left out of every backup (item_backupper).
- A namespace is backed up *whole* only when nothing narrows the backup inside it: a ``labelSelector`` or
  ``orLabelSelectors`` (an unset field or an empty list filters nothing; a set selector is read with Kubernetes'
  semantics, ``readiness.ready.selects``: ``{}`` selects everything, a null entry nothing), included resources
  other than all, excluded resources other than those Velero excludes itself (and those the profile allows),
  objects labelled to be excluded (of the kinds the suite reads: claims, pods, workloads, services), a
  resource policy nobody reviewed, or volume data left behind.
- Volume data: ``snapshotVolumes`` unset means snapshots are taken; ``false`` means none, and then only
  file-system backup saves a volume's data. ``defaultVolumesToFsBackup`` (or the deprecated
  ``defaultVolumesToRestic``) unset is filled from the server's ``--default-volumes-to-fs-backup``, which the
  schedule's own backups show (Velero writes the value into their spec); not ``true``, file-system backup is
  opt-in per pod annotation, which is not credited here (the snapshot does not keep which claim a pod volume
  mounts). ``includeClusterResources: false`` or ``excludedClusterScopedResources`` matching
  persistentvolumes leaves out the claims' PersistentVolumes, which native snapshots are taken of (and
  restored with). A finished backup of a namespace with claims that attempted no volume snapshot, no CSI
  snapshot, no async item operation and had no file-system backup saved no volume data: takePVSnapshot skips
  a volume no snapshotter takes without a word.
- Velero's counts (``errors``, ``warnings``, ``progress.*``) are ``omitempty``: absent means 0. When a backup
  or restore finishes Velero writes ``progress.totalItems`` and ``itemsBackedUp``/``itemsRestored`` equal; a
  finished one without progress, with fewer items moved than counted, or with 0 moved proves nothing.
- A restore counts every item it handled as restored (restore.go: ``len(restoredItems)``), those it skipped
  because they already existed too. A restore into a namespace that already held the objects (in place, with
  no ``namespaceMapping`` or one mapping a namespace to itself, or into a scratch namespace left from before)
  therefore proves nothing; one into a namespace created when the restore ran does, as long as the copies it
  made are there to be seen (suites/phase5/restored.py).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Callable

from fixtures.kube import ref
from readiness.ready import selects, selects_everything
from readiness.timing import age_s, go_duration_s, parse, shown
from readiness.verdict import require_data

SCHEDULE_LABEL = "velero.io/schedule-name"
LOCATION_LABEL = "velero.io/storage-location"
EXCLUDE_LABEL = "velero.io/exclude-from-backup"
# velero server --default-backup-storage-location (pkg/cmd/server/config/config.go): the location a backup naming
# none goes to when no location is marked spec.default.
SERVER_DEFAULT_LOCATION = "default"
PERSISTENT_VOLUMES = "persistentvolumes"
# The namespaced kinds the suite reads whose objects Velero leaves out when labelled EXCLUDE_LABEL=true (kind name
# in the snapshot -> the resource as Velero's filters and the profile's excludable_resources name it).
LABELLED_KINDS = {"persistentvolumeclaims": ("PersistentVolumeClaim", "persistentvolumeclaims"),
                  "pods": ("Pod", "pods"), "deployments": ("Deployment", "deployments.apps"),
                  "statefulsets": ("StatefulSet", "statefulsets.apps"), "daemonsets": ("DaemonSet", "daemonsets.apps"),
                  "services": ("Service", "services")}
# The status counts that show a backup saved volume data other than by file-system backup.
VOLUME_WORK = ("volumeSnapshotsAttempted", "csiVolumeSnapshotsAttempted", "backupItemOperationsAttempted")
# Velero adds these to every backup's exclusions (backup_controller.go autoExclude...) and every restore's
# (restore_controller.go nonRestorableResources) itself: leaving them out narrows nothing.
AUTO_EXCLUDED_FROM_BACKUP = frozenset({"volumesnapshots.snapshot.storage.k8s.io",
                                       "volumesnapshotcontents.snapshot.storage.k8s.io"})
NON_RESTORABLE = frozenset({"nodes", "events", "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
                            "resticrepositories.velero.io", "csinodes.storage.k8s.io",
                            "volumeattachments.storage.k8s.io", "backuprepositories.velero.io"})
FINISHED_BACKUP = ("Completed", "PartiallyFailed", "Failed", "FailedValidation")
SCHEDULE_PHASES = ("New", "Enabled", "FailedValidation")
# The API server, Velero and the suite read different clocks; a timestamp later than this ahead is impossible.
CLOCK_SKEW_S = 300
Lister = Callable[[str, str], list[dict]]      # (snapshot kind, namespace) -> its objects
BRACES = re.compile(r"\{([^{}]*)\}")      # an innermost {a,b} group of a glob
UNSUPPORTED_IN_GLOB = set("|(){},!")
NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def count(status: dict, key: str) -> int:
    return int(status.get(key) or 0)


def template(schedule: dict) -> dict:
    return (schedule.get("spec") or {}).get("template") or {}


def not_validated(schedule: dict) -> str | None:
    """Why Velero does not run this Schedule's backups (None when it validated it)."""
    status = schedule.get("status") or {}
    phase, errors = status.get("phase"), status.get("validationErrors") or []
    if not phase:
        return "never validated by Velero (no status.phase)"
    if phase == "New":
        return "phase New: not yet validated by Velero"
    if phase == "FailedValidation":
        return f"phase FailedValidation ({'; '.join(errors) or 'no validationErrors given'})"
    if phase not in SCHEDULE_PHASES:
        return f"phase {phase}, which Velero does not write"
    if errors:
        return f"phase Enabled with validationErrors ({'; '.join(errors)}), which Velero clears when it enables one"
    if not (schedule.get("spec") or {}).get("schedule"):
        return "phase Enabled without a cron expression (spec.schedule), which Velero fails validation on"
    return None


def runs(schedule: dict) -> bool:
    return not not_validated(schedule) and not (schedule.get("spec") or {}).get("paused")


def _alternatives(pattern: str) -> list[str]:
    """A glob's ``{a,b}`` alternatives written out, as gobwas/glob (Velero's matcher) reads them; fnmatch has none."""
    group = BRACES.search(pattern)
    if group is None:
        return [pattern]
    head, tail = pattern[:group.start()], pattern[group.end():]
    return [expanded for choice in group.group(1).split(",") for expanded in _alternatives(head + choice + tail)]


def _matches(patterns: list[str], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, alternative) for p in patterns if p for alternative in _alternatives(p))


def includes_namespace(spec: dict, namespace: str) -> bool:
    """Whether a backup or restore spec's namespace filter takes ``namespace`` (IncludesExcludes.ShouldInclude)."""
    included = spec.get("includedNamespaces") or []
    if _matches(spec.get("excludedNamespaces") or [], namespace):
        return False
    return not included or "*" in included or _matches(included, namespace)


def _list_errors(what: str, includes: list[str], excludes: list[str], scoped: bool = False) -> list[str]:
    """collections.ValidateIncludesExcludes / ValidateScopedIncludesExcludes."""
    errors = []
    if len(set(includes)) > 1 and "*" in includes:
        errors.append(f"{what}: includes must be '*' alone or a list of items")
    if "*" in excludes and (not scoped or len(set(excludes)) > 1 or includes):
        errors.append(f"{what}: excludes cannot contain '*'" + (" with other items or any include" if scoped else ""))
    errors += [f"{what}: {item} both included and excluded" for item in sorted(set(includes) & set(excludes))]
    return errors


def _namespace_error(pattern: str) -> str | None:
    """wildcard.ValidateNamespaceName, then the name with its glob characters replaced must be a valid one."""
    if UNSUPPORTED_IN_GLOB & set(pattern):
        return f"namespace pattern {pattern!r} has characters Velero's globs do not support"
    if "**" in pattern:
        return f"namespace pattern {pattern!r} has consecutive asterisks"
    at = 0
    while at < len(pattern):
        if pattern[at] == "]":
            return f"namespace pattern {pattern!r} has an unmatched ']'"
        if pattern[at] == "[":
            close = pattern.find("]", at + 1)
            if close < 0:
                return f"namespace pattern {pattern!r} has an unclosed '['"
            if close == at + 1:
                return f"namespace pattern {pattern!r} has an empty '[]'"
            at = close
        at += 1
    if pattern and not NAMESPACE_NAME.match(re.sub(r"[*?\[\]]", "x", pattern)):
        return f"namespace {pattern!r} is not a valid namespace name"
    return None


OLD_FILTERS = ("includedResources", "excludedResources")
NEW_FILTERS = ("includedClusterScopedResources", "excludedClusterScopedResources",
               "includedNamespaceScopedResources", "excludedNamespaceScopedResources")


def spec_errors(spec: dict) -> list[str]:
    """The validation errors Velero's backup controller gives every backup of this spec (prepareBackupRequest):
    such a backup ends FailedValidation and backs up nothing."""
    errors = []
    old = any(spec.get(k) for k in OLD_FILTERS) or spec.get("includeClusterResources") is not None
    if old and any(spec.get(k) for k in NEW_FILTERS):
        errors.append("old (includedResources, excludedResources, includeClusterResources) and new "
                      "(...ScopedResources) resource filters used together")
    if old:
        errors += _list_errors("resources", spec.get("includedResources") or [], spec.get("excludedResources") or [])
    else:
        for scope in ("Cluster", "Namespace"):
            errors += _list_errors(f"{scope.lower()}-scoped resources",
                                   spec.get(f"included{scope}ScopedResources") or [],
                                   spec.get(f"excluded{scope}ScopedResources") or [], scoped=True)
    included, excluded = spec.get("includedNamespaces") or ["*"], spec.get("excludedNamespaces") or []
    errors += _list_errors("namespaces", included, excluded)
    errors += [e for e in (_namespace_error(p) for p in included + excluded if p != "*") if e]
    if spec.get("labelSelector") is not None and spec.get("orLabelSelectors") is not None:
        errors.append("labelSelector and orLabelSelectors both set, only one can be")
    return errors


def shown_selector(selector: dict | None) -> str:
    if selector is None:
        return "null"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    parts += [f"{e.get('key')} {e.get('operator')} ({','.join(e.get('values') or [])})"
              for e in selector.get("matchExpressions") or []]
    return ",".join(parts) or "{}"


def fs_backup_default(spec: dict) -> bool | None:
    """Whether a spec backs up every pod volume with file-system backup: True, False, or None when unset (the
    server's --default-volumes-to-fs-backup fills it in)."""
    if spec.get("defaultVolumesToRestic") is True or spec.get("defaultVolumesToFsBackup") is True:
        return True
    return None if spec.get("defaultVolumesToFsBackup") is None else False


def _names_resource(patterns: list[str], resource: str) -> bool:
    return any(fnmatch.fnmatchcase(resource, (p or "").lower()) for p in patterns)


def _by_namespace(snapshot) -> Lister:
    """A kind's objects in one namespace, from the kind's one cluster-wide list (the snapshot's, which other
    checks read too), indexed once."""
    index: dict[str, dict[str, list[dict]]] = {}

    def objects(kind: str, namespace: str) -> list[dict]:
        if kind not in index:
            index[kind] = {}
            for obj in snapshot.items(kind):
                index[kind].setdefault(obj["metadata"].get("namespace") or "", []).append(obj)
        return index[kind].get(namespace, [])
    return objects


@dataclass
class Cluster:
    """What decides whether a spec takes a namespace whole, beyond the spec: the namespaces (their labels and
    creation), their claims, pods and objects labelled to be left out, and what the profile allows a backup to
    leave out."""
    namespace_labels: dict[str, dict] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)
    pod_labels: dict[str, list[dict]] = field(default_factory=dict)
    excludable: frozenset[str] = frozenset()
    reviewed_policies: frozenset[str] = frozenset()
    namespace_created: dict[str, str | None] = field(default_factory=dict)
    labelled_out: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)   # ns -> (kind, resource, name)
    objects: Lister = lambda kind, namespace: []       # noqa: E731  (snapshot kind, namespace) -> its objects
    terminating: frozenset[str] = frozenset()           # namespaces being deleted

    @classmethod
    def read(cls, snapshot, profile) -> "Cluster":
        namespaces = snapshot.items("namespaces")
        require_data(namespaces, "namespaces", "GET /api/v1/namespaces")
        claims: dict[str, int] = {}
        for claim in snapshot.items("persistentvolumeclaims"):
            claims[claim["metadata"]["namespace"]] = claims.get(claim["metadata"]["namespace"], 0) + 1
        platform_pods = snapshot.items("pods", sorted(profile.backup_namespaces))    # never the whole cluster's
        pods: dict[str, list[dict]] = {}
        for pod in platform_pods:
            pods.setdefault(pod["metadata"]["namespace"], []).append(pod["metadata"].get("labels") or {})
        labelled: dict[str, list[tuple[str, str, str]]] = {}
        for kind, (shown_kind, resource) in LABELLED_KINDS.items():
            for obj in platform_pods if kind == "pods" else snapshot.items(kind):
                meta = obj["metadata"]
                if (meta.get("labels") or {}).get(EXCLUDE_LABEL) == "true":
                    labelled.setdefault(meta["namespace"], []).append((shown_kind, resource, meta["name"]))
        return cls({n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in namespaces}, claims, pods,
                   frozenset(r.lower() for r in profile.phase5.excludable_resources),
                   frozenset(profile.phase5.reviewed_resource_policies),
                   {n["metadata"]["name"]: n["metadata"].get("creationTimestamp") for n in namespaces}, labelled,
                   _by_namespace(snapshot),
                   frozenset(n["metadata"]["name"] for n in namespaces if n["metadata"].get("deletionTimestamp")))

    def label_excluded(self, namespace: str) -> bool:
        return (self.namespace_labels.get(namespace) or {}).get(EXCLUDE_LABEL) == "true"

    def _selected(self, namespace: str, chosen) -> str:
        pods = self.pod_labels.get(namespace, [])
        return f"{sum(1 for labels in pods if chosen(labels))} of {len(pods)} pods in {namespace}"

    def _allowed(self, resource: str, restore: bool) -> bool:
        allowed = self.excludable | (NON_RESTORABLE if restore else AUTO_EXCLUDED_FROM_BACKUP)
        return resource.lower() in allowed or resource.split(".")[0].lower() in allowed

    def left_out(self, spec: dict, namespace: str, restore: bool = False) -> list[str]:
        """What a spec whose namespace filter takes ``namespace`` still leaves out of it (empty: it takes it
        whole). ``restore`` reads a Restore's spec, which has no scoped resource fields, restores volume data
        unless ``restorePVs`` is false and restores what its backup holds (labelled objects are not in it)."""
        verb = "restores" if restore else "backs up"
        gaps = []
        single, alternatives = spec.get("labelSelector"), spec.get("orLabelSelectors")
        if single is not None and not selects_everything(single):
            chosen = self._selected(namespace, lambda labels: selects(single, labels))
            gaps.append(f"{verb} only the objects its labelSelector {shown_selector(single)} selects ({chosen})")
        if alternatives and not any(selects_everything(s) for s in alternatives):     # [] filters nothing
            chosen = self._selected(namespace, lambda labels: any(selects(s, labels) for s in alternatives))
            gaps.append(f"{verb} only the objects its orLabelSelectors "
                        f"{' | '.join(shown_selector(s) for s in alternatives) or '[]'} select ({chosen})")
        for key in ("includedResources", "includedNamespaceScopedResources"):
            items = spec.get(key) or []
            if items and "*" not in items:
                gaps.append(f"{verb} only the resources {', '.join(items)} ({key})")
        for key in ("excludedResources", "excludedNamespaceScopedResources"):
            items = [r for r in spec.get(key) or [] if not self._allowed(r, restore)]
            if items:
                gaps.append(f"leaves out the resources {', '.join(items)} ({key})")
        labelled = [(kind, name) for kind, resource, name in self.labelled_out.get(namespace, [])
                    if not self._allowed(resource, restore)]
        if labelled and not restore:
            shown_items = ", ".join(f"{kind} {name}" for kind, name in labelled[:5])
            more = f" and {len(labelled) - 5} more" if len(labelled) > 5 else ""
            gaps.append(f"leaves out {len(labelled)} objects of {namespace} labelled {EXCLUDE_LABEL}=true "
                        f"({shown_items}{more}), which Velero never backs up")
        policy = (spec.get("resourcePolicy") or {}).get("name")
        if policy and policy not in self.reviewed_policies:
            gaps.append(f"its resource policy (ConfigMap {policy}) may leave objects or volume data out and is not "
                        "in phase5.reviewed_resource_policies")
        claims = self.claims.get(namespace, 0)
        if not claims:
            return gaps
        volumes = f"the volumes of its {claims} PersistentVolumeClaims in {namespace}"
        if spec.get("includeClusterResources") is False:
            gaps.append(f"includeClusterResources false leaves out every PersistentVolume: {volumes} are not "
                        f"{'restored' if restore else 'backed up'} with them (no native snapshot)")
        excluded_cluster = spec.get("excludedClusterScopedResources") or []
        if not restore and _names_resource(excluded_cluster, PERSISTENT_VOLUMES):
            gaps.append(f"excludedClusterScopedResources {', '.join(excluded_cluster)} leaves out the "
                        f"PersistentVolumes: {volumes} are not backed up with them (no native snapshot)")
        if restore and spec.get("restorePVs") is False:
            gaps.append(f"restorePVs false: the data of its {claims} PersistentVolumeClaims is not restored")
        if not restore and spec.get("snapshotVolumes") is False and not fs_backup_default(spec):
            unset = " unset, and no backup shows the server's default" if fs_backup_default(spec) is None else ""
            gaps.append(f"snapshotVolumes false without file-system backup (defaultVolumesToFsBackup{unset}): the "
                        f"data of its {claims} PersistentVolumeClaims in {namespace} is not backed up")
        return gaps

    def not_whole(self, spec: dict, namespace: str) -> list[str]:
        """Why a backup spec does not back ``namespace`` up whole (empty: it does)."""
        if not includes_namespace(spec, namespace):
            return [f"does not include namespace {namespace}"]
        if self.label_excluded(namespace):
            return [f"namespace {namespace} is labelled {EXCLUDE_LABEL}=true, which Velero leaves out of every "
                    "backup"]
        errors = spec_errors(spec)
        if errors:
            return [f"Velero fails every backup of it ({'; '.join(errors)})"]
        return self.left_out(spec, namespace)

    def no_volume_data(self, backup: dict, namespace: str) -> list[str]:
        """Why a finished backup saved no volume data of ``namespace``'s claims (empty: it tried, or there are
        none): no volume snapshot, CSI snapshot or async item operation attempted, and no file-system backup."""
        claims, status = self.claims.get(namespace, 0), backup.get("status") or {}
        if not claims or fs_backup_default(backup.get("spec") or {}) or any(count(status, k) for k in VOLUME_WORK):
            return []
        return [f"saved no volume data of the {claims} PersistentVolumeClaims in {namespace}: it attempted no volume "
                "snapshot, CSI snapshot or async item operation (volumeSnapshotsAttempted, "
                "csiVolumeSnapshotsAttempted, backupItemOperationsAttempted) and had no file-system backup "
                "(defaultVolumesToFsBackup)"]

    def backup_not_whole(self, backup: dict, namespace: str) -> list[str]:
        """Why a finished Backup does not hold ``namespace`` whole: its spec, then the volume data it saved."""
        return self.not_whole(backup.get("spec") or {}, namespace) or self.no_volume_data(backup, namespace)

    def restored_fresh(self, restore: dict, namespace: str) -> str | None:
        """Why a restore of ``namespace`` does not show it created objects (None when it does): it restored into
        a namespace that existed before it started, where Velero skips what already exists yet counts it."""
        spec, status = restore.get("spec") or {}, restore.get("status") or {}
        target = (spec.get("namespaceMapping") or {}).get(namespace) or namespace
        if target not in self.namespace_labels:
            return None                 # gone since: restored.copies_missing says so
        begun, created = parse(status.get("startTimestamp")), parse(self.namespace_created.get(target))
        if begun and created and (begun - created).total_seconds() <= CLOCK_SKEW_S:
            return None                 # created when the restore ran: what is in it, the restore created
        warnings = count(status, "warnings")
        skipped = (f" ({warnings} warnings: Velero warns of each existing object that differs from the backup)"
                   if warnings else "")
        since = f" (created {self.namespace_created[target]})" if created else ""
        where = (f"in place, into the live namespace {namespace} (no namespaceMapping to a scratch namespace)"
                 if target == namespace else f"into {target}, which existed before the restore started{since}")
        return (f"restores {namespace} {where}: Velero skips objects that already exist and still counts them "
                f"restored, so it proves no object was restored{skipped}")


def stamp_problem(status: dict, key: str, now_age: float | None) -> str | None:
    """Why a status timestamp is unusable: absent, or impossibly far in the future."""
    if not status.get(key):
        return f"no status.{key}"
    if now_age is not None and now_age < -CLOCK_SKEW_S:
        return f"status.{key} {status[key]} is {shown(-now_age)} in the future"
    return None


def finish_problems(status: dict) -> list[str]:
    """Why a finished Backup or Restore's timestamps are not ones Velero writes."""
    start, end = parse(status.get("startTimestamp")), parse(status.get("completionTimestamp"))
    problems = [p for p in (stamp_problem(status, "startTimestamp", None),
                            stamp_problem(status, "completionTimestamp", age_s(status.get("completionTimestamp"))))
                if p]
    if start and end and end < start:
        problems.append(f"status.completionTimestamp {status['completionTimestamp']} is before its startTimestamp "
                        f"{status['startTimestamp']}")
    return problems


PARTS = {"backup": (("volume snapshots", "volumeSnapshots"), ("CSI volume snapshots", "csiVolumeSnapshots"),
                    ("async item operations", "backupItemOperations")),
         "restore": (("async item operations", "restoreItemOperations"),)}


def unfinished_parts(status: dict, kind: str) -> list[str]:
    """The parts of a Completed backup or restore that did not all succeed: volume snapshots, async plugin
    operations, hooks (each normally turns it PartiallyFailed; a Completed one with them proves nothing)."""
    faults = []
    for noun, field_name in PARTS[kind]:
        attempted, completed = count(status, f"{field_name}Attempted"), count(status, f"{field_name}Completed")
        if completed < attempted:
            faults.append(f"{completed} of {attempted} {noun} completed ({field_name}Completed)")
        if count(status, f"{field_name}Failed"):
            faults.append(f"{count(status, f'{field_name}Failed')} {noun} failed ({field_name}Failed)")
    hooks = status.get("hookStatus") or {}
    if count(hooks, "hooksFailed"):
        faults.append(f"{count(hooks, 'hooksFailed')} of {count(hooks, 'hooksAttempted')} hooks failed "
                      "(hookStatus.hooksFailed)")
    return faults


def _moved(status: dict, what: str, item_key: str) -> list[str]:
    """Why a Backup or Restore (``what``) did not move its items: not Completed, errors, no or partial progress."""
    phase, errors, warnings = status.get("phase"), count(status, "errors"), count(status, "warnings")
    if phase != "Completed":
        why = status.get("failureReason") or "; ".join(status.get("validationErrors") or [])
        return [f"{phase or 'no phase'}, {errors} errors, {warnings} warnings" + (f" ({why})" if why else "")]
    faults = [f"Completed with {errors} errors"] if errors else []
    progress, verb = status.get("progress"), {"backup": "backed up", "restore": "restored"}[what]
    if progress is None:
        faults.append(f"no status.progress: Velero did not record what it {verb}")
    else:
        done, total = count(progress, item_key), count(progress, "totalItems")
        if done == 0:
            faults.append(f"Completed with 0 items {verb}")
        elif done < total:
            faults.append(f"{verb} {done} of {total} items (Velero writes them equal when a {what} finishes)")
    return faults + unfinished_parts(status, what) + finish_problems(status)


def backup_faults(backup: dict) -> list[str]:
    """Why a Backup is not one that saved something (empty: Completed, no errors, items written, timestamps and
    expiration as Velero writes them)."""
    status = backup.get("status") or {}
    faults = _moved(status, "backup", "itemsBackedUp")
    if status.get("phase") != "Completed":
        return faults
    since_expiry = age_s(status.get("expiration"))
    if since_expiry is None:
        faults.append("no status.expiration")
    elif since_expiry >= 0:
        faults.append(f"expired {shown(since_expiry)} ago (status.expiration {status['expiration']}): Velero "
                      "deletes it")
    if backup["metadata"].get("deletionTimestamp"):
        faults.append("being deleted")
    return faults


def restore_faults(restore: dict) -> list[str]:
    """Why a Restore is not one that put something back (empty: Completed, no errors, items restored)."""
    return _moved(restore.get("status") or {}, "restore", "itemsRestored")


def started(obj: dict) -> str:
    return (obj.get("status") or {}).get("startTimestamp") or obj["metadata"].get("creationTimestamp") or ""


def locations_by_ref(snapshot) -> dict[str, dict]:
    """Every BackupStorageLocation by namespace/name (an API that answers with none is an answer)."""
    return {ref(bsl): bsl for bsl in snapshot.items("backupstoragelocations")}


def default_location(namespace: str, locations: dict[str, dict]) -> tuple[str, str]:
    """(name, how it was chosen) of the location Velero gives a backup in ``namespace`` that names none: the first
    location there (by name) with spec.default, else the server's --default-backup-storage-location."""
    marked = sorted(bsl["metadata"]["name"] for bsl in locations.values()
                    if bsl["metadata"].get("namespace") == namespace and (bsl.get("spec") or {}).get("default"))
    if marked:
        return marked[0], "the default location"
    return SERVER_DEFAULT_LOCATION, (f"the server's default location {SERVER_DEFAULT_LOCATION!r} (none is marked "
                                     "spec.default)")


def storage_location(schedule: dict, locations: dict[str, dict]) -> str:
    """The storage location every backup of the schedule is written to."""
    return template(schedule).get("storageLocation") or default_location(schedule["metadata"]["namespace"],
                                                                         locations)[0]


def location_refusal(namespace: str, name: str, locations: dict[str, dict], how: str = "") -> str | None:
    """Why Velero refuses every backup to location ``name`` (prepareBackupRequest; None when it accepts them);
    ``how``: how the location was chosen, when the backup named none."""
    bsl, where = locations.get(f"{namespace}/{name}"), f"its storage location {namespace}/{name}" + (
        f" ({how})" if how else "")
    if bsl is None:
        return f"{where} does not exist"
    if (bsl.get("spec") or {}).get("accessMode") == "ReadOnly":
        return f"{where} is ReadOnly"
    phase = (bsl.get("status") or {}).get("phase")
    if phase != "Available":
        return f"{where} is {phase or 'not validated (no status.phase)'}"
    return None


def backup_location(backup: dict) -> str | None:
    return (backup.get("spec") or {}).get("storageLocation") or (backup["metadata"].get("labels") or {}).get(
        LOCATION_LABEL)


def not_this_clusters(backup: dict, locations: dict[str, dict]) -> str | None:
    """Why a Backup is not one this cluster wrote and can restore (None when it may be): it lies in a ReadOnly
    location, whose backups Velero synced from a bucket this cluster does not write, or in none that exists."""
    namespace, name = backup["metadata"].get("namespace"), backup_location(backup)
    bsl = locations.get(f"{namespace}/{name}")
    if bsl is None:
        return f"in storage location {name or '(none)'}, which does not exist: Velero can neither restore it nor " \
               "delete it"
    if (bsl.get("spec") or {}).get("accessMode") == "ReadOnly":
        return f"in the ReadOnly storage location {name}: synced from a bucket this cluster does not write to"
    return None


def unusable(backup: dict, locations: dict[str, dict]) -> list[str]:
    """Why a Backup cannot stand for a backup of this cluster (empty: it can): ``backup_faults``, or it is not
    this cluster's (``not_this_clusters``)."""
    foreign = not_this_clusters(backup, locations)
    return backup_faults(backup) or ([foreign] if foreign else [])


def backups_of(schedule: dict, backups: list[dict], locations: dict[str, dict]) -> list[dict]:
    """The schedule's backups (labelled with its name, in its namespace, in its storage location), newest first:
    a backup of a same-named schedule synced from another location is another cluster's."""
    meta, where = schedule["metadata"], storage_location(schedule, locations)
    own = [b for b in backups if b["metadata"].get("namespace") == meta["namespace"]
           and (b["metadata"].get("labels") or {}).get(SCHEDULE_LABEL) == meta["name"] and backup_location(b) == where]
    return sorted(own, key=started, reverse=True)


def newest_finished(own: list[dict]) -> dict | None:
    """The newest of a schedule's backups (``backups_of``) that has finished (one still running is not judged)."""
    return next((b for b in own if (b.get("status") or {}).get("phase") in FINISHED_BACKUP), None)


def latest_finished(schedule: dict, backups: list[dict], locations: dict[str, dict]) -> dict | None:
    """The newest of the schedule's backups that has finished."""
    return newest_finished(backups_of(schedule, backups, locations))


def effective_template(schedule: dict, own: list[dict]) -> dict:
    """The schedule's template with what the server fills in and its backups show: an unset
    defaultVolumesToFsBackup read from its newest backup that carries one."""
    spec = template(schedule)
    if fs_backup_default(spec) is not None:
        return spec
    shown_on = next(((b.get("spec") or {})["defaultVolumesToFsBackup"] for b in own
                     if (b.get("spec") or {}).get("defaultVolumesToFsBackup") is not None), None)
    return spec if shown_on is None else {**spec, "defaultVolumesToFsBackup": shown_on}


def snapshot_locations_unproven(schedule: dict, own: list[dict]) -> str | None:
    """Why the VolumeSnapshotLocations a template names are not known to exist (None when it names none or its
    newest finished backup, which Velero validated, lists them all)."""
    named = template(schedule).get("volumeSnapshotLocations") or []
    if not named:
        return None
    newest = newest_finished(own)
    if newest is None:
        return (f"names volumeSnapshotLocations {', '.join(named)} and has no finished backup showing they exist "
                "(Velero fails every backup naming a missing one)")
    status = newest.get("status") or {}
    if status.get("phase") == "FailedValidation":
        return (f"its newest backup {newest['metadata']['name']} failed validation "
                f"({'; '.join(status.get('validationErrors') or []) or 'no validationErrors given'})")
    listed = set((newest.get("spec") or {}).get("volumeSnapshotLocations") or [])
    missing = [n for n in named if n not in listed]
    if missing:
        return (f"names volumeSnapshotLocations {', '.join(missing)}, which its newest backup "
                f"{newest['metadata']['name']} does not list (Velero lists every location of a backup it accepts "
                "and fails every backup naming a missing one)")
    return None


def retention(schedule: dict, own: list[dict]) -> tuple[float | None, str]:
    """(seconds, how it was read) a schedule keeps its backups (``own``: ``backups_of`` it). An unset or zero ttl
    is the server's default (velero server --default-backup-ttl), which only its backups show: expiration minus
    start."""
    text = template(schedule).get("ttl")
    seconds = go_duration_s(text)
    if text and seconds is None:
        return None, f"ttl {text!r} is not a duration"
    if seconds:
        return seconds, f"ttl {text}"
    for backup in own:
        status = backup.get("status") or {}
        begun, ends = parse(status.get("startTimestamp")), parse(status.get("expiration"))
        if begun and ends:
            kept = (ends - begun).total_seconds()
            return kept, f"no ttl: the server's default, {shown(kept)} on backup {backup['metadata']['name']}"
    return None, "no ttl: the server's default applies, and no backup of it shows what that is"
