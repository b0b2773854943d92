"""Phase 7's adversarial rows (suites/phase7/test_gitops.py docstring) on recorded inputs: Argo CD Applications
and workloads as Argo CD 3.5.7's controller writes and tracks them, each broken the way the row says while its
objects still look fine."""
from __future__ import annotations

import pytest

from suites.phase7.test_gitops import test_applications_synced_healthy_and_automated as synced_check
from suites.phase7.test_gitops import test_every_platform_workload_is_managed_by_an_application as drift_check
from tests.builders import profile_with, stamp
from tests.fakes import FakeSnapshot, empty_world, failed_with, run_check

PROFILE = profile_with({"phase7.tracking_method": "annotation"})    # Argo CD 3's default
ARGO = "argocd"
HOUR, DAY = 3600, 86400
REPO = "https://git.example/platform/deploy.git"


def source(path: str = "apps/data-platform", revision: str = "v1.4.0") -> dict:
    return {"repoURL": REPO, "path": path, "targetRevision": revision}


def application(name: str = "data-platform", namespace: str = ARGO, project: str = "default",
                reconciled_s_ago: float | None = 10, spec: dict | None = None, compared: dict | None = None,
                operation: dict | None = None, conditions: list | None = None, **status) -> dict:
    """An Application as the controller leaves it after a successful automated sync and a comparison
    ``reconciled_s_ago``; ``compared`` replaces what it compared (default: the spec)."""
    spec = {"project": project, "destination": {"server": "https://kubernetes.default.svc",
                                                "namespace": "data-platform"},
            "source": source(), "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}, **(spec or {})}
    if compared is None:
        compared = {"destination": spec["destination"]}
        if spec.get("sources"):
            compared["sources"] = spec["sources"]
        else:
            compared["source"] = spec["source"]
    state = {"phase": "Succeeded", "message": "successfully synced (all tasks run)",
             "operation": {"sync": {"revision": "8e1c2f0"}, "initiatedBy": {"automated": True}},
             "syncResult": {"revision": "8e1c2f0", "source": spec.get("source")},
             "startedAt": stamp(600), "finishedAt": stamp(540)}
    body = {"sync": {"status": "Synced", "revision": "8e1c2f0", "comparedTo": compared},
            "health": {"status": "Healthy"}, "controllerNamespace": ARGO,
            "operationState": {**state, **(operation or {})}, **status}
    if reconciled_s_ago is not None:
        body["reconciledAt"] = stamp(reconciled_s_ago)
    if conditions:
        body["conditions"] = conditions
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"namespace": namespace, "name": name}, "spec": spec, "status": body}


def deployment(name: str = "trino", namespace: str = "data-platform", app: str | None = "data-platform",
               annotation: str | None = None, label: str | None = None) -> dict:
    """A Deployment tracked by ``app`` with the annotation Argo CD 3 writes (or ``annotation`` as given)."""
    annotations = {}
    if annotation is not None or app is not None:
        annotations["argocd.argoproj.io/tracking-id"] = annotation if annotation is not None else \
            f"{app}:apps/Deployment:{namespace}/{name}"
    labels = {"app": name, **({"app.kubernetes.io/instance": label} if label else {})}
    return {"kind": "Deployment", "metadata": {"namespace": namespace, "name": name, "labels": labels,
                                               "annotations": annotations},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}}}


def world(applications: list | None = None, deployments: list | None = None, profile=PROFILE) -> dict:
    objects = {"applications": [application()] if applications is None else applications,
               "deployments": [deployment()] if deployments is None else deployments}
    return {**empty_world(profile), "snapshot": FakeSnapshot(objects)}


# --- P7-SYNCED ------------------------------------------------------------------------------------------------

def test_a_freshly_reconciled_synced_healthy_application_passes():
    assert run_check(synced_check, world()) == ("passed", "")


def test_an_application_reconciled_within_the_window_passes():
    app = application(reconciled_s_ago=25)          # the sandbox allows 30 s
    assert run_check(synced_check, world([app])) == ("passed", "")


@pytest.mark.row("P7-SYNCED", "controller-dead")
def test_an_application_last_reconciled_thirty_days_ago_fails():
    app = application(reconciled_s_ago=30 * DAY,
                      operation={"phase": "Failed", "message": "one or more objects failed to apply",
                                 "finishedAt": stamp(30 * DAY)})
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: last reconciled 30.0d ago, expected within 30s (is the "
                "application controller running?)",
                "application argocd/data-platform: last sync Failed at", "(one or more objects failed to apply)")


def test_the_reference_platform_allows_ten_minutes():
    profile = profile_with({"phase7.max_reconcile_age_s": 600, "phase7.tracking_method": "annotation"})
    assert run_check(synced_check, world([application(reconciled_s_ago=540)], profile=profile)) == ("passed", "")
    failed_with(synced_check, world([application(reconciled_s_ago=30 * DAY)], profile=profile),
                "application argocd/data-platform: last reconciled 30.0d ago, expected within 10m (is the "
                "application controller running?)")


@pytest.mark.row("P7-SYNCED", "never-reconciled")
def test_an_application_never_reconciled_fails():
    failed_with(synced_check, world([application(reconciled_s_ago=None)]),
                "application argocd/data-platform: never reconciled (no status.reconciledAt)")


@pytest.mark.row("P7-SYNCED", "reconciled-in-future")
def test_an_application_reconciled_in_the_future_fails():
    failed_with(synced_check, world([application(reconciled_s_ago=-HOUR)]),
                "application argocd/data-platform: status.reconciledAt", "is 60m in the future")


def test_a_reconciliation_a_few_seconds_ahead_is_clock_skew():
    assert run_check(synced_check, world([application(reconciled_s_ago=-20)])) == ("passed", "")


@pytest.mark.row("P7-SYNCED", "other-namespace")
def test_an_application_of_the_project_in_an_unwatched_namespace_fails():
    elsewhere = application(namespace="team-apps", reconciled_s_ago=None)
    elsewhere["status"].pop("controllerNamespace")
    message = failed_with(synced_check, world([application(), elsewhere]),
                          "application team-apps/data-platform: never reconciled")
    assert "application argocd/data-platform" not in message


@pytest.mark.row("P7-SYNCED", "comparison-error")
def test_a_comparison_error_fails():
    error = {"type": "ComparisonError", "message": "Failed to load target state: rpc error: code = Unknown desc = "
                                                   "authentication required", "lastTransitionTime": stamp(300)}
    failed_with(synced_check, world([application(conditions=[error])]),
                "application argocd/data-platform: condition ComparisonError: Failed to load target state")


@pytest.mark.row("P7-SYNCED", "sync-error")
def test_a_sync_error_fails():
    error = {"type": "SyncError", "message": "Failed last sync attempt to [a91b3e7]: one or more objects failed to "
                                             "apply", "lastTransitionTime": stamp(900)}
    failed_with(synced_check, world([application(conditions=[error])]),
                "application argocd/data-platform: condition SyncError: Failed last sync attempt to [a91b3e7]")


@pytest.mark.row("P7-SYNCED", "invalid-spec-error")
def test_any_error_condition_fails():
    error = {"type": "InvalidSpecError", "message": "application destination server 'https://kubernetes.default.svc' "
                                                    "and namespace 'data-platform' do not match any of the allowed "
                                                    "destinations in project 'default'"}
    failed_with(synced_check, world([application(conditions=[error])]),
                "application argocd/data-platform: condition InvalidSpecError: application destination")


def test_warning_conditions_do_not_fail():
    warning = {"type": "OrphanedResourceWarning", "message": "Application has 1 orphaned resources"}
    shared = {"type": "SharedResourceWarning", "message": "ConfigMap/x is part of applications a and b"}
    assert run_check(synced_check, world([application(conditions=[warning, shared])])) == ("passed", "")


@pytest.mark.row("P7-SYNCED", "spec-not-compared")
def test_a_spec_the_controller_has_not_compared_fails():
    app = application(spec={"source": source(revision="v1.5.0")},
                      compared={"source": source(), "destination": {"server": "https://kubernetes.default.svc",
                                                                    "namespace": "data-platform"}})
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: status is of an older spec: spec.source "
                f"{REPO} apps/data-platform@v1.5.0 differs from the compared {REPO} apps/data-platform@v1.4.0")


def test_empty_fields_compare_as_left_out():
    app = application()
    app["status"]["sync"]["comparedTo"]["source"] = {**source(), "helm": None, "chart": ""}
    app["status"]["sync"]["comparedTo"]["ignoreDifferences"] = []
    assert run_check(synced_check, world([app])) == ("passed", "")


@pytest.mark.row("P7-SYNCED", "sources-not-compared")
def test_a_multi_source_application_compared_with_fewer_sources_fails():
    sources = [source(), {"repoURL": "https://charts.example", "chart": "trino", "targetRevision": "0.21.0"}]
    app = application(spec={"sources": sources})
    assert run_check(synced_check, world([app])) == ("passed", "")
    app["status"]["sync"]["comparedTo"]["sources"] = sources[:1]
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: status is of an older spec: spec.sources",
                "differ from the compared ones")


def test_sources_win_over_source_as_argo_cd_reads_them():
    sources = [source(), source(path="apps/extra")]
    app = application(spec={"sources": sources})       # spec.source is still there, left over
    assert app["spec"]["source"] and "sources" in app["status"]["sync"]["comparedTo"]
    assert run_check(synced_check, world([app])) == ("passed", "")


def test_a_source_hydrator_compares_its_sync_source():
    hydrator = {"drySource": {"repoURL": REPO, "path": "dry", "targetRevision": "main"},
                "syncSource": {"targetBranch": "env/prod", "path": "apps/data-platform"}}
    spec = {"sourceHydrator": hydrator}
    compared = {"source": {"repoURL": REPO, "path": "apps/data-platform", "targetRevision": "env/prod"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "data-platform"}}
    assert run_check(synced_check, world([application(spec=spec, compared=compared)])) == ("passed", "")
    compared["source"]["targetRevision"] = "main"
    failed_with(synced_check, world([application(spec=spec, compared=compared)]), "status is of an older spec")


@pytest.mark.row("P7-SYNCED", "destination-not-compared")
def test_a_destination_the_controller_has_not_compared_fails():
    app = application()
    app["spec"]["destination"] = {"server": "https://kubernetes.default.svc", "namespace": "data-platform-v2"}
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: status is of an older spec: spec.destination differs")


def test_no_compared_to_is_never_compared():
    app = application()
    del app["status"]["sync"]["comparedTo"]
    failed_with(synced_check, world([app]), "never compared (no status.sync.comparedTo)")


@pytest.mark.row("P7-SYNCED", "operation-failed")
def test_a_failed_last_sync_fails_though_synced_and_healthy():
    app = application(operation={"phase": "Failed", "message": "one or more synchronization tasks completed "
                                                               "unsuccessfully (PostSync hook data-check failed)",
                                 "finishedAt": stamp(300)})
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: last sync Failed at",
                "one or more synchronization tasks completed unsuccessfully")


@pytest.mark.row("P7-SYNCED", "operation-error")
def test_a_last_sync_in_error_fails():
    app = application(operation={"phase": "Error", "message": "ComparisonError: rpc error"})
    failed_with(synced_check, world([app]), "application argocd/data-platform: last sync Error at")


@pytest.mark.row("P7-SYNCED", "operation-stuck")
def test_a_sync_running_for_hours_fails():
    app = application(operation={"phase": "Running", "message": "waiting for completion of hook batch/Job/migrate",
                                 "startedAt": stamp(3 * HOUR), "finishedAt": None})
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: sync Running for 3.0h", "expected to finish within 2m",
                "waiting for completion of hook batch/Job/migrate")


def test_a_sync_running_briefly_is_in_progress():
    app = application(operation={"phase": "Running", "message": "", "startedAt": stamp(20), "finishedAt": None})
    assert run_check(synced_check, world([app])) == ("passed", "")


@pytest.mark.row("P7-SYNCED", "operation-terminating")
def test_a_sync_being_terminated_fails():
    app = application(operation={"phase": "Terminating", "startedAt": stamp(60), "finishedAt": None})
    failed_with(synced_check, world([app]), "application argocd/data-platform: sync being terminated since")


def test_an_operation_phase_argo_cd_does_not_write_fails():
    failed_with(synced_check, world([application(operation={"phase": "Done"})]),
                "operation phase 'Done', which Argo CD does not write")


def test_an_application_never_synced_by_argo_cd_is_judged_by_its_sync_status():
    app = application()
    del app["status"]["operationState"]
    assert run_check(synced_check, world([app])) == ("passed", "")


@pytest.mark.row("P7-SYNCED", "automated-disabled")
def test_automated_sync_switched_off_fails():
    app = application(spec={"syncPolicy": {"automated": {"prune": True, "selfHeal": True, "enabled": False}}})
    failed_with(synced_check, world([app]),
                "application argocd/data-platform: automated sync disabled (spec.syncPolicy.automated.enabled: false)")
    app["spec"]["syncPolicy"]["automated"]["enabled"] = True
    assert run_check(synced_check, world([app])) == ("passed", "")


def test_the_evidence_shows_reconciliation_and_operation(monkeypatch):
    tables = {}
    monkeypatch.setattr("suites.phase7.test_gitops.attach_table",
                        lambda name, headers, rows: tables.setdefault(name, (headers, rows)))
    run_check(synced_check, world([application(reconciled_s_ago=30 * DAY)]))
    headers, rows = tables["applications"]
    row = dict(zip(headers, rows[0]))
    assert row["reconciled ago"] == "30.0d" and row["operation"] == "Succeeded" and row["reconciledAt"] != "-"


# --- P7-NO-DRIFT ----------------------------------------------------------------------------------------------

def test_a_workload_tracked_by_its_application_passes():
    assert run_check(drift_check, world()) == ("passed", "")


def test_an_application_outside_argo_cds_namespace_is_tracked_by_its_qualified_name():
    app = application(namespace="team-apps")
    tracked = deployment(app="team-apps_data-platform")
    assert run_check(drift_check, world([app], [tracked])) == ("passed", "")


def test_label_tracking_reads_the_instance_label():
    profile = profile_with({"phase7.tracking_method": "label"})
    labelled = deployment(app=None, label="data-platform")
    assert run_check(drift_check, world(deployments=[labelled], profile=profile)) == ("passed", "")
    failed_with(drift_check, world(deployments=[deployment()], profile=profile),
                "Deployment data-platform/trino: not managed by any Argo CD Application (no app.kubernetes.io/"
                "instance label (tracking method label))")


@pytest.mark.row("P7-NO-DRIFT", "helm-instance-label")
def test_a_helm_release_label_without_tracking_annotation_fails():
    helm = deployment("superset", app=None, label="data-platform")
    failed_with(drift_check, world(deployments=[deployment(), helm]),
                "Deployment data-platform/superset: not managed by any Argo CD Application (no "
                "argocd.argoproj.io/tracking-id annotation (tracking method annotation); its app.kubernetes.io/"
                "instance label 'data-platform' does not track it")


@pytest.mark.row("P7-NO-DRIFT", "copied-annotation")
def test_a_tracking_annotation_copied_from_another_object_fails():
    copied = deployment("trino-debug", annotation="data-platform:apps/Deployment:data-platform/trino")
    failed_with(drift_check, world(deployments=[deployment(), copied]),
                "Deployment data-platform/trino-debug: not managed by any Argo CD Application "
                "(argocd.argoproj.io/tracking-id 'data-platform:apps/Deployment:data-platform/trino' names another "
                "object")


@pytest.mark.row("P7-NO-DRIFT", "malformed-annotation")
def test_a_tracking_annotation_argo_cd_cannot_parse_fails():
    failed_with(drift_check, world(deployments=[deployment(annotation="data-platform")]),
                "Deployment data-platform/trino: not managed by any Argo CD Application "
                "(argocd.argoproj.io/tracking-id 'data-platform' is not <application>:<group>/<kind>:<namespace>/"
                "<name>")


@pytest.mark.row("P7-NO-DRIFT", "other-namespace-app")
def test_an_application_of_the_same_name_in_another_namespace_does_not_track_it():
    failed_with(drift_check, world([application(namespace="team-apps")]),
                "Deployment data-platform/trino: tracked by Application data-platform, which does not exist; "
                "team-apps/data-platform is another Application, tracked as team-apps_data-platform")


@pytest.mark.row("P7-NO-DRIFT", "other-project")
def test_an_application_of_a_project_the_profile_does_not_list_fails():
    playground = application("playground", project="playground")
    failed_with(drift_check, world([application(), playground], [deployment(), deployment("nb", app="playground")]),
                "Deployment data-platform/nb: tracked by Application argocd/playground of project playground, not "
                "one of the profile's projects (default)")


@pytest.mark.row("P7-NO-DRIFT", "requires-pruning")
def test_a_workload_its_application_would_prune_fails():
    app = application(resources=[{"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "data-platform",
                                  "name": "trino-debug", "status": "OutOfSync", "requiresPruning": True},
                                 {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "data-platform",
                                  "name": "trino", "status": "Synced"}])
    message = failed_with(drift_check, world([app], [deployment(), deployment("trino-debug")]),
                          "Deployment data-platform/trino-debug: Application argocd/data-platform lists it as "
                          "requiring pruning: it is not in git")
    assert "data-platform/trino:" not in message


@pytest.mark.row("P7-NO-DRIFT", "missing-app")
def test_a_workload_tracked_by_a_deleted_application_fails():
    failed_with(drift_check, world(deployments=[deployment(app="gone")]),
                "Deployment data-platform/trino: tracked by Application gone, which does not exist")


def test_an_exempt_workload_passes():
    profile = profile_with({"phase7.tracking_method": "annotation",
                            "phase7.unmanaged": [{"namespace": "data-platform", "name": "trino",
                                                  "reason": "vendor operator manages it"}]})
    assert run_check(drift_check, world(deployments=[deployment(app=None)], profile=profile)) == ("passed", "")

