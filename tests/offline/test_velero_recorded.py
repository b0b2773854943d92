"""Phase 5 on Velero's own answers, recorded from the sandbox's real Velero v1.18.3 (extra proof; the same states
are proven live in tests/live/test_faults.py). ``tests/offline/recorded/velero/``: the location, schedules,
backups and restores as the API server listed them, healed and under two faults, with every namespace and claim
and the top-level objects of data-platform and of the restore drills' namespaces (scripts/record_velero.py);
their timestamps are moved so that the newest validation is a minute old."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from readiness.profile import load_profile
from suites.phase5.test_backups import test_backup_storage_locations_available_and_validated as location_check
from suites.phase5.test_backups import test_enabled_schedules_cover_every_namespace_with_retention as schedule_check
from suites.phase5.test_backups import test_latest_backup_of_each_schedule_completed_recently as recent_check
from suites.phase5.test_backups import test_restore_from_scheduled_backup_completed_recently as restore_check
from tests.fakes import FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")
RECORDED = Path(__file__).parent / "recorded" / "velero"
CHECKS = {"P5-BACKUP-LOCATION": location_check, "P5-BACKUP-SCHEDULE": schedule_check,
          "P5-BACKUP-RECENT": recent_check, "P5-RESTORE-TEST": restore_check}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _moved(value, by: dt.timedelta):
    if isinstance(value, dict):
        return {key: _moved(item, by) for key, item in value.items()}
    if isinstance(value, list):
        return [_moved(item, by) for item in value]
    if isinstance(value, str) and STAMP.match(value):
        when = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ") + by
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def recorded(name: str, without: tuple[str, ...] = ()) -> dict[str, list]:
    """The recorded lists, less the objects named in ``without`` (an earlier state: before they were made)."""
    answer = json.loads((RECORDED / f"{name}.json").read_text())
    newest = max(dt.datetime.strptime(bsl["status"]["lastValidationTime"], "%Y-%m-%dT%H:%M:%SZ")
                 for bsl in answer["backupstoragelocations"])
    by = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=1) - newest
    return {kind: [item for item in _moved(items, by) if item["metadata"]["name"] not in without]
            for kind, items in answer.items()}


def test_the_recorded_drill_restored_copies_velero_labelled():
    """The drill's namespace holds data-platform's workloads as Velero restored them: labelled with the restore's
    name and scaled to zero by the drill's resource modifiers."""
    velero = recorded("healed")
    drill = max(_names(velero, "restores", "Completed"))
    copies = [o for o in velero["deployments"] + velero["statefulsets"] if o["metadata"]["namespace"] == drill]
    assert copies and all(o["metadata"]["labels"]["velero.io/restore-name"] == drill and o["spec"]["replicas"] == 0
                          for o in copies)


def test_the_healed_drill_fails_once_its_namespace_is_deleted():
    velero = recorded("healed")
    drill = max(_names(velero, "restores", "Completed"))
    velero["namespaces"] = [n for n in velero["namespaces"] if n["metadata"]["name"] != drill]
    verdict, message = verdicts(velero)["P5-RESTORE-TEST"]
    assert verdict == "failed" and f"restored data-platform into {drill}, which no longer exists or is being deleted" in message, message


def verdicts(recorded_lists: dict[str, list]) -> dict[str, tuple[str, str]]:
    world = {**empty_world(PROFILE), "snapshot": FakeSnapshot(recorded_lists)}
    return {cid: run_check(check, world) for cid, check in CHECKS.items()}


def _names(velero: dict[str, list], kind: str, phase: str) -> list[str]:
    return sorted(o["metadata"]["name"] for o in velero[kind] if o["status"].get("phase") == phase)


def test_the_healed_sandbox_passes_every_backup_criterion():
    """After the faults were healed: a PartiallyFailed backup followed by a Completed one, a restore that failed
    validation followed by a Completed one."""
    velero = recorded("healed")
    assert _names(velero, "backups", "PartiallyFailed") and _names(velero, "restores", "FailedValidation")
    assert verdicts(velero) == {cid: ("passed", "") for cid in CHECKS}


@pytest.mark.parametrize("state, needle", [
    ("store-stopped", "connect: connection refused"),
    ("key-rotated", "InvalidAccessKeyId: The access key ID you provided does not exist in our records"),
])
def test_a_location_velero_found_unavailable_fails(state, needle):
    verdict, message = verdicts(recorded(state))["P5-BACKUP-LOCATION"]
    assert verdict == "failed" and "backupstoragelocation velero/default: phase Unavailable" in message, message
    assert needle in message, message


def test_a_restore_that_failed_validation_after_the_last_good_one_fails_the_restore_test():
    velero = recorded("store-stopped")
    failed = _names(velero, "restores", "FailedValidation")[-1]
    verdict, message = verdicts(velero)["P5-RESTORE-TEST"]
    assert verdict == "failed" and f"restore velero/{failed} of data-platform" in message, message
    assert "The BSL default is unavailable, cannot retrieve the backup" in message and "restores fail now" in message


def test_a_partially_failed_newest_backup_fails_recent_backups():
    """The state before the healing backup was taken: the daily schedule's newest backup is the one whose
    pre-backup hooks failed."""
    velero = recorded("healed")
    partial = _names(velero, "backups", "PartiallyFailed")[0]
    later = [b["metadata"]["name"] for b in velero["backups"]
             if b["metadata"]["name"].startswith("daily-platform-") and b["metadata"]["name"] > partial]
    verdict, message = verdicts(recorded("healed", without=tuple(later)))["P5-BACKUP-RECENT"]
    assert verdict == "failed", message
    assert f"backup velero/{partial} (schedule daily-platform): PartiallyFailed, 4 errors" in message, message
