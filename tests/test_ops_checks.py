"""Phases 5 and 7 on recorded answers: the edges that decide a verdict (extra proof; each criterion is also
proven against the sandbox in test_faults.py)."""
from __future__ import annotations

from readiness.profile import load_profile
from readiness.timing import go_duration_s
from suites.phase5.test_backups import covers, latest_backup
from suites.phase5.test_backups import test_restore_from_scheduled_backup_completed_recently as restore_check
from suites.phase5.test_backups import test_enabled_schedules_cover_every_namespace_with_retention as schedule_check
from suites.phase7.test_gitops import test_every_platform_workload_is_managed_by_an_application as drift_check
from suites.phase7.test_gitops import tracked_by
from tests.builders import stamp
from tests.fakes import FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")


def world(**objects) -> dict:
    return {**empty_world(PROFILE), "snapshot": FakeSnapshot(objects)}


def schedule(name: str, included=None, excluded=None, ttl="720h0m0s", paused=False) -> dict:
    template = {"ttl": ttl, **({"includedNamespaces": included} if included else {}),
                **({"excludedNamespaces": excluded} if excluded else {})}
    return {"metadata": {"namespace": "velero", "name": name}, "spec": {"schedule": "0 2 * * *", "paused": paused,
                                                                         "template": template},
            "status": {"phase": "Enabled"}}


def test_go_durations():
    assert go_duration_s("720h0m0s") == 720 * 3600 and go_duration_s("1h30m") == 5400
    assert go_duration_s("30d") is None and go_duration_s("") is None


def test_schedule_coverage_follows_included_and_excluded_namespaces():
    assert covers(schedule("a"), "vault-prod")
    assert not covers(schedule("a", excluded=["vault-prod"]), "vault-prod")
    assert not covers(schedule("a", included=["data-platform"]), "vault-prod")
    verdict, message = run_check(schedule_check, world(schedules=[
        schedule("all-but-vault", excluded=["vault-prod"]), schedule("vault-short", included=["vault-prod"], ttl="168h"),
        schedule("vault-paused", included=["vault-prod"], paused=True)]))
    assert verdict == "failed"
    assert "schedule velero/vault-short: ttl 168h, expected at least 720h" in message
    assert "schedule velero/vault-paused: paused" in message
    assert "namespace vault-prod: no enabled schedule" in message and "namespace data-platform" not in message


def test_latest_backup_is_the_newest_of_its_own_schedule():
    def backup(name, schedule_name, hours_ago):
        return {"metadata": {"namespace": "velero", "name": name, "labels": {"velero.io/schedule-name": schedule_name}},
                "status": {"startTimestamp": stamp(hours_ago * 3600)}}
    found = latest_backup(schedule("daily"), [backup("old", "daily", 30), backup("new", "daily", 2),
                                              backup("other", "weekly", 1)])
    assert found["metadata"]["name"] == "new"


def test_a_restore_of_a_manual_backup_or_a_failed_restore_is_not_a_restore_test():
    backups = [{"metadata": {"namespace": "velero", "name": "manual"}, "status": {}}]
    restores = [
        {"metadata": {"namespace": "velero", "name": "r1"}, "spec": {"backupName": "manual"},
         "status": {"phase": "Completed", "completionTimestamp": stamp(3600)}},
        {"metadata": {"namespace": "velero", "name": "r2"}, "spec": {"scheduleName": "daily"},
         "status": {"phase": "PartiallyFailed", "completionTimestamp": stamp(3600)}}]
    verdict, message = run_check(restore_check, world(backups=backups, restores=restores))
    assert verdict == "failed" and "no Restore from a scheduled backup has Completed (2 restores seen)" in message


def test_tracking_annotation_names_its_application_and_unknown_applications_fail():
    annotated = {"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "payments:apps/Deployment:x/y"}}}
    assert tracked_by(annotated) == "payments"
    app = {"metadata": {"namespace": "argocd", "name": "data-platform"}, "spec": {"project": "default"}}
    workload = {"metadata": {"namespace": "data-platform", "name": "trino",
                             "labels": {"app.kubernetes.io/instance": "gone"}}, "spec": {}}
    verdict, message = run_check(drift_check, world(applications=[app], deployments=[workload]))
    assert verdict == "failed" and "tracked by Application gone, which does not exist" in message


def test_a_schedule_without_location_needs_a_default_one():
    from suites.phase5.test_backups import test_backup_storage_locations_available_and_validated as location_check
    bsl = {"metadata": {"namespace": "velero", "name": "secondary"}, "spec": {"default": False},
           "status": {"phase": "Available", "lastValidationTime": stamp(60)}}
    verdict, message = run_check(location_check, world(backupstoragelocations=[bsl], schedules=[schedule("daily")]))
    assert verdict == "failed" and "schedule velero/daily: names no storage location and none is the default" in message
