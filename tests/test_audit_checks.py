"""Phases 6 and 8 on recorded answers: the edges that decide a verdict (extra proof; each criterion is also
proven against the sandbox in test_faults.py)."""
from __future__ import annotations

import datetime as dt
import time

import yaml

from readiness.catalog import load_all
from readiness.profile import load_profile
from reports.results import CaseResult, by_criterion
from reports.summary import build
from suites.phase6 import test_api_latency as api, test_saturation as saturation, test_service_latency as latency
from suites.phase8 import test_alerts as alerts, test_availability as availability, test_signoff as signoff
from suites.phase6.test_api_latency import latency_query
from tests.builders import cond, node, sample, stamp
from tests.fakes import FakeAlertmanager, FakePrometheus, FakeRequest, FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")


def world(**fixtures) -> dict:
    return {**empty_world(PROFILE), **fixtures}


def test_api_latency_names_the_slow_call_by_its_kind_of_bound():
    query = latency_query(PROFILE.phase6.api_latency)
    assert 'job="kube-apiserver"' in query and 'verb!~"WATCH|WATCHLIST|CONNECT"' in query
    series = [sample({"verb": "PUT", "resource": "leases", "scope": "resource"}, 1.8),
              sample({"verb": "LIST", "resource": "pods", "scope": "cluster"}, 2.5),      # within 30 s
              sample({"verb": "GET", "resource": "pods", "scope": "resource"}, "NaN")]
    verdict, message = run_check(api.test_api_server_latency_within_slo,
                                 world(prometheus=FakePrometheus(series={query: series})))
    assert verdict == "failed" and "PUT leases (mutating, scope resource): p99 1.80s over 1m, expected at most 1s" \
        in message and "pods" not in message
    nothing = [sample({"verb": "GET", "resource": "pods", "scope": "resource"}, "NaN")]
    assert run_check(api.test_api_server_latency_within_slo,
                     world(prometheus=FakePrometheus(series={query: nothing})))[0] == "broken"


def _nodes(cpu_used: str) -> FakeSnapshot:
    worker = node("w1")
    worker["status"]["allocatable"] = {"cpu": "16", "memory": "64Gi"}
    usage = [{"metadata": {"name": "w1"}, "usage": {"cpu": cpu_used, "memory": "2Gi"}}]
    return {"nodes": [worker], "node_metrics": usage}


def test_saturation_node_hpa_and_oom():
    check = saturation.test_no_saturation
    assert run_check(check, world(snapshot=FakeSnapshot(_nodes("4")))) == ("passed", "")
    verdict, message = run_check(check, world(snapshot=FakeSnapshot(_nodes("14500m"))))
    assert verdict == "failed" and "node w1: cpu 91% of allocatable in use (14500m of 16), expected at most 80%" \
        in message
    hpa = {"metadata": {"namespace": "data-platform", "name": "trino-hpa"}, "spec": {"maxReplicas": 5},
           "status": {"currentReplicas": 5, "conditions": [{**cond("ScalingLimited", True, "TooManyReplicas"),
                                                            "lastTransitionTime": stamp(7200)}]}}
    oom = {"metadata": {"namespace": "data-platform", "name": "trino-0"}, "status": {"containerStatuses": [
        {"name": "trino", "restartCount": 3, "lastState": {"terminated": {"reason": "OOMKilled",
                                                                           "finishedAt": stamp(60)}}}]}}
    verdict, message = run_check(check, world(snapshot=FakeSnapshot({**_nodes("4"), "hpas": [hpa], "pods": [oom]})))
    assert "hpa data-platform/trino-hpa: held at maxReplicas 5 for 2.0h (TooManyReplicas)" in message
    assert "pod data-platform/trino-0 container trino: OOMKilled 6" in message and "ago (restarts 3)" in message
    no_usage = {"nodes": _nodes("4")["nodes"], "node_metrics": []}
    verdict, message = run_check(check, world(snapshot=FakeSnapshot(no_usage)))
    assert verdict == "failed" and "node w1: Ready but no usage" in message


def test_service_latency_bounds_each_series_and_an_empty_query_is_broken():
    spec = PROFILE.phase6.service_latency[0]
    slow = FakePrometheus(series={spec.query: [sample({"service": "portal"}, 0.8), sample({"service": "trino"}, 0.1)]})
    verdict, message = run_check(latency.test_service_latency_within_objectives, world(prometheus=slow))
    assert verdict == "failed" and 'objective probe-duration-max {service="portal"}: 0.8s, expected at most 0.5s' \
        in message and "trino" not in message
    assert run_check(latency.test_service_latency_within_objectives, world())[0] == "broken"


def _benchmark(pushed_s_ago: float, p95: float) -> FakePrometheus:
    spec = PROFILE.phase6.benchmark
    return FakePrometheus(series={
        spec.timestamp_query: [sample({"job": "loadtest", "instance": "sandbox"}, time.time() - pushed_s_ago)],
        spec.thresholds[0].query: [sample({"service": "portal"}, p95)],
        spec.thresholds[1].query: [sample({"service": "portal"}, 0.0)]})


def test_benchmark_must_be_recent_and_within_thresholds():
    check = latency.test_latest_benchmark_recent_and_within_thresholds
    assert run_check(check, world(prometheus=_benchmark(10, 0.01))) == ("passed", "")
    verdict, message = run_check(check, world(prometheus=_benchmark(600, 0.01)))
    assert verdict == "failed" and 'benchmark {instance="sandbox", job="loadtest"}: last result 10m old, expected within 60s' in message
    verdict, message = run_check(check, world(prometheus=_benchmark(10, 0.9)))
    assert 'benchmark p95-latency {service="portal"}: 0.9s, expected at most 0.5s' in message
    verdict, message = run_check(check, world())
    assert verdict == "failed" and "no load-test result" in message


def _availability(values: dict[str, float], covered_s: float) -> FakePrometheus:
    ratio, coverage = availability.queries(PROFILE.phase8.availability)
    return FakePrometheus(series={ratio: [sample({"service": s}, v) for s, v in values.items()],
                                  coverage: [sample({"service": s}, covered_s) for s in values]})


def test_availability_below_objective_or_too_little_data_fails_with_the_budget():
    critical = [w.name for w in PROFILE.platform.critical]
    check = availability.test_critical_services_meet_availability_objective
    assert run_check(check, world(prometheus=_availability({s: 1.0 for s in critical}, 90))) == ("passed", "")
    verdict, message = run_check(check, world(prometheus=_availability(
        {**{s: 1.0 for s in critical}, "portal": 0.98}, 90)))
    assert verdict == "failed" and "service data-platform/portal: availability 98.0000% over 90s, below the " \
        "objective 99.900% (error budget left -1900%)" in message
    verdict, message = run_check(check, world(prometheus=_availability({s: 1.0 for s in critical}, 10)))
    assert "only 10s of probe data in the 90s window, expected at least 30s" in message
    verdict, message = run_check(check, world(prometheus=_availability({"portal": 1.0}, 90)))
    assert 'service data-platform/trino: no probe_success{job="service-probes"} series' in message


def _alert(name: str, severity: str, **status) -> dict:
    return {"labels": {"alertname": name, "severity": severity, "namespace": "data-platform"},
            "startsAt": "2026-11-27T08:00:00Z", "status": {"state": "active", "silencedBy": [], "inhibitedBy": [],
                                                           **status}}


def test_critical_alerts_fail_silenced_ones_are_listed_apart_and_no_heartbeat_is_broken():
    check = alerts.test_no_critical_alert_firing
    watchdog = _alert("Watchdog", "none")
    assert run_check(check, world(alertmanager=FakeAlertmanager(held=[watchdog]))) == ("passed", "")
    firing = _alert("PostgresDown", "critical")
    verdict, message = run_check(check, world(alertmanager=FakeAlertmanager(held=[watchdog, firing])))
    assert verdict == "failed" and "alert PostgresDown (critical; namespace=data-platform): firing since" in message
    hushed = _alert("PostgresDown", "critical", state="suppressed", silencedBy=["s1"])
    silence = {"id": "s1", "createdBy": "sre@254carbon", "endsAt": "2026-11-28T00:00:00Z", "comment": "maint"}
    assert run_check(check, world(alertmanager=FakeAlertmanager(held=[watchdog, hushed], silences=[silence]))) \
        == ("passed", "")
    assert run_check(check, world(alertmanager=FakeAlertmanager(held=[firing])))[0] == "broken"


def _training(expired_person: str | None = None) -> FakeSnapshot:
    today = dt.date.today()
    listed = [{"person": p, "trained_by": "dana", "on": str(today - dt.timedelta(days=30)),
               "expires": str(today - dt.timedelta(days=1) if p == expired_person else today + dt.timedelta(days=9))}
              for p in ("alice", "bikram")]
    body = {"data": {"attestations.yaml": yaml.safe_dump(listed)}}
    return FakeSnapshot(raw={"/api/v1/namespaces/monitoring/configmaps/oncall-training": body})


def test_training_attestations_expire_and_every_rotation_member_needs_one():
    check = signoff.test_on_call_rotation_trained
    verdict, message = run_check(check, world(snapshot=_training()))
    assert verdict == "failed" and message == "on-call chen: no training attestation"
    verdict, message = run_check(check, world(snapshot=_training("bikram")))
    assert "on-call bikram: training by dana on" in message and "expired on" in message
    garbage = FakeSnapshot(raw={"/api/v1/namespaces/monitoring/configmaps/oncall-training":
                                {"data": {"attestations.yaml": "- just a name"}}})
    assert "is not a list of attestations" in run_check(check, world(snapshot=garbage))[1]


def test_security_audit_record_must_be_within_its_validity():
    check = signoff.test_security_audit_passed
    assert run_check(check, world()) == ("passed", "")
    old = PROFILE.model_copy(update={"phase8": PROFILE.phase8.model_copy(update={
        "security_audit": PROFILE.phase8.security_audit.model_copy(update={"date": dt.date(2024, 1, 1)})})})
    verdict, message = run_check(check, {**world(), "profile": old})
    assert verdict == "failed" and "on 2024-01-01:" in message and "valid for 365" in message
    only_phase8 = FakeRequest([c for c, m in load_all().items() if m.phase == 8])
    assert run_check(check, world(request=only_phase8))[0] == "skipped"


def _summary(verdicts: dict[str, str]) -> dict:
    catalog = load_all()
    cases = [CaseResult(f"t::{c}", c, v, f"{c} said so" if v != "passed" else "", 0.0, catalog[c])
             for c, v in verdicts.items()]
    return {e["id"]: e for e in build(by_criterion(cases), catalog, profile_name="x", severity_of=lambda m: m.severity,
                                      runbook_of=lambda m: m.runbook, target="t", previous=None)["criteria"]}


def test_derived_criteria_follow_the_verdicts_they_are_made_of():
    catalog = load_all()
    everything = {c: "passed" for c in catalog}
    assert _summary(everything)["P8-ALL-PHASES"]["verdict"] == "passed"
    broken = _summary({**everything, "P2-SECRETS-STORE": "failed", "P3-DRAIN": "not_evaluated"})
    assert broken["P8-ALL-PHASES"]["verdict"] == "failed"
    assert broken["P8-ALL-PHASES"]["reasons"] == ["P2-SECRETS-STORE failed: P2-SECRETS-STORE said so"]
    unseen = _summary({**everything, "P3-DRAIN": "not_evaluated"})["P8-ALL-PHASES"]
    assert unseen["verdict"] == "not_evaluated" and unseen["reasons"] == [
        "evaluate P3-DRAIN first (its verdict is made of theirs)"]
    assert broken["P8-SECURITY-AUDIT"]["reasons"] == ["P2-SECRETS-STORE failed: P2-SECRETS-STORE said so"]
    waived = _summary({**everything, "P2-SECRETS-STORE": "waived", "P1-INGRESS": "not_applicable"})
    assert waived["P8-SECURITY-AUDIT"]["verdict"] == waived["P8-ALL-PHASES"]["verdict"] == "passed"
    alone = _summary({"P8-ALL-PHASES": "passed", "P8-SECURITY-AUDIT": "passed"})
    assert alone["P8-ALL-PHASES"]["verdict"] == "not_evaluated" and "P1-EVENTS" in alone["P8-ALL-PHASES"]["reasons"][0]


def test_drain_plan_takes_the_riskiest_half_then_a_daily_sample():
    from suites.phase3.test_node_failure import drain_plan
    order = [f"w{i}" for i in range(10)]
    assert drain_plan(order, None, dt.date(2026, 11, 27)) == order
    assert drain_plan(order, 20, dt.date(2026, 11, 27)) == order
    plan = drain_plan(order, 4, dt.date(2026, 11, 27))
    assert plan[:2] == ["w0", "w1"] and len(plan) == 4 and set(plan[2:]) <= set(order[2:])
    assert plan == drain_plan(order, 4, dt.date(2026, 11, 27))
    days = {tuple(drain_plan(order, 4, dt.date(2026, 11, d))) for d in range(1, 29)}
    assert len(days) > 1 and {w for p in days for w in p} == set(order)


def test_a_chaos_record_of_a_live_run_is_left_to_it_and_a_dead_or_old_one_is_not():
    import os
    import socket
    from chaos.ledger import FOREIGN_RECORD_TTL_S, NodeRecord
    mine = NodeRecord("w1", "https://k", "cordon", False, [])
    assert mine.owner_alive()                                   # this very process
    dead = NodeRecord("w1", "https://k", "cordon", False, [], pid=os.getpid(), started="0")
    assert not dead.owner_alive()                               # a reused pid is not the owner
    elsewhere = NodeRecord("w1", "https://k", "cordon", False, [], host=socket.gethostname() + "-other")
    assert elsewhere.owner_alive() and not elsewhere.owner_alive(now=elsewhere.at + FOREIGN_RECORD_TTL_S + 1)
    assert NodeRecord.from_json(mine.to_json()) == mine


def test_prometheus_durations_and_the_30_day_window():
    from readiness.timing import prom_duration_s
    assert prom_duration_s("30d") == 30 * 86400 and prom_duration_s("1h30m") == 5400
    assert prom_duration_s("90s") == 90 and prom_duration_s("1w") == 7 * 86400
    assert prom_duration_s("30 days") is None and prom_duration_s("") is None
    ratio, coverage = availability.queries(load_profile(ROOT / "profiles" / "254carbon.yaml").phase8.availability)
    assert "[30d]" in ratio and "[30d:5184s]" in coverage


def test_a_window_that_is_not_a_prometheus_duration_is_a_profile_error(tmp_path):
    import pytest as _pytest
    from readiness.profile import ProfileError
    data = yaml.safe_load((ROOT / "profiles" / "sandbox.yaml").read_text())
    data["phase8"]["availability"]["window"] = "30 days"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with _pytest.raises(ProfileError, match="phase8.availability.window: .*expected a Prometheus duration"):
        load_profile(path)
