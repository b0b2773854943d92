"""Inputs that once made a check pass without looking: each now fails or is broken (recorded answers).

Every case here was a pass on the code before the trusted-verdict work; the healthy counterpart of a case
(where one matters) is checked to still pass, so the fix did not just turn the check off.
"""
from __future__ import annotations

import datetime as dt

import pytest

from readiness.profile import Profile, load_profile
from reporting.waivers import Waiver, decide
from suites.phase2 import test_certificates as certificates
from suites.phase3 import test_hpa as hpa_checks
from suites.phase3 import test_metrics_api as metrics_api
from suites.phase3 import test_node_failure as node_failure
from suites.phase3 import test_resources as resources
from suites.phase3 import test_service_ha as service_ha
from suites.phase4 import test_alert_delivery as delivery
from suites.phase4 import test_alert_rules as alert_rules
from suites.phase4 import test_dashboards as dashboards
from suites.phase4 import test_loki as loki_checks
from suites.phase4 import test_service_monitors as service_monitors
from tests.builders import cond, now, node, pod, target, workload
from tests.builders import profile_with
from tests.fakes import (FakeAlertmanager, FakeGrafana, FakeLive, FakeLoki, FakeNodeChaos, FakePrometheus,
                         FakeSnapshot, checks, empty_world, judged, run_check)
from tests.suite_runner import ROOT

SANDBOX = load_profile(ROOT / "profiles/sandbox.yaml")


def check(fn, param=None, profile: Profile = SANDBOX, **fixtures):
    return run_check(fn, {**empty_world(profile), **fixtures}, param)


# P4-LOG-AGENT: every node NotReady and no agent pod used to pass (NotReady nodes were left out).
def test_log_agent_with_every_node_notready_and_no_agent_fails():
    ds = workload("DaemonSet", "monitoring", "promtail", {"app": "promtail"}, status={"numberReady": 0})
    snapshot = FakeSnapshot({"nodes": [node("w1", ready=False), node("w2", ready=False)], "daemonsets": [ds]})
    verdict, message = check(loki_checks.test_log_agent_runs_on_every_node, snapshot=snapshot)
    assert verdict == "failed" and "node w1: no ready monitoring/promtail pod (node NotReady)" in message


def test_log_agent_excluded_by_affinity_is_a_gap_and_a_tainted_node_is_not():
    ds = workload("DaemonSet", "monitoring", "promtail", {"app": "promtail"}, uid="ds1")
    owner = {"kind": "DaemonSet", "name": "promtail", "uid": "ds1"}
    nodes = [node("w1"), node("w2"), node("gpu", taints=[{"key": "gpu", "effect": "NoSchedule"}])]
    pods = [pod("monitoring", "promtail-a", "w1", {"app": "promtail"}, owner)]
    verdict, message = check(loki_checks.test_log_agent_runs_on_every_node,
                             snapshot=FakeSnapshot({"nodes": nodes, "daemonsets": [ds], "pods": pods}))
    assert verdict == "failed" and "node w2" in message and "gpu" not in message
    pods.append(pod("monitoring", "promtail-b", "w2", {"app": "promtail"}, owner))
    assert check(loki_checks.test_log_agent_runs_on_every_node, snapshot=FakeSnapshot(
        {"nodes": nodes, "daemonsets": [ds], "pods": pods}))[0] == "passed"


# P3-METRICS-API: a missing workload was skipped, and no Ready node meant nothing to check.
def test_metrics_api_without_ready_nodes_or_workloads_fails():
    service = {"kind": "APIService", "metadata": {"name": "v1beta1.metrics.k8s.io"},
               "status": {"conditions": [cond("Available", True)]}}
    snapshot = FakeSnapshot({"apiservices": [service], "nodes": [node("w1", ready=False)]})
    verdict, message = check(metrics_api.test_metrics_api_serves_nodes_and_pods, snapshot=snapshot)
    assert verdict == "failed" and "no Ready node" in message and "Deployment data-platform/trino: not found" in message


# P2-CERTIFICATES: the minimum defaulted to 0, so zero Certificates passed.
def test_certificates_minimum_is_never_zero_by_default():
    data = SANDBOX.model_dump()
    data["phase2"] = {}
    profile = Profile.model_validate(data)
    assert profile.phase2.certificates.minimum == 9
    verdict, message = check(certificates.test_certificates_ready_and_not_expiring, profile=profile)
    assert verdict == "failed" and "0 Certificates (not being deleted), expected at least 9" in message


# P4-ALERT-DELIVERY: a receiver without integrations passed at once; without a sink any rise of a counter
# (another alert's notification) was taken as delivery.
NO_INTEGRATION = """
route: {receiver: silent}
receivers: [{name: silent}]
"""
WITH_SLACK = """
route: {receiver: slack}
receivers: [{name: slack, slack_configs: [{api_url: 'http://127.0.0.1:9/x', channel: '#x'}]}]
"""


def test_delivery_to_a_receiver_without_integrations_fails():
    profile = profile_with({"phase4.alerting.delivery_receivers": []})
    verdict, message = check(delivery.test_synthetic_alert_reaches_receivers, profile=profile,
                             alertmanager=FakeAlertmanager(NO_INTEGRATION, [{("alertmanager_notifications_total",
                                                                              "slack"): 1}]))
    assert verdict == "failed" and "which have no integration" in message


def test_delivery_without_a_sink_cannot_be_confirmed_by_counters():
    profile = profile_with({"phase4.alerting.delivery_receivers": [], "phase4.alerting.sinks_url": None,
                            "phase4.alerting.delivery_deadline_s": 5})
    counters = [{("alertmanager_notifications_total", "slack"): 1},     # before
                {("alertmanager_notifications_total", "slack"): 2}]     # another alert was notified meanwhile
    verdict, message = check(delivery.test_synthetic_alert_reaches_receivers, profile=profile,
                             alertmanager=FakeAlertmanager(WITH_SLACK, counters))
    assert verdict == "broken" and "nothing confirms this alert arrived" in message


def test_delivery_of_a_silenced_probe_fails():
    profile = profile_with({"phase4.alerting.delivery_receivers": [], "phase4.alerting.sinks_url": None})
    counters = [{("alertmanager_notifications_total", "slack"): 1}]
    am = FakeAlertmanager(WITH_SLACK, counters, alerts=[{"status": {"state": "suppressed"}}])
    verdict, message = check(delivery.test_synthetic_alert_reaches_receivers, profile=profile, alertmanager=am)
    assert verdict == "failed" and "suppressed" in message
    assert am.posted[-1]["alertname"].startswith("ReadinessProbe-"), "the probe alert is resolved afterwards"


# P4-SLO: NaN was taken as a value, and the objective was never read; P4-EXPORTERS: kafka_brokers == 1 was
# required (1 of 3 brokers passed, a healthy 3 failed), and a target without the metric was not noticed. Both are
# proven on Prometheus' engine now, with the checks' own queries: tests/promql/test_phase1_phase4.py (rows nan,
# below-bound, never-exposed).


# P4-DASHBOARDS: a health answer without database: ok was healthy.
def test_grafana_health_without_database_ok_is_not_healthy():
    boards = [{"uid": f"d{i}"} for i in range(6)] + [{"uid": "platform-overview"}, {"uid": "slo-tracking"}]
    sources = [{"type": "prometheus", "uid": "p", "name": "P"}, {"type": "loki", "uid": "l", "name": "L"}]
    ok = {"p": {"status": "OK"}, "l": {"status": "OK"}}
    grafana = FakeGrafana(health={"commit": "x"}, dashboards=boards, datasources=sources, datasource_health=ok)
    assert check(dashboards.test_dashboards_present_and_datasources_healthy, grafana=grafana)[0] == "broken"
    grafana = FakeGrafana(health={"database": "failing"}, dashboards=boards, datasources=sources,
                          datasource_health=ok)
    verdict, message = check(dashboards.test_dashboards_present_and_datasources_healthy, grafana=grafana)
    assert verdict == "failed" and "database 'failing'" in message


# P3-RESOURCES: a quota without status.hard passed, and init containers were never checked.
def _resources_world(quota_status: dict, init_containers=()):
    namespaces = SANDBOX.platform.namespaces
    pods = [pod(ns, f"p-{ns}", "w1", {"app": "x"}, init_containers=init_containers) for ns in namespaces]
    quotas = [{"kind": "ResourceQuota", "metadata": {"namespace": ns, "name": f"{ns}-quota"}, "status": quota_status}
              for ns in namespaces]
    ranges = [{"kind": "LimitRange", "metadata": {"namespace": ns, "name": "lr"}} for ns in namespaces]
    return FakeSnapshot({"pods": pods, "resourcequotas": quotas, "limitranges": ranges})


def test_quota_without_status_and_init_container_without_limits_fail():
    enforced = {"hard": {"pods": "10"}, "used": {"pods": "1"}}
    check_fn = resources.test_requests_limits_quotas_and_headroom
    assert check(check_fn, snapshot=_resources_world(enforced))[0] == "passed"
    verdict, message = check(check_fn, snapshot=_resources_world({}))
    assert verdict == "failed" and "no status.hard" in message
    verdict, message = check(check_fn, snapshot=_resources_world(enforced, init_containers=("migrate",)))
    assert verdict == "failed" and "init container migrate has no requests" in message


# P4-LOKI: pods were matched by name, so a restarted StatefulSet pod passed on its predecessor's lines.
def test_restarted_pod_does_not_pass_on_its_predecessors_logs():
    profile = profile_with({"phase4.loki.lookback_s": 600, "phase4.loki.new_pod_grace_s": 60})
    restarted = pod("data-platform", "kafka-0", "w1", {"app": "kafka"}, started_s_ago=120, containers=("kafka",))
    at = now().timestamp()
    old_lines = [[at - 300, "4"], [at - 270, "4"]]        # before the pod's current start (120 s ago)
    series = [{"metric": {"namespace": "data-platform", "pod": "kafka-0", "container": "kafka"}, "values": old_lines}]
    fn = loki_checks.test_every_running_pod_has_recent_logs
    verdict, message = check(fn, profile=profile, snapshot=FakeSnapshot({"pods": [restarted]}), loki=FakeLoki(series))
    assert verdict == "failed" and "only lines from before it started" in message
    series[0]["values"] = old_lines + [[at - 10, "2"]]
    assert check(fn, profile=profile, snapshot=FakeSnapshot({"pods": [restarted]}), loki=FakeLoki(series))[0] == "passed"


def test_each_container_needs_its_own_logs():
    profile = profile_with({"phase4.loki.lookback_s": 600, "phase4.loki.new_pod_grace_s": 60})
    two = pod("data-platform", "trino-1", "w1", {"app": "trino"}, containers=("trino", "sidecar"))
    series = [{"metric": {"namespace": "data-platform", "pod": "trino-1", "container": "trino"},
               "values": [[now().timestamp() - 5, "3"]]}]
    verdict, message = check(loki_checks.test_every_running_pod_has_recent_logs, profile=profile,
                             snapshot=FakeSnapshot({"pods": [two]}), loki=FakeLoki(series))
    assert verdict == "failed" and "container sidecar: no log lines" in message


# P4-LOKI: a live server that is not Loki was reported as "not ready" (failed); it could not look.
def test_a_server_that_is_not_loki_is_broken():
    pods = [pod("data-platform", "trino-1", "w1", {"app": "trino"})]
    verdict, message = check(loki_checks.test_every_running_pod_has_recent_logs, snapshot=FakeSnapshot(
        {"pods": pods}), loki=FakeLoki(ready={"http": 404, "body": "404 page not found"}))
    assert verdict == "broken" and "is this really Loki?" in message


# P3-HPA-METRICS: only Resource metrics were checked.
def test_external_metric_without_a_current_value_fails():
    spec = SANDBOX.phase3.hpas[0]
    obj = {"kind": "HorizontalPodAutoscaler", "metadata": {"namespace": spec.namespace, "name": spec.name},
           "spec": {"metrics": [
               {"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 70}}},
               {"type": "External", "external": {"metric": {"name": "queue_depth"}, "target": {"value": "10"}}}]},
           "status": {"currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                                           "current": {"averageUtilization": 30}}}],
                      "conditions": [cond("AbleToScale", True), cond("ScalingActive", True)]}}
    verdict, message = check(hpa_checks.test_hpa_has_current_metrics_and_is_active, spec,
                             snapshot=FakeSnapshot({"hpas": [obj]}))
    assert verdict == "failed" and "no current External metric queue_depth" in message


# P3-SERVICE-HA: a DaemonSet's desired count was read from spec.replicas (absent: 1), so 2 of 5 passed.
def test_daemonset_two_of_five_ready_fails():
    profile = profile_with({"platform.workloads": [{"namespace": "monitoring", "name": "agent", "kind": "DaemonSet",
                                                    "critical": True}]})
    ds = workload("DaemonSet", "monitoring", "agent", {"app": "agent"},
                  status={"desiredNumberScheduled": 5, "numberReady": 2})
    verdict, message = check(service_ha.test_critical_service_has_two_ready_replicas, profile.platform.critical[0],
                             profile, snapshot=FakeSnapshot({"daemonsets": [ds]}))
    assert verdict == "failed" and "2 of 5 replicas ready" in message


# P3-NODE-FAILURE: pods were mapped to services by the app label only, and the steady state after restore
# was computed and never used.
def _steady_world(labels: dict):
    nodes = [node(n) for n in ("w1", "w2", "w3")] + [node("cp", labels={"node-role.kubernetes.io/control-plane": ""})]
    critical = [w for w in SANDBOX.platform.workloads]
    workloads, pods = {}, []
    for w in critical:
        sel = {**labels, "instance": w.name}
        workloads[(w.kind, w.namespace, w.name)] = workload(w.kind, w.namespace, w.name, sel, replicas=2,
                                                            status={"desiredNumberScheduled": 2, "numberReady": 2})
        spread = ("w1", "w1") if w.name == "datahub" else ("w1", "w2")
        pods += [pod(w.namespace, f"{w.name}-{i}", n, sel) for i, n in enumerate(spread)]
    return FakeLive(nodes=nodes, pods=pods, workloads=workloads)


def test_riskiest_worker_found_by_selectors_not_the_app_label():
    live = _steady_world({"component": "svc"})
    assert node_failure._riskiest(live, ["w1", "w2", "w3"], SANDBOX) == "w1"


def test_platform_not_settling_after_the_node_returns_fails():
    profile = profile_with({"phase3.node_failure.recovery_deadline_s": 10,
                            "phase3.node_failure.sample_interval_s": 0.2})
    live = _steady_world({"component": "svc"})

    def degrade():      # after the node comes back, one workload stays short
        live._pods = [p for p in live._pods if p["metadata"]["name"] != "trino-1"]
    verdict, message = check(node_failure.test_platform_survives_a_failed_worker, profile=profile,
                             node_chaos=FakeNodeChaos(live, after_restore=degrade))
    assert verdict == "failed" and "not back in steady state" in message and "data-platform/trino 1/2" in message


# P4-SERVICEMONITORS: a job whose targets were all down counted as scraped; pods were found by the app label.
def _monitoring_world(health: str):
    svc = {"kind": "Service", "metadata": {"namespace": "data-platform", "name": "trino", "labels": {}},
           "spec": {"selector": {"component": "query"}}}
    pods = [pod("data-platform", "trino-0", "w1", {"component": "query"})]
    podmonitor = {"kind": "PodMonitor", "metadata": {"namespace": "data-platform", "name": "trino"},
                  "spec": {"selector": {"matchLabels": {"component": "query"}}}}
    profile = profile_with({"phase4.monitored_services": [{"namespace": "data-platform", "name": "trino"}]})
    snapshot = FakeSnapshot({"services": [svc], "pods": pods, "podmonitors": [podmonitor], "servicemonitors": []})
    prometheus = FakePrometheus(targets=[target("trino", "t:1", health)])
    return profile, snapshot, prometheus


def test_job_with_every_target_down_is_not_scraped_and_pods_come_from_the_service_selector():
    fn = service_monitors.test_monitored_services_have_monitors_and_targets
    profile, snapshot, prometheus = _monitoring_world("up")
    assert check(fn, profile=profile, snapshot=snapshot, prometheus=prometheus)[0] == "passed"
    profile, snapshot, prometheus = _monitoring_world("down")
    verdict, message = check(fn, profile=profile, snapshot=snapshot, prometheus=prometheus)
    assert verdict == "failed" and "has 1 targets and none up" in message


# P4-ALERT-RULES: health "unknown" (a rule never evaluated) was accepted.
def test_rule_never_evaluated_fails():
    rules = [{"name": "g", "rules": [{"name": f"{w.name}Down", "type": "alerting", "health": "unknown",
                                      "labels": {"service": w.name}} for w in SANDBOX.platform.critical]}]
    verdict, message = check(alert_rules.test_rules_healthy_and_every_critical_service_alerted,
                             prometheus=FakePrometheus(rules=rules))
    assert verdict == "failed" and "health unknown (never evaluated" in message


# Waivers: the object matched anywhere in the whole message, so waiving one object waived every other.
def test_a_waiver_covers_only_the_objects_it_names():
    waiver = Waiver(criterion="P3-SERVICE-HA", object="data-platform/trino", owner="sre", reason="r",
                    expires=dt.date.today() + dt.timedelta(days=5))
    message = "data-platform/trino: 1 ready replica(s)\ndata-platform/superset: 0 ready replica(s)"
    decision = decide([waiver], "P3-SERVICE-HA", message)
    assert not decision.waived and decision.remaining == "data-platform/superset: 0 ready replica(s)"
    assert decide([waiver], "P3-SERVICE-HA", "data-platform/trino: 1 ready replica(s)").waived
    assert decide([waiver], "P3-SERVICE-HA", "data-platform/trino-hpa: x") is None


@pytest.mark.parametrize("path", ["phase3.hpas", "phase3.pdbs", "phase4.exporters", "phase4.monitored_services",
                                  "phase4.alerting.routing"])
def test_an_empty_list_in_the_profile_is_broken_not_skipped(tmp_path, path):
    from readiness.per_profile import PerProfile
    profile = profile_with({path: []})
    assert profile.at(path) == []
    # Parametrized checks get one "missing-in-profile" case that the plugin breaks; the others raise directly.
    owners = [fn for fn in _all_checks() if getattr(fn, "per_profile", None) and fn.per_profile.path == path]
    for fn in owners:
        assert isinstance(fn.per_profile, PerProfile)
    direct = [(cid, fn) for cid, fns in checks().items() for fn in fns if not getattr(fn, "per_profile", None)]
    for cid, fn in direct:
        verdict, message = judged(cid, fn, empty_world(profile), None)
        assert verdict != "passed", f"{fn.__name__} passed with {path} empty"


def _all_checks():
    return [fn for fns in checks().values() for fn in fns]


# An empty label selector {} selects every pod (policy/v1) or every Service; it was read as selecting none, so
# a PDB protecting the whole namespace failed P3-PDB and the drain did not see it block.
def test_empty_selector_pdb_and_service_monitor_select_everything():
    from chaos.nodes import _blocking_pdb
    from suites.phase3 import test_pdb as pdb_checks
    from readiness.profile import Ref
    pdb = {"metadata": {"namespace": "data-platform", "name": "all-pdb"}, "spec": {"selector": {}, "minAvailable": 2},
           "status": {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 2}}
    pods = [pod("data-platform", f"p{i}", "w1", {"app": f"a{i}"}) for i in range(2)]
    verdict, message = check(pdb_checks.test_pdb_selects_pods_and_allows_a_disruption,
                             Ref(namespace="data-platform", name="all-pdb"),
                             snapshot=FakeSnapshot({"pdbs": [pdb], "pods": pods}))
    assert verdict == "failed" and "allows 0 disruptions" in message and "selects no pods" not in message
    assert "all-pdb" in (_blocking_pdb(FakeLive(pods=pods, pdbs=[pdb]), pods[0]) or "")
    svc = {"metadata": {"namespace": "data-platform", "name": "trino", "labels": {"app": "trino"}},
           "spec": {"selector": {"app": "trino"}}}
    monitor = {"metadata": {"namespace": "data-platform", "name": "everything"}, "spec": {"selector": {}}}
    profile = profile_with({"phase4.monitored_services": [{"namespace": "data-platform", "name": "trino"}]})
    assert check(service_monitors.test_monitored_services_have_monitors_and_targets, profile=profile,
                 snapshot=FakeSnapshot({"services": [svc], "servicemonitors": [monitor]}),
                 prometheus=FakePrometheus(targets=[target("trino", "t:1")]))[0] == "passed"
