"""Phase 5, backup and DR: Velero's storage locations, schedules, latest backups and restore tests, judged by what
Velero does with its objects (suites/phase5/velero.py), not by their count.

Adversarial table P5-BACKUP-LOCATION:
- stale-validation: the location says Available, but Velero last validated it days ago (Velero stopped, or
  the bucket broke since)
- never-validated: a location with no status at all: Velero never looked at it
- validation-in-future: status.lastValidationTime lies ahead of every clock, which no controller writes
- read-only: accessMode ReadOnly (set for a migration) and Available: Velero refuses every backup to it
- validation-disabled: validationFrequency 0s: Velero never re-validates it, so Available is only the first
  answer
- missing-location: a schedule names a location that does not exist
- no-default: a schedule names no location and no location is the default, so its backups fail validation

Adversarial table P5-BACKUP-SCHEDULE:
- unvalidated: a Schedule with no status, which Velero never validated (created while Velero was down, or in a
  namespace it does not watch), counts as Enabled
- phase-new: status.phase New: Velero has not validated it yet and runs nothing for it
- failed-validation: status.phase FailedValidation with validationErrors (a bad cron expression)
- invalid-template: an Enabled schedule whose template sets labelSelector and orLabelSelectors together:
  schedule validation checks only the cron, so every backup it makes ends FailedValidation
- selector-narrows: includedNamespaces ["*"] narrowed by a labelSelector that matches nothing: the
  namespaces' unlabelled objects are never backed up
- or-selectors-narrow: orLabelSelectors naming two apps: every other object of the namespace is left out
- resources-narrow: includedResources [configmaps] backs up no workload, secret or claim
- scoped-resources-narrow: excludedNamespaceScopedResources [secrets, persistentvolumeclaims] (the new
  filter fields) leaves the namespace's secrets and claims out
- glob-excludes: excludedNamespaces ["*-prod"] drops vault-prod although no name is written out
- glob-misses: includedNamespaces ["data-*"] matches no other platform namespace
- volumes-unprotected: snapshotVolumes false without defaultVolumesToFsBackup in a namespace with
  PersistentVolumeClaims: their data is not backed up
- namespace-label-excluded: the namespace is labelled velero.io/exclude-from-backup=true, which Velero adds to
  every backup's excludes
- default-ttl-short: no ttl in the template and the server's default, seen on its backups, is 3 days
- unreviewed-resource-policy: a resource policy ConfigMap (which may skip volumes or kinds) nobody reviewed

Adversarial table P5-BACKUP-RECENT:
- zero-items: the newest backup is Completed with progress 0 of 0 items
- no-progress: Completed without status.progress: nothing records that items were written
- items-short: Completed with 120 of 412 items backed up, which Velero never writes on a finished backup
- completed-with-errors: phase Completed but status.errors 2
- outside-platform: the only recent Completed backup (a schedule's earlier spec) covers only kube-system
- latest-failed: the schedule's newest finished backup PartiallyFailed while an older one Completed
- expired: the only backup of the namespace passed its status.expiration: Velero garbage-collects it
- completion-in-future: status.completionTimestamp a day ahead of now
- narrowed-backup: the recent backup's own spec had a labelSelector, so it holds only the labelled objects
- snapshots-incomplete: Completed with volumeSnapshotsAttempted 3 and volumeSnapshotsCompleted 1: two
  volumes' data is not in it

Adversarial table P5-RESTORE-TEST:
- empty-restore: a Completed restore with includedNamespaces [does-not-exist] and 0 items restored
- outside-platform: a Completed restore with items, of kube-system only
- manual-backup: the restore's source is a manual backup, not a scheduled one
- partially-failed: the restore PartiallyFailed with errors
- completed-with-errors: phase Completed with status.errors 3
- no-progress: Completed with no status.progress (never really run by Velero)
- selector-restore: the restore's labelSelector restored only a few labelled objects of the namespace
- source-outside-platform: the restore takes every namespace but its source backup held only kube-system
- stale: the only good restore completed 45 days ago
- hook-failed: Completed, but its post-restore hook (the data check) failed: hookStatus.hooksFailed 1
"""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import age_s, go_duration_s, shown
from readiness.verdict import fail, require_data
from suites.phase5.velero import (SCHEDULE_LABEL, Cluster, backup_faults, includes_namespace, latest_finished, ref,
                                  restore_faults, retention, runs, spec_errors, stamp_problem, template,
                                  not_validated)


def _schedules(snapshot) -> list[dict]:
    found = snapshot.items("schedules")
    require_data(found, "velero schedules", "GET /apis/velero.io/v1/schedules (no backup is scheduled at all)")
    return found


def location_faults(bsl: dict, max_age_s: float) -> list[str]:
    """Why Velero cannot write backups to a location now (empty: it can)."""
    spec, status = bsl.get("spec") or {}, bsl.get("status") or {}
    faults = []
    if status.get("phase") != "Available":
        faults.append(f"phase {status.get('phase', 'unknown')}" + (f" ({status['message']})" if status.get("message")
                                                                    else ""))
    if spec.get("accessMode") == "ReadOnly":
        faults.append("accessMode ReadOnly, so Velero refuses every backup to it")
    if spec.get("validationFrequency") is not None and not go_duration_s(spec["validationFrequency"]):
        faults.append(f"validationFrequency {spec['validationFrequency']}: Velero never validates it again, so its "
                      "phase is stale")
    age = age_s(status.get("lastValidationTime"))
    impossible = stamp_problem(status, "lastValidationTime", age)
    if impossible:
        faults.append(f"last validated never ({impossible})" if age is None else impossible)
    elif age > max_age_s:
        faults.append(f"last validated {shown(age)} ago, expected within {shown(max_age_s)}")
    return faults


@criterion("P5-BACKUP-LOCATION", 5, "Backup storage reachable", severity="critical",
           requirement="The default BackupStorageLocation and every one a validated Schedule writes to is Available, "
                       "writable (not ReadOnly, validation not disabled) and was validated by Velero within the "
                       "profile's window.",
           next_step="velero backup-location get: an Unavailable location's message names the bucket, "
                     "credentials or endpoint; check the object store and the cloud credentials Secret.",
           profile_keys=("phase5.location_max_age_s",))
def test_backup_storage_locations_available_and_validated(snapshot, profile):
    locations = {ref(bsl): bsl for bsl in snapshot.items("backupstoragelocations")}
    require_data(locations, "velero backupstoragelocations", "GET /apis/velero.io/v1/backupstoragelocations")
    defaults = {r for r, bsl in locations.items() if (bsl.get("spec") or {}).get("default")}
    used = {r: "the default location" for r in defaults}
    problems, rows = [], []
    for schedule in _schedules(snapshot):
        if not_validated(schedule):
            continue                # Velero makes no backup of it, so it writes nowhere
        namespace, name = schedule["metadata"]["namespace"], template(schedule).get("storageLocation")
        if name:
            used.setdefault(f"{namespace}/{name}", f"schedule {ref(schedule)}")
        elif not any(d.startswith(f"{namespace}/") for d in defaults):
            problems.append(f"schedule {ref(schedule)}: names no storage location and none is the default")
    for where in sorted(used):
        bsl = locations.get(where)
        if bsl is None:
            problems.append(f"backupstoragelocation {where}: used by {used[where]} but not found")
            continue
        status = bsl.get("status") or {}
        rows.append([where, used[where], status.get("phase", "-"), (bsl.get("spec") or {}).get("accessMode", "-"),
                     status.get("lastValidationTime", "-"), status.get("message", "")])
        problems += [f"backupstoragelocation {where}: {why}"
                     for why in location_faults(bsl, profile.phase5.location_max_age_s)]
    if not used and not problems:
        problems.append("velero: no storage location is the default and no validated schedule names one")
    attach_table("backup storage locations", ["location", "used by", "phase", "access", "last validated",
                                              "message"], rows)
    fail(problems)


def schedule_faults(schedule: dict, kept_s: float | None, kept: str, wanted_s: float) -> list[str]:
    """Why a schedule's backups do not count (empty: Velero runs it and keeps its backups long enough)."""
    faults = ["paused"] if (schedule.get("spec") or {}).get("paused") else []
    unvalidated = not_validated(schedule)
    if unvalidated:
        faults.append(unvalidated)
    errors = spec_errors(template(schedule))
    if errors:
        faults.append(f"Velero fails every backup of it ({'; '.join(errors)})")
    if kept_s is None:
        faults.append(kept)
    elif kept_s + 60 < wanted_s:         # a server default read from a backup is off by the seconds it took
        faults.append(f"{kept}, expected at least {wanted_s / 3600:g}h")
    return faults


@criterion("P5-BACKUP-SCHEDULE", 5, "Backups scheduled for every namespace", severity="critical",
           requirement="Every platform namespace is backed up whole by a Schedule Velero validated (phase "
                       "Enabled), that is not paused and keeps its backups at least the profile's retention: its "
                       "namespace filter (globs included) takes the namespace, no label selector, resource filter "
                       "or unreviewed resource policy narrows it, and volume data is snapshotted or file-system "
                       "backed up.",
           next_step="velero schedule describe NAME: unpause (velero schedule unpause), fix the validation errors, "
                     "widen includedNamespaces or drop the selector and resource filters, enable snapshots or "
                     "--default-volumes-to-fs-backup, or raise --ttl.",
           profile_keys=("phase5.namespaces", "phase5.min_ttl_hours", "phase5.excludable_resources",
                         "phase5.reviewed_resource_policies"))
def test_enabled_schedules_cover_every_namespace_with_retention(snapshot, profile):
    cluster, backups = Cluster.read(snapshot, profile), snapshot.items("backups")
    wanted_s, platform = profile.phase5.min_ttl_hours * 3600, profile.backup_namespaces
    problems, rows, counted = [], [], []
    for schedule in _schedules(snapshot):
        spec = template(schedule)
        kept_s, kept = retention(schedule, backups)
        faults = schedule_faults(schedule, kept_s, kept, wanted_s)
        touched = [ns for ns in platform if includes_namespace(spec, ns)]
        rows.append([ref(schedule), (schedule.get("spec") or {}).get("schedule"), "; ".join(faults) or "counts",
                     kept, ",".join(spec.get("includedNamespaces") or ["*"]), ",".join(touched)])
        if touched:
            problems += [f"schedule {ref(schedule)}: {why}" for why in faults]
            if not faults:
                counted.append(schedule)
    for namespace in platform:
        if cluster.label_excluded(namespace):
            problems.append(f"namespace {namespace}: labelled velero.io/exclude-from-backup=true, which Velero "
                            "leaves out of every backup")
            continue
        gaps = {ref(s): cluster.not_whole(template(s), namespace) for s in counted
                if includes_namespace(template(s), namespace)}
        if not any(not why for why in gaps.values()):
            detail = " | ".join(f"{r}: {'; '.join(why)}" for r, why in gaps.items())
            problems.append(f"namespace {namespace}: no validated, unpaused schedule with enough retention backs it "
                            "up whole" + (f" ({detail})" if detail else ""))
    attach_table("backup schedules", ["schedule", "cron", "state", "retention", "namespaces", "platform ones"], rows)
    fail(problems)


def _completed(backup: dict) -> str:
    return (backup.get("status") or {}).get("completionTimestamp") or ""


@criterion("P5-BACKUP-RECENT", 5, "Latest backups completed", severity="critical",
           requirement="Every platform namespace is backed up whole by a Backup that Completed without errors "
                       "within the profile's window and wrote items (status.progress), unexpired; and the latest "
                       "finished Backup of every Schedule Velero runs for the platform Completed the same way.",
           next_step="velero backup describe NAME --details and velero backup logs NAME: the errors name the "
                     "resources or volumes that failed.", profile_keys=("phase5.backup_max_age_s",))
def test_latest_backup_of_each_schedule_completed_recently(snapshot, profile):
    cluster, backups = Cluster.read(snapshot, profile), snapshot.items("backups")
    window, platform = profile.phase5.backup_max_age_s, profile.backup_namespaces
    problems, rows = [], []
    schedules = [s for s in _schedules(snapshot)
                 if runs(s) and any(includes_namespace(template(s), ns) for ns in platform)]
    if not schedules:
        problems.append("velero: no validated, unpaused schedule backs up the platform's namespaces, so no backup "
                        "of them is made")
    for schedule in schedules:
        backup = latest_finished(schedule, backups)
        if backup is None:
            problems.append(f"schedule {ref(schedule)}: no finished backup at all")
            continue
        status, faults = backup.get("status") or {}, backup_faults(backup)
        rows.append([ref(schedule), backup["metadata"]["name"], status.get("phase"), status.get("completionTimestamp"),
                     (status.get("progress") or {}).get("itemsBackedUp", "-"), status.get("errors", 0),
                     status.get("warnings", 0)])
        if faults:
            problems.append(f"backup {ref(backup)} (schedule {schedule['metadata']['name']}): {'; '.join(faults)}")
    good = sorted((b for b in backups if not backup_faults(b)), key=_completed, reverse=True)
    for namespace in platform:
        newest = next((b for b in good if not cluster.not_whole(b.get("spec") or {}, namespace)), None)
        if newest is None:
            near = sorted((b for b in backups if includes_namespace(b.get("spec") or {}, namespace)),
                          key=lambda b: (b.get("status") or {}).get("startTimestamp") or "", reverse=True)[:1]
            hint = [f"newest including it: backup {ref(b)}: "
                    f"{'; '.join(backup_faults(b) or cluster.not_whole(b.get('spec') or {}, namespace))}" for b in near]
            problems.append(f"namespace {namespace}: no Completed backup with items backs it up whole"
                            + (f" ({hint[0]})" if hint else ""))
            continue
        age = age_s(_completed(newest))
        if age > window:
            problems.append(f"namespace {namespace}: its newest whole backup {ref(newest)} completed {shown(age)} "
                            f"ago, expected within {shown(window)}")
    attach_table("latest backups", ["schedule", "backup", "phase", "completed", "items", "errors", "warnings"], rows)
    fail(problems)


def restore_test_faults(restore: dict, backups: dict[str, dict], cluster: Cluster, platform: list[str]) -> list[str]:
    """Why a Restore is not a restore test of the platform (empty: it is one)."""
    spec = restore.get("spec") or {}
    faults = restore_faults(restore)
    name = spec.get("backupName")
    source = backups.get(f"{restore['metadata']['namespace']}/{name}") if name else None
    if not name:
        faults.append("names no backup (spec.backupName), which Velero fills in when it runs a restore")
    elif not ((source["metadata"].get("labels") or {}).get(SCHEDULE_LABEL) if source else spec.get("scheduleName")):
        faults.append(f"restores backup {name}, which no schedule made")
    asked = [ns for ns in platform if includes_namespace(spec, ns)]
    taken = [ns for ns in asked if source is None or includes_namespace(source.get("spec") or {}, ns)]
    if not asked:
        faults.append(f"its namespaces ({','.join(spec.get('includedNamespaces') or ['*'])}) match none of the "
                      "platform's")
    elif not taken:
        held = ",".join((source.get("spec") or {}).get("includedNamespaces") or ["*"])
        faults.append(f"its backup {name} holds none of the platform's namespaces it asks for (it holds {held})")
    elif all(cluster.left_out(spec, ns, restore=True) for ns in taken):
        faults.append(f"restores {taken[0]} only in part: {'; '.join(cluster.left_out(spec, taken[0], restore=True))}")
    return faults


@criterion("P5-RESTORE-TEST", 5, "Restore tested recently", severity="critical",
           requirement="A Restore from a scheduled Backup Completed within the profile's window without errors, "
                       "restoring items (status.progress) of at least one platform namespace whole: a backup never "
                       "restored is not known to work.",
           next_step="Restore the latest scheduled backup into a scratch namespace (velero restore create "
                     "--from-backup NAME --include-namespaces NS --namespace-mappings NS:restore-test), check the "
                     "data, then delete the namespace.",
           profile_keys=("phase5.restore_max_age_days", "phase5.namespaces", "phase5.excludable_resources"))
def test_restore_from_scheduled_backup_completed_recently(snapshot, profile):
    backups = {ref(b): b for b in snapshot.items("backups")}
    cluster, platform = Cluster.read(snapshot, profile), profile.backup_namespaces
    window = profile.phase5.restore_max_age_days * 86400
    rows, newest, rejected = [], None, []
    for restore in snapshot.items("restores"):
        status, spec = restore.get("status") or {}, restore.get("spec") or {}
        faults = restore_test_faults(restore, backups, cluster, platform)
        rows.append([ref(restore), spec.get("backupName") or spec.get("scheduleName"),
                     ",".join(spec.get("includedNamespaces") or ["*"]), status.get("phase"),
                     (status.get("progress") or {}).get("itemsRestored", "-"), status.get("completionTimestamp"),
                     "; ".join(faults) or "counts"])
        if faults:
            rejected.append(f"restore {ref(restore)}: {'; '.join(faults)}")
            continue
        age = age_s(status["completionTimestamp"])
        newest = age if newest is None else min(newest, age)
    attach_table("restores", ["restore", "from", "namespaces", "phase", "items", "completed", "verdict"], rows)
    if newest is None:
        fail([f"velero: no restore of a scheduled backup into the platform's namespaces Completed with items "
              f"({len(rows)} restores seen)"] + rejected)
    if newest > window:
        fail(f"velero: the last completed restore from a scheduled backup was {shown(newest)} ago, expected within "
             f"{profile.phase5.restore_max_age_days:g} days")
