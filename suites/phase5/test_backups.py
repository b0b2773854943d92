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
- location-refused: an Enabled schedule whose storage location is ReadOnly, does not exist, or (the default one)
  is Unavailable: the backup controller fails every backup of it validation
- snapshot-location-missing: the template names a VolumeSnapshotLocation its newest backup does not list (it
  does not exist): every backup of it fails validation
- no-volume-data: the template looks whole, but its newest backup, Completed with items, attempted no volume
  snapshot, CSI snapshot or async operation and had no file-system backup: the claims' data was skipped silently
- claims-labelled-excluded: the namespace's PersistentVolumeClaims are labelled velero.io/exclude-from-backup=true
  and left out of every backup
- persistent-volumes-excluded: includeClusterResources false, or excludedClusterScopedResources
  [persistentvolumes], leaves out the claims' PersistentVolumes and their native snapshots
- no-schedules: the schedules API answers with none at all: nothing is backed up (not a reason the suite could
  not look)

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
- no-volume-data: Completed with 400 items, of a namespace with claims, attempting no volume snapshot, CSI
  snapshot or async operation, without file-system backup: no volume's data is in it
- synced-from-elsewhere: the schedule's newest backup PartiallyFailed, hidden by a newer Completed one with the
  same schedule label that Velero synced from another cluster's bucket (a ReadOnly location)
- claims-labelled-excluded: the backup left out the claims labelled velero.io/exclude-from-backup=true
- persistent-volumes-excluded: the backup's includeClusterResources false left out the claims' PersistentVolumes
- no-schedules: backups exist, but no Schedule at all makes new ones

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
- in-place: restored into the live namespace (no namespaceMapping, existingResourcePolicy none): every item
  already existed and was skipped, yet Velero counts 120 restored (120 "already exists" warnings)
- identity-mapping: namespaceMapping maps data-platform to itself: the same in-place restore
- scratch-namespace-reused: mapped into restore-test, which was left from the last test and existed before this
  restore started: its objects were skipped and counted
- narrowed-source: the restore takes the namespace whole, but its scheduled backup held only the objects its
  labelSelector chose
- source-without-volume-data: the restore's backup saved no volume data (snapshotVolumes false, no file-system
  backup)
- persistent-volumes-excluded: includeClusterResources false: the claims' PersistentVolumes, and with them the
  volume data, are not restored
- failed-since: a good restore test a day ago, but the newest restore of a platform namespace, requested after
  it, Failed (its backup could not be read from the object store): restores fail now
- failed-validation-since: the same with a restore Velero refused (FailedValidation), which has no start time
- refused-while-the-test-was-queued: a restore requested while the good test waited its turn (Velero runs one at
  a time) was refused after the test started: by start times it comes first
- failing-in-flight: the newest restore sits in WaitingForPluginOperationsPartiallyFailed or
  FinalizingPartiallyFailed, which end only PartiallyFailed, for hours
- failed-glob-alternatives: the failed restore names its namespaces {data-platform,vault-prod}, a gobwas glob
  Velero matches and fnmatch does not
- scratch-namespace-deleted: Completed with items into restore-test, which was deleted since, or is being
  deleted: nothing shows that the restored objects exist
- copies-deleted: restore-test is there, but the restored Deployments were deleted since (a cleanup job); its
  Services are left
- copies-not-restored: restore-test holds objects of the same names, but a pipeline applied them, or another
  restore (no velero.io/restore-name label of this restore): the restore skipped them or made nothing
- copies-of-another-backup: the copies carry this restore's name but another backup's (velero.io/backup-name)
- copies-terminating: every copy has a deletionTimestamp (held by finalizers after a cleanup job)
- copies-from-before: the Restore was deleted and made again under the same name; the copies, labelled alike,
  were made by its first run, before this one was requested
- copies-made-after: the namespace's labelled copies were created hours after the restore completed (applied
  from exported YAML)
- owned-copies-deleted: the namespace's operator-owned Service (Velero restores it without owner references)
  has no copy, and is not looked for if owned objects are skipped
- in-place-mostly-skipped: in place into a namespace GitOps recreated just before the restore, with its objects:
  Velero skipped them and made one Service, which a "some object is labelled" rule accepts
"""
from fixtures.kube import ref
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import age_s, go_duration_s, shown
from readiness.verdict import fail, require_data
from suites.phase5.restored import copies_missing
from suites.phase5.velero import (SCHEDULE_LABEL, Cluster, backups_of, default_location,
                                  effective_template, includes_namespace, latest_finished, location_refusal,
                                  locations_by_ref, not_validated, restore_faults, retention,
                                  runs, snapshot_locations_unproven, spec_errors, stamp_problem,
                                  storage_location, template, unusable)

# A restore Velero gave up on or ran with errors; the two in-flight phases are entered only with errors and end
# PartiallyFailed (restore_operations_controller.go, restore_finalizer_controller.go).
FAILED = ("Failed", "PartiallyFailed", "FailedValidation", "WaitingForPluginOperationsPartiallyFailed",
          "FinalizingPartiallyFailed")
NO_SCHEDULE = "velero: no Schedule backs up anything (the schedules API answered with none)"


def location_faults(bsl: dict, max_age_s: float) -> list[str]:
    """Why Velero cannot write backups to a location now (empty: it can)."""
    spec, status = bsl.get("spec") or {}, bsl.get("status") or {}
    faults = []
    if status.get("phase") != "Available":
        faults.append(f"phase {status.get('phase', 'unknown')}" + (f" ({status['message']})" if status.get("message")
                                                                    else ""))
    if spec.get("accessMode") == "ReadOnly":
        faults.append("accessMode ReadOnly, so Velero refuses every backup to it")
    frequency = spec.get("validationFrequency")
    if frequency is not None:               # a negative one means the server's (IsReadyToValidate)
        seconds = go_duration_s(frequency)
        if seconds is None:
            faults.append(f"validationFrequency {frequency!r} is not a Go duration, so Velero cannot read the "
                          "location")
        elif seconds == 0:
            faults.append(f"validationFrequency {frequency}: Velero never validates it again, so its phase is "
                          "stale")
    age = age_s(status.get("lastValidationTime"))
    impossible = stamp_problem(status, "lastValidationTime", age)
    if impossible:
        faults.append(f"last validated never ({impossible})" if age is None else impossible)
    elif age > max_age_s:
        faults.append(f"last validated {shown(age)} ago, expected within {shown(max_age_s)}")
    return faults


@criterion("P5-BACKUP-LOCATION", 5, "Backup storage reachable", severity="critical",
           requirement="The default BackupStorageLocation (the one marked default, else the server's default "
                       "location named default) and every one a validated Schedule writes to is Available, writable "
                       "(not ReadOnly, validation not disabled) and was validated by Velero within the profile's "
                       "window.",
           next_step="velero backup-location get: an Unavailable location's message names the bucket, "
                     "credentials or endpoint; check the object store and the cloud credentials Secret.",
           profile_keys=("phase5.location_max_age_s",))
def test_backup_storage_locations_available_and_validated(snapshot, profile):
    locations = locations_by_ref(snapshot)
    require_data(locations, "velero backupstoragelocations", "GET /apis/velero.io/v1/backupstoragelocations")
    used, problems, rows = {}, [], []
    for namespace in sorted({bsl["metadata"]["namespace"] for bsl in locations.values()}):
        name, how = default_location(namespace, locations)
        if f"{namespace}/{name}" in locations:
            used[f"{namespace}/{name}"] = how
    for schedule in snapshot.items("schedules"):
        if not_validated(schedule):
            continue                # Velero makes no backup of it, so it writes nowhere
        namespace, name = schedule["metadata"]["namespace"], template(schedule).get("storageLocation")
        if name:
            used.setdefault(f"{namespace}/{name}", f"schedule {ref(schedule)}")
        elif f"{namespace}/{storage_location(schedule, locations)}" not in locations:
            problems.append(f"schedule {ref(schedule)}: names no storage location and none is the default (none "
                            "is marked spec.default and the server's default location, "
                            f"{storage_location(schedule, locations)!r}, does not exist)")
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


def schedule_faults(schedule: dict, kept_s: float | None, kept: str, wanted_s: float, own: list[dict],
                    locations: dict[str, dict]) -> list[str]:
    """Why a schedule's backups do not count (empty: Velero runs it, accepts its backups and keeps them long
    enough). ``own``: its backups (``backups_of``)."""
    faults = ["paused"] if (schedule.get("spec") or {}).get("paused") else []
    unvalidated = not_validated(schedule)
    if unvalidated:
        faults.append(unvalidated)
    errors = spec_errors(template(schedule))
    if errors:
        faults.append(f"Velero fails every backup of it ({'; '.join(errors)})")
    namespace = schedule["metadata"]["namespace"]
    how = "" if template(schedule).get("storageLocation") else default_location(namespace, locations)[1]
    refused = location_refusal(namespace, storage_location(schedule, locations), locations, how)
    if refused:
        faults.append(f"Velero fails every backup of it: {refused}")
    unproven = snapshot_locations_unproven(schedule, own)
    if unproven:
        faults.append(unproven)
    if kept_s is None:
        faults.append(kept)
    elif kept_s + 60 < wanted_s:         # a server default read from a backup is off by the seconds it took
        faults.append(f"{kept}, expected at least {wanted_s / 3600:g}h")
    return faults


RAN = ("Completed", "PartiallyFailed")        # a backup Velero accepted and ran to its end


def schedule_gaps(cluster: Cluster, spec: dict, ran: dict | None, namespace: str) -> list[str]:
    """Why a schedule that counts does not back ``namespace`` up whole (empty: it does): its template (``spec``,
    with what the server fills in), then the volume data its newest backup that ran (``ran``) saved."""
    gaps = cluster.not_whole(spec, namespace)
    if gaps or ran is None or not includes_namespace(ran.get("spec") or {}, namespace):
        return gaps
    return cluster.no_volume_data(ran, namespace)


@criterion("P5-BACKUP-SCHEDULE", 5, "Backups scheduled for every namespace", severity="critical",
           requirement="Every platform namespace is backed up whole by a Schedule Velero validated (phase "
                       "Enabled), that is not paused, whose backups Velero accepts (its storage location exists, is "
                       "writable and Available; its snapshot locations exist) and keeps at least the profile's "
                       "retention: its namespace filter (globs included) takes the namespace, no label selector, "
                       "resource filter, exclude-from-backup label or unreviewed resource policy narrows it, its "
                       "PersistentVolumes are not left out, and volume data is snapshotted or file-system backed up "
                       "(its newest backup attempted it).",
           next_step="velero schedule describe NAME: unpause (velero schedule unpause), fix the validation errors, "
                     "point it at a writable, Available storage location, widen includedNamespaces or drop the "
                     "selector and resource filters and exclude-from-backup labels, enable snapshots or "
                     "--default-volumes-to-fs-backup, or raise --ttl.",
           profile_keys=("phase5.namespaces", "phase5.min_ttl_hours", "phase5.excludable_resources",
                         "phase5.reviewed_resource_policies"))
def test_enabled_schedules_cover_every_namespace_with_retention(snapshot, profile):
    cluster, backups, locations = Cluster.read(snapshot, profile), snapshot.items("backups"), locations_by_ref(snapshot)
    wanted_s, platform = profile.phase5.min_ttl_hours * 3600, profile.backup_namespaces
    schedules = snapshot.items("schedules")
    problems, rows, counted = [] if schedules else [NO_SCHEDULE], [], []
    for schedule in schedules:
        own = backups_of(schedule, backups, locations)
        spec = effective_template(schedule, own)
        kept_s, kept = retention(schedule, own)
        faults = schedule_faults(schedule, kept_s, kept, wanted_s, own, locations)
        touched = [ns for ns in platform if includes_namespace(spec, ns)]
        rows.append([ref(schedule), (schedule.get("spec") or {}).get("schedule"), "; ".join(faults) or "counts",
                     kept, ",".join(spec.get("includedNamespaces") or ["*"]), ",".join(touched)])
        if touched:
            problems += [f"schedule {ref(schedule)}: {why}" for why in faults]
            if not faults:
                ran = next((b for b in own if (b.get("status") or {}).get("phase") in RAN), None)
                counted.append((schedule, spec, ran))
    for namespace in platform:
        if cluster.label_excluded(namespace):
            problems.append(f"namespace {namespace}: labelled velero.io/exclude-from-backup=true, which Velero "
                            "leaves out of every backup")
            continue
        gaps = {ref(s): schedule_gaps(cluster, spec, ran, namespace) for s, spec, ran in counted
                if includes_namespace(spec, namespace)}
        if not any(not why for why in gaps.values()):
            detail = " | ".join(f"{r}: {'; '.join(why)}" for r, why in gaps.items())
            problems.append(f"namespace {namespace}: no validated, unpaused schedule with enough retention backs it "
                            "up whole" + (f" ({detail})" if detail else ""))
    attach_table("backup schedules", ["schedule", "cron", "state", "retention", "namespaces", "platform ones"], rows)
    fail(problems)


def _completed(backup: dict) -> str:
    return (backup.get("status") or {}).get("completionTimestamp") or ""


@criterion("P5-BACKUP-RECENT", 5, "Latest backups completed", severity="critical",
           requirement="Every platform namespace is backed up whole, its claims' volume data included, by a Backup "
                       "of this cluster (not in a ReadOnly or missing storage location) that Completed without "
                       "errors within the profile's window and wrote items (status.progress), unexpired; and the "
                       "latest finished Backup in its own storage location of every Schedule Velero runs for the "
                       "platform Completed the same way.",
           next_step="velero backup describe NAME --details and velero backup logs NAME: the errors name the "
                     "resources or volumes that failed.", profile_keys=("phase5.backup_max_age_s",))
def test_latest_backup_of_each_schedule_completed_recently(snapshot, profile):
    cluster, backups, locations = Cluster.read(snapshot, profile), snapshot.items("backups"), locations_by_ref(snapshot)
    window, platform = profile.phase5.backup_max_age_s, profile.backup_namespaces
    problems, rows = [], []
    every = snapshot.items("schedules")
    schedules = [s for s in every if runs(s) and any(includes_namespace(template(s), ns) for ns in platform)]
    if not every:
        problems.append(NO_SCHEDULE)
    elif not schedules:
        problems.append("velero: no validated, unpaused schedule backs up the platform's namespaces, so no backup "
                        "of them is made")
    for schedule in schedules:
        backup = latest_finished(schedule, backups, locations)
        if backup is None:
            problems.append(f"schedule {ref(schedule)}: no finished backup at all in its storage location "
                            f"{storage_location(schedule, locations)}")
            continue
        status, faults = backup.get("status") or {}, unusable(backup, locations)
        rows.append([ref(schedule), backup["metadata"]["name"], status.get("phase"), status.get("completionTimestamp"),
                     (status.get("progress") or {}).get("itemsBackedUp", "-"), status.get("errors", 0),
                     status.get("warnings", 0)])
        if faults:
            problems.append(f"backup {ref(backup)} (schedule {schedule['metadata']['name']}): {'; '.join(faults)}")
    good = sorted((b for b in backups if not unusable(b, locations)), key=_completed, reverse=True)
    for namespace in platform:
        newest = next((b for b in good if not cluster.backup_not_whole(b, namespace)), None)
        if newest is None:
            near = sorted((b for b in backups if includes_namespace(b.get("spec") or {}, namespace)),
                          key=lambda b: (b.get("status") or {}).get("startTimestamp") or "", reverse=True)[:1]
            hint = [f"newest including it: backup {ref(b)}: "
                    f"{'; '.join(unusable(b, locations) or cluster.backup_not_whole(b, namespace))}" for b in near]
            problems.append(f"namespace {namespace}: no Completed backup with items backs it up whole"
                            + (f" ({hint[0]})" if hint else ""))
            continue
        age = age_s(_completed(newest))
        if age > window:
            problems.append(f"namespace {namespace}: its newest whole backup {ref(newest)} completed {shown(age)} "
                            f"ago, expected within {shown(window)}")
    attach_table("latest backups", ["schedule", "backup", "phase", "completed", "items", "errors", "warnings"], rows)
    fail(problems)


def restore_gaps(restore: dict, source: dict | None, cluster: Cluster, namespace: str) -> list[str]:
    """Why a restore did not put ``namespace`` back whole into a fresh namespace (empty: it did): its own filters,
    its backup's (when Velero still has it), and where it restored to."""
    spec, name = restore.get("spec") or {}, (restore.get("spec") or {}).get("backupName")
    gaps = []
    partial = cluster.left_out(spec, namespace, restore=True)
    if partial:
        gaps.append(f"restores {namespace} only in part: {'; '.join(partial)}")
    if source is not None:
        status = source.get("status") or {}
        held = [] if status.get("phase") == "Completed" else [f"it is {status.get('phase') or 'not finished'}"]
        held += cluster.backup_not_whole(source, namespace)
        if held:
            gaps.append(f"its backup {name} does not hold {namespace} whole: {'; '.join(held)}")
    fresh = cluster.restored_fresh(restore, namespace)
    if fresh:
        gaps.append(fresh)
    if not gaps:
        missing = copies_missing(cluster, restore, source, namespace)
        gaps += [missing] if missing else []
    return gaps


def requested(obj: dict) -> str:
    return obj["metadata"].get("creationTimestamp") or ""


def source_spec(restore: dict, backups: dict[str, dict], schedules: dict[str, dict]) -> dict | None:
    """What a restore restores from: its backup's spec, else (a restore that failed before Velero chose a backup)
    its schedule's template; None when neither is known."""
    spec, namespace = restore.get("spec") or {}, restore["metadata"]["namespace"]
    source = backups.get(f"{namespace}/{spec.get('backupName')}")
    if source is not None:
        return source.get("spec") or {}
    schedule = schedules.get(f"{namespace}/{spec.get('scheduleName')}")
    return template(schedule) if schedule is not None else None


def platform_taken(restore: dict, source: dict | None, platform: list[str]) -> list[str]:
    """The platform namespaces a restore takes: its namespace filter's, of those its source holds (when known)."""
    spec = restore.get("spec") or {}
    return [ns for ns in platform
            if includes_namespace(spec, ns) and (source is None or includes_namespace(source, ns))]


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
    taken = platform_taken(restore, None if source is None else source.get("spec") or {}, platform)
    if not asked:
        faults.append(f"its namespaces ({','.join(spec.get('includedNamespaces') or ['*'])}) match none of the "
                      "platform's")
    elif not taken:
        held = ",".join((source.get("spec") or {}).get("includedNamespaces") or ["*"])
        faults.append(f"its backup {name} holds none of the platform's namespaces it asks for (it holds {held})")
    else:
        gaps = {ns: restore_gaps(restore, source, cluster, ns) for ns in taken}
        if all(gaps.values()):
            faults += gaps[taken[0]]
    return faults


@criterion("P5-RESTORE-TEST", 5, "Restore tested recently", severity="critical",
           requirement="A Restore from a scheduled Backup that held the namespace whole Completed within the "
                       "profile's window without errors, restoring items (status.progress) of at least one platform "
                       "namespace whole into a namespace that did not hold them already (a namespaceMapping to a "
                       "scratch namespace, or one the restore created), where the copies it made of the "
                       "namespace's workloads, services and claims are still to be seen: a backup never restored "
                       "is not known to work, and Velero counts the objects it skipped because they existed as "
                       "restored.",
           next_step="Restore the latest scheduled backup into a scratch namespace that does not exist yet "
                     "(velero restore create --from-backup NAME --include-namespaces NS --namespace-mappings "
                     "NS:restore-test-DATE, with a resource modifier scaling its workloads to zero), check the "
                     "data, and keep the namespace until the next drill Completed; then delete the older one.",
           profile_keys=("phase5.restore_max_age_days", "phase5.namespaces", "phase5.excludable_resources"))
def test_restore_from_scheduled_backup_completed_recently(snapshot, profile):
    backups = {ref(b): b for b in snapshot.items("backups")}
    cluster, platform = Cluster.read(snapshot, profile), profile.backup_namespaces
    window = profile.phase5.restore_max_age_days * 86400
    schedules = {ref(s): s for s in snapshot.items("schedules")}
    rows, newest, rejected, failed, good = [], None, [], [], []
    for restore in snapshot.items("restores"):
        status, spec = restore.get("status") or {}, restore.get("spec") or {}
        faults = restore_test_faults(restore, backups, cluster, platform)
        rows.append([ref(restore), spec.get("backupName") or spec.get("scheduleName"),
                     ",".join(spec.get("includedNamespaces") or ["*"]), status.get("phase"),
                     (status.get("progress") or {}).get("itemsRestored", "-"), status.get("completionTimestamp"),
                     "; ".join(faults) or "counts"])
        if faults:
            rejected.append(f"restore {ref(restore)}: {'; '.join(faults)}")
            if status.get("phase") in FAILED and platform_taken(restore, source_spec(restore, backups, schedules),
                                                                platform):
                failed.append(restore)
            continue
        good.append(restore)
        age = age_s(status["completionTimestamp"])
        newest = age if newest is None else min(newest, age)
    attach_table("restores", ["restore", "from", "namespaces", "phase", "items", "completed", "verdict"], rows)
    if newest is None:
        fail([f"velero: no restore of a scheduled backup into the platform's namespaces Completed with items "
              f"({len(rows)} restores seen)"] + rejected)
    problems = []
    # Ordered as they were requested (one clock, the API server's; a FailedValidation restore has no start time),
    # a tie counting as later: Velero runs restores one at a time, in that order.
    last_good = max(good, key=requested)
    since = [r for r in failed if not requested(r) or requested(r) >= requested(last_good)]
    if since:
        last = max(since, key=requested)
        taken = ",".join((last.get("spec") or {}).get("includedNamespaces") or ["*"])
        problems.append(f"restore {ref(last)} of {taken}, requested {requested(last) or 'at no recorded time'}: "
                        f"{'; '.join(restore_faults(last))}, after the last good restore test {ref(last_good)} "
                        f"(requested {requested(last_good)}): restores fail now")
    if newest > window:
        problems.append(f"velero: the last completed restore from a scheduled backup was {shown(newest)} ago, "
                        f"expected within {profile.phase5.restore_max_age_days:g} days")
    fail(problems)
