"""Phases 5 and 7 on recorded answers: the edges that decide a verdict (extra proof; each criterion is also
proven against the sandbox in test_faults.py)."""
from __future__ import annotations

import copy
import datetime as dt
import json

from readiness.profile import load_profile
from readiness.timing import go_duration_s
from sandbox.manifests import platform
from sandbox.run import kube
from sandbox.faults.registry import FAULTS
from suites.phase5.test_backups import test_backup_storage_locations_available_and_validated as location_check
from suites.phase5.test_backups import test_restore_from_scheduled_backup_completed_recently as restore_check
from suites.phase5.test_backups import test_enabled_schedules_cover_every_namespace_with_retention as schedule_check
from suites.phase5.velero import includes_namespace, latest_finished
from suites.phase7.argocd import tracking
from suites.phase7.test_gitops import test_applications_synced_healthy_and_automated as synced_check
from suites.phase7.test_gitops import test_every_platform_workload_is_managed_by_an_application as drift_check
from tests.builders import stamp
from tests.fakes import FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")


def world(**objects) -> dict:
    return {**empty_world(PROFILE), "snapshot": FakeSnapshot(objects)}


def namespaces() -> list[dict]:
    return [{"metadata": {"name": ns}} for ns in PROFILE.backup_namespaces]


def schedule(name: str, included=None, excluded=None, ttl="720h0m0s", paused=False) -> dict:
    template = {"ttl": ttl, **({"includedNamespaces": included} if included else {}),
                **({"excludedNamespaces": excluded} if excluded else {})}
    return {"metadata": {"namespace": "velero", "name": name}, "spec": {"schedule": "0 2 * * *", "paused": paused,
                                                                         "template": template},
            "status": {"phase": "Enabled"}}


def test_go_durations():
    assert go_duration_s("720h0m0s") == 720 * 3600 and go_duration_s("1h30m") == 5400
    assert go_duration_s("30d") is None and go_duration_s("") is None


def test_go_durations_read_as_time_parse_duration_reads_them():
    # a leading sign, a bare 0, fractions with digits on one side of the point, both micro signs
    assert go_duration_s("-1m") == -60 and go_duration_s("+1m") == 60 and go_duration_s("-1h30m") == -5400
    assert go_duration_s("0") == 0 and go_duration_s("-0") == 0 and go_duration_s("1.5h") == 5400
    assert go_duration_s(".5s") == 0.5 and go_duration_s("1.s") == 1
    assert go_duration_s("1µs") == go_duration_s("1μs") == 1e-6 and go_duration_s("2ms") == 0.002
    for bad in ("-", "+", "5", "h", ".s", "1h-1m", "1m5", "--1m", " 1m", "1 m", "1hm", "0x"):
        assert go_duration_s(bad) is None, bad


LOCATION = {"metadata": {"namespace": "velero", "name": "default"}, "spec": {"default": True},
            "status": {"phase": "Available", "lastValidationTime": stamp(60)}}


def test_schedule_coverage_follows_included_and_excluded_namespaces():
    template = lambda s: s["spec"]["template"]
    assert includes_namespace(template(schedule("a")), "vault-prod")
    assert not includes_namespace(template(schedule("a", excluded=["vault-prod"])), "vault-prod")
    assert not includes_namespace(template(schedule("a", included=["data-platform"])), "vault-prod")
    schedules = [schedule("all-but-vault", excluded=["vault-prod"]),
                 schedule("vault-short", included=["vault-prod"], ttl="168h"),
                 schedule("vault-paused", included=["vault-prod"], paused=True)]
    verdict, message = run_check(schedule_check, world(namespaces=namespaces(), backupstoragelocations=[LOCATION],
                                                       schedules=schedules))
    assert verdict == "failed"
    assert "schedule velero/vault-short: ttl 168h, expected at least 720h" in message
    assert "schedule velero/vault-paused: paused" in message
    assert "namespace vault-prod: no validated, unpaused schedule" in message
    assert "namespace data-platform" not in message


def test_latest_backup_is_the_newest_of_its_own_schedule_in_its_location():
    def backup(name, schedule_name, hours_ago, phase="Completed", location="default"):
        return {"metadata": {"namespace": "velero", "name": name, "labels": {"velero.io/schedule-name": schedule_name}},
                "spec": {"storageLocation": location},
                "status": {"phase": phase, "startTimestamp": stamp(hours_ago * 3600)}}
    found = latest_finished(schedule("daily"), [backup("old", "daily", 30), backup("new", "daily", 2),
                                                backup("other", "weekly", 1),
                                                backup("running", "daily", 0, "InProgress"),
                                                backup("synced", "daily", 1, location="archive")],
                            {"velero/default": LOCATION})
    assert found["metadata"]["name"] == "new"


def test_a_restore_of_a_manual_backup_or_a_failed_restore_is_not_a_restore_test():
    backups = [{"metadata": {"namespace": "velero", "name": "manual"}, "status": {}}]
    restores = [
        {"metadata": {"namespace": "velero", "name": "r1"}, "spec": {"backupName": "manual"},
         "status": {"phase": "Completed", "completionTimestamp": stamp(3600)}},
        {"metadata": {"namespace": "velero", "name": "r2"}, "spec": {"scheduleName": "daily"},
         "status": {"phase": "PartiallyFailed", "completionTimestamp": stamp(3600)}}]
    verdict, message = run_check(restore_check, world(namespaces=namespaces(), backups=backups, restores=restores))
    assert verdict == "failed" and "no restore of a scheduled backup into the platform's namespaces Completed with " \
                                   "items (2 restores seen)" in message
    assert "restore velero/r1: no status.progress" in message and "restores backup manual, which no schedule made" \
        in message and "restore velero/r2: PartiallyFailed, 0 errors, 0 warnings" in message


def test_tracking_annotation_names_its_application_and_unknown_applications_fail():
    annotated = {"metadata": {"namespace": "x", "name": "y",
                              "annotations": {"argocd.argoproj.io/tracking-id": "payments:apps/Deployment:x/y"}}}
    assert tracking(annotated, "Deployment", "apps", "annotation") == ("payments", None)
    assert tracking(annotated, "Deployment", "apps", "annotation+label") == ("payments", None)
    assert tracking(annotated, "StatefulSet", "apps", "annotation")[0] is None      # names another kind
    assert tracking(annotated, "Deployment", "apps", "label")[0] is None            # label tracking reads labels
    app = {"metadata": {"namespace": "argocd", "name": "data-platform"}, "spec": {"project": "default"}}
    workload = {"metadata": {"namespace": "data-platform", "name": "trino",
                             "labels": {"app.kubernetes.io/instance": "gone"}}, "spec": {}}
    verdict, message = run_check(drift_check, world(applications=[app], deployments=[workload]))
    assert verdict == "failed" and "tracked by Application gone, which does not exist" in message


def test_a_schedule_without_location_needs_a_default_one():
    bsl = {"metadata": {"namespace": "velero", "name": "secondary"}, "spec": {"default": False},
           "status": {"phase": "Available", "lastValidationTime": stamp(60)}}
    verdict, message = run_check(location_check, world(backupstoragelocations=[bsl], schedules=[schedule("daily")]))
    assert verdict == "failed" and "schedule velero/daily: names no storage location and none is the default" in message


# The API as the faults of phase 7 use it (sandbox/faults/phase7.py).
PLURAL = {"backupstoragelocation": "backupstoragelocations", "schedule": "schedules", "backup": "backups",
          "restore": "restores", "namespace": "namespaces", "persistentvolumeclaim": "persistentvolumeclaims"}


def _merge_patch(target, patch):
    """RFC 7386, as kubectl patch --type=merge."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _server_side_applied(old, new):
    """What the API server keeps when the sandbox's field manager, owning every field it set, applies ``new`` over
    ``old``: ``new``, except that a map it empties becomes null (seen on the sandbox: a Restore's progress)."""
    if not isinstance(new, dict):
        return new
    kept = {}
    for key, value in new.items():
        before = old.get(key) if isinstance(old, dict) else None
        kept[key] = None if value == {} and before else _server_side_applied(before, value)
    return kept


class MemoryApi:
    """The sandbox's API as far as these faults use it: a server-side apply, a merge patch, a delete."""

    def __init__(self, objects: list[dict]):
        self.objects = {}
        self.apply(None, objects)

    def apply(self, layout, objects, subresource=None):
        for obj in objects:
            key = (obj["kind"].lower(), obj["metadata"].get("namespace"), obj["metadata"]["name"])
            self.objects[key] = _server_side_applied(self.objects.get(key), copy.deepcopy(obj))

    def kubectl(self, layout, *args, stdin=None, check=True, timeout=120):
        flag, namespace, verb, kind, name, *rest = args
        assert flag == "-n" and verb in ("patch", "delete"), args
        if verb == "delete":
            self.objects.pop((kind, namespace, name), None)
        else:
            key = (kind, namespace, name)
            self.objects[key] = _merge_patch(self.objects[key], json.loads(rest[rest.index("-p") + 1]))

    def fixtures(self) -> dict:
        found: dict[str, list] = {}
        for (kind, _, _), obj in self.objects.items():
            if kind in PLURAL:
                found.setdefault(PLURAL[kind], []).append(obj)
        return {**empty_world(PROFILE), "snapshot": FakeSnapshot(found)}


# Phase 7's GitOps faults and the sandbox's stand-in for Argo CD's application controller, on recorded inputs.

def _json_patched(obj: dict, patch: list[dict]) -> dict:
    """RFC 6902 ``add`` operations, as the API server applies the stand-in's patches."""
    obj = copy.deepcopy(obj)
    for op in patch:
        assert op["op"] == "add", op
        *parents, last = op["path"].strip("/").split("/")
        holder = obj
        for part in parents:
            holder = holder[part]            # a missing parent is an error on the API server too
        holder[last] = copy.deepcopy(op["value"])
    return obj


def _gitops_world(apps: list[dict]) -> dict:
    return {**empty_world(PROFILE), "snapshot": FakeSnapshot({"applications": apps})}


def test_the_sandbox_applications_pass_as_written():
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    apps = platform.gitops(now)
    assert len(apps) == len(platform.ARGO_APPS)
    assert run_check(synced_check, _gitops_world(apps)) == ("passed", "")


def test_a_stopped_controller_fails_and_the_stand_ins_round_heals_it():
    """What argocd-controller-stopped shows: the Applications' last reconciliation ages past the sandbox's 30 s;
    one round of the stand-in (sandbox/gitops.py) makes it current again."""
    from sandbox.services import gitops
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    stale = [platform.application(app, now - dt.timedelta(minutes=10)) for app in platform.ARGO_APPS]
    verdict, message = run_check(synced_check, _gitops_world(stale))
    assert verdict == "failed" and FAULTS["argocd-controller-stopped"].expect.line in message, message
    assert "last reconciled 10m ago, expected within 30s (is the application controller running?)" in message
    assert "Synced" not in message and "health" not in message          # the status itself still looks fine
    fresh = [_json_patched(app, gitops.refresh(app, now)) for app in stale]
    assert run_check(synced_check, _gitops_world(fresh)) == ("passed", "")


def test_the_stand_in_records_the_compared_spec_finishes_operations_and_leaves_sync_status_alone():
    from sandbox.services import gitops
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    app = platform.application("data-platform", now - dt.timedelta(hours=1))
    app["spec"]["source"]["targetRevision"] = "v2"                      # a spec change it has not compared
    app["status"]["sync"]["status"] = "OutOfSync"                        # a fault's drift
    app["status"]["operationState"].update(phase="Running", finishedAt=None)
    patched = _json_patched(app, gitops.refresh(app, now))
    assert patched["status"]["reconciledAt"] == platform.stamp(now)
    assert patched["status"]["sync"]["comparedTo"]["source"]["targetRevision"] == "v2"
    assert patched["status"]["sync"]["status"] == "OutOfSync"
    assert patched["status"]["operationState"]["phase"] == "Succeeded"
    assert patched["status"]["operationState"]["finishedAt"] == platform.stamp(now)
    bare = {"metadata": {"namespace": "argocd", "name": "new"}, "spec": app["spec"]}
    assert _json_patched(bare, gitops.refresh(bare, now))["status"]["sync"]["status"] == "Unknown"


def test_the_application_out_of_sync_fault_fails_p7_synced_until_healed(monkeypatch):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    api = MemoryApi(platform.gitops(now))
    monkeypatch.setattr(kube, "apply", api.apply)
    monkeypatch.setattr(kube, "kubectl", api.kubectl)
    apps = lambda: [o for (kind, _, _), o in api.objects.items() if kind == "application"]  # noqa: E731
    assert run_check(synced_check, _gitops_world(apps())) == ("passed", "")
    FAULTS["application-out-of-sync"].apply(None)
    verdict, message = run_check(synced_check, _gitops_world(apps()))
    assert verdict == "failed" and FAULTS["application-out-of-sync"].expect.line in message, message
    FAULTS["application-out-of-sync"].heal(None)
    assert run_check(synced_check, _gitops_world(apps())) == ("passed", "")


def test_the_controller_fault_stops_the_stand_in_and_heal_starts_it_again(monkeypatch, tmp_path):
    from sandbox.faults import fault as fault_steps
    from sandbox.run.layout import Layout
    calls = []

    class Recorder:
        def __init__(self, root):
            pass

        def stop(self, name):
            calls.append(("stop", name))

        def start(self, spec):
            calls.append(("start", spec.name, spec.argv[1:3]))

        def wait_ready(self, spec, deadline):
            calls.append(("ready", spec.name))

    monkeypatch.setattr(fault_steps, "Supervisor", Recorder)
    fault = FAULTS["argocd-controller-stopped"]
    assert fault.criterion == "P7-SYNCED"
    fault.apply(Layout(tmp_path))
    fault.heal(Layout(tmp_path))
    assert calls == [("stop", "argocd-controller"),
                     ("start", "argocd-controller", ["-m", "sandbox.services.gitops"]),
                     ("ready", "argocd-controller")]
