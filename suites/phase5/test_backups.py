"""Phase 5, backup and DR: Velero's storage locations, schedules, latest backups and restore tests."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import age_s, go_duration_s, shown
from readiness.verdict import fail, require_data

SCHEDULE_LABEL = "velero.io/schedule-name"


def _ref(obj: dict) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def enabled(schedule: dict) -> bool:
    return not schedule["spec"].get("paused") and (schedule.get("status") or {}).get("phase", "Enabled") == "Enabled"


def covers(schedule: dict, namespace: str) -> bool:
    template = schedule["spec"].get("template") or {}
    included = template.get("includedNamespaces") or ["*"]
    return ("*" in included or namespace in included) and namespace not in (template.get("excludedNamespaces") or [])


def _schedules(snapshot) -> list[dict]:
    found = snapshot.items("schedules")
    require_data(found, "velero schedules", "GET /apis/velero.io/v1/schedules (no backup is scheduled at all)")
    return found


@criterion("P5-BACKUP-LOCATION", 5, "Backup storage reachable", severity="critical",
           requirement="Every BackupStorageLocation the backup schedules write to (or the default one) is "
                       "Available and was validated by Velero within the profile's window.",
           next_step="velero backup-location get: an Unavailable location's message names the bucket, "
                     "credentials or endpoint; check the object store and the cloud credentials Secret.",
           profile_keys=("phase5.location_max_age_s",))
def test_backup_storage_locations_available_and_validated(snapshot, profile):
    locations = {_ref(bsl): bsl for bsl in snapshot.items("backupstoragelocations")}
    require_data(locations, "velero backupstoragelocations", "GET /apis/velero.io/v1/backupstoragelocations")
    defaults = [ref for ref, bsl in locations.items() if bsl["spec"].get("default")]
    used, problems, rows = set(), [], []
    for schedule in _schedules(snapshot):
        name = (schedule["spec"].get("template") or {}).get("storageLocation")
        if name:
            used.add(f"{schedule['metadata']['namespace']}/{name}")
        elif defaults:
            used |= set(defaults)
        else:
            problems.append(f"schedule {_ref(schedule)}: names no storage location and none is the default")
    for ref in sorted(used):
        bsl = locations.get(ref)
        if bsl is None:
            problems.append(f"backupstoragelocation {ref}: used by a schedule but not found")
            continue
        status = bsl.get("status") or {}
        age = age_s(status.get("lastValidationTime"))
        rows.append([ref, status.get("phase", "-"), status.get("lastValidationTime", "-"), status.get("message", "")])
        if status.get("phase") != "Available":
            problems.append(f"backupstoragelocation {ref}: phase {status.get('phase', 'unknown')}"
                            + (f" ({status['message']})" if status.get("message") else ""))
        elif age is None or age > profile.phase5.location_max_age_s:
            problems.append(f"backupstoragelocation {ref}: last validated "
                            f"{'never' if age is None else shown(age) + ' ago'}, expected within "
                            f"{shown(profile.phase5.location_max_age_s)}")
    attach_table("backup storage locations", ["location", "phase", "last validated", "message"], rows)
    fail(problems)


@criterion("P5-BACKUP-SCHEDULE", 5, "Backups scheduled for every namespace", severity="critical",
           requirement="Enabled, unpaused backup Schedules cover every platform namespace (by included "
                       "namespaces, or all but the excluded ones), and each keeps its backups at least the "
                       "profile's retention.",
           next_step="velero schedule get: unpause (velero schedule unpause), add the missing namespace to a "
                     "schedule's includedNamespaces, or raise its --ttl.",
           profile_keys=("phase5.namespaces", "phase5.min_ttl_hours"))
def test_enabled_schedules_cover_every_namespace_with_retention(snapshot, profile):
    wanted_ttl = profile.phase5.min_ttl_hours * 3600
    problems, rows, good = [], [], []
    for schedule in _schedules(snapshot):
        ref, template = _ref(schedule), schedule["spec"].get("template") or {}
        ttl = go_duration_s(template.get("ttl") or "720h")       # Velero's default TTL is 30 days
        rows.append([ref, schedule["spec"].get("schedule"), enabled(schedule), template.get("ttl", "720h (default)"),
                     ",".join(template.get("includedNamespaces") or ["*"])])
        if schedule["spec"].get("paused"):
            problems.append(f"schedule {ref}: paused")
        elif not enabled(schedule):
            problems.append(f"schedule {ref}: phase {schedule['status'].get('phase')} "
                            f"({'; '.join(schedule['status'].get('validationErrors') or [])})")
        elif ttl is None or ttl < wanted_ttl:
            problems.append(f"schedule {ref}: ttl {template.get('ttl')}, expected at least "
                            f"{profile.phase5.min_ttl_hours:g}h")
        else:
            good.append(schedule)
    for namespace in profile.backup_namespaces:
        if not any(covers(s, namespace) for s in good):
            problems.append(f"namespace {namespace}: no enabled schedule with enough retention backs it up")
    attach_table("backup schedules", ["schedule", "cron", "enabled", "ttl", "namespaces"], rows)
    fail(problems)


def latest_backup(schedule: dict, backups: list[dict]) -> dict | None:
    own = [b for b in backups if (b["metadata"].get("labels") or {}).get(SCHEDULE_LABEL) == schedule["metadata"]["name"]
           and b["metadata"]["namespace"] == schedule["metadata"]["namespace"]]
    stamp = lambda b: (b.get("status") or {}).get("startTimestamp") or b["metadata"].get("creationTimestamp", "")
    return max(own, key=stamp, default=None)


@criterion("P5-BACKUP-RECENT", 5, "Latest backups completed", severity="critical",
           requirement="The latest Backup of every enabled Schedule Completed without errors within the profile's "
                       "window.",
           next_step="velero backup describe NAME --details and velero backup logs NAME: the errors name the "
                     "resources or volumes that failed.", profile_keys=("phase5.backup_max_age_s",))
def test_latest_backup_of_each_schedule_completed_recently(snapshot, profile):
    backups = snapshot.items("backups")
    window = profile.phase5.backup_max_age_s
    problems, rows = [], []
    schedules = [s for s in _schedules(snapshot) if enabled(s)]
    if not schedules:
        problems.append("velero: no enabled schedule, so no backup is made")
    for schedule in schedules:
        backup = latest_backup(schedule, backups)
        if backup is None:
            problems.append(f"schedule {_ref(schedule)}: no backup at all")
            continue
        status = backup.get("status") or {}
        age = age_s(status.get("completionTimestamp"))
        rows.append([_ref(schedule), backup["metadata"]["name"], status.get("phase"), status.get("completionTimestamp"),
                     status.get("errors", 0), status.get("warnings", 0)])
        name = f"backup {_ref(backup)} (schedule {schedule['metadata']['name']})"
        if status.get("phase") != "Completed":
            problems.append(f"{name}: {status.get('phase', 'no phase')}, {status.get('errors', 0)} errors, "
                            f"{status.get('warnings', 0)} warnings")
        elif status.get("errors"):
            problems.append(f"{name}: Completed with {status['errors']} errors")
        elif age is None or age > window:
            problems.append(f"{name}: completed {'never' if age is None else shown(age) + ' ago'}, expected within "
                            f"{shown(window)}")
    attach_table("latest backups", ["schedule", "backup", "phase", "completed", "errors", "warnings"], rows)
    fail(problems)


@criterion("P5-RESTORE-TEST", 5, "Restore tested recently", severity="critical",
           requirement="A Restore from a scheduled Backup Completed within the profile's window: a backup never "
                       "restored is not known to work.",
           next_step="Restore the latest scheduled backup into a scratch namespace (velero restore create "
                     "--from-backup NAME --namespace-mappings ...), check the data, then delete the namespace.",
           profile_keys=("phase5.restore_max_age_days",))
def test_restore_from_scheduled_backup_completed_recently(snapshot, profile):
    backups = {_ref(b): b for b in snapshot.items("backups")}
    window = profile.phase5.restore_max_age_days * 86400
    rows, newest = [], None
    for restore in snapshot.items("restores"):
        status = restore.get("status") or {}
        source = backups.get(f"{restore['metadata']['namespace']}/{restore['spec'].get('backupName')}")
        scheduled = bool(source and (source["metadata"].get("labels") or {}).get(SCHEDULE_LABEL)) or bool(
            restore["spec"].get("scheduleName"))
        rows.append([_ref(restore), restore["spec"].get("backupName") or restore["spec"].get("scheduleName"),
                     scheduled, status.get("phase"), status.get("completionTimestamp")])
        age = age_s(status.get("completionTimestamp"))
        if scheduled and status.get("phase") == "Completed" and age is not None and (newest is None or age < newest):
            newest = age
    attach_table("restores", ["restore", "from", "scheduled backup", "phase", "completed"], rows)
    if newest is None:
        fail(f"velero: no Restore from a scheduled backup has Completed ({len(rows)} restores seen)")
    if newest > window:
        fail(f"velero: the last completed restore from a scheduled backup was {shown(newest)} ago, expected within "
             f"{profile.phase5.restore_max_age_days:g} days")
