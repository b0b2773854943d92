"""Phases 6 and 8 on recorded answers: the edges that decide a verdict (extra proof; each criterion is also
proven against the sandbox in test_faults.py; the PromQL-based ones on Prometheus' engine in tests/promql/)."""
from __future__ import annotations

import datetime as dt

import yaml

from plugin.catalog import load_all
from readiness.profile import load_profile
from reporting.results import CaseResult, by_criterion
from reporting.summary import build
from suites.phase6 import test_saturation as saturation
from suites.phase8 import test_alerts as alerts, test_signoff as signoff
from suites.prometheus_data import Source, coverage_queries
from tests.builders import cond, node, stamp
from tests.fakes import FakeAlertmanager, FakeRequest, FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")


def world(**fixtures) -> dict:
    return {**empty_world(PROFILE), **fixtures}


def _nodes(cpu_used: str) -> FakeSnapshot:
    worker = node("w1")
    worker["status"]["allocatable"] = {"cpu": "16", "memory": "64Gi"}
    usage = [{"metadata": {"name": "w1"}, "timestamp": stamp(15), "window": "15s",
              "usage": {"cpu": cpu_used, "memory": "2Gi"}}]
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
    assert verdict == "broken" and "node w1: Ready but metrics.k8s.io has no usage" in message


def _alert(name: str, severity: str, **status) -> dict:
    """As Alertmanager lists an alert Prometheus sent 20 s ago (more cases: tests/adversarial/test_phase8.py)."""
    return {"labels": {"alertname": name, "severity": severity, "namespace": "data-platform"},
            "startsAt": stamp(600), "updatedAt": stamp(20), "endsAt": stamp(-220),
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], **status}}


def test_critical_alerts_fail_silenced_ones_are_listed_apart_and_no_heartbeat_is_broken():
    check = alerts.test_no_critical_alert_firing
    watchdog = _alert("Watchdog", "none")
    assert run_check(check, world(alertmanager=FakeAlertmanager(held=[watchdog]))) == ("passed", "")
    firing = _alert("PostgresDown", "critical")
    verdict, message = run_check(check, world(alertmanager=FakeAlertmanager(held=[watchdog, firing])))
    assert verdict == "failed" and "alert PostgresDown (critical; namespace=data-platform): firing since" in message
    hushed = _alert("PostgresDown", "critical", state="suppressed", silencedBy=["s1"])
    silence = {"id": "s1", "createdBy": "sre@254carbon", "startsAt": stamp(600), "endsAt": stamp(-1800),
               "comment": "maint", "matchers": [{"name": "alertname", "value": "PostgresDown", "isRegex": False}],
               "status": {"state": "active"}}
    assert run_check(check, world(alertmanager=FakeAlertmanager(held=[watchdog, hushed], silences=[silence]))) \
        == ("passed", "")
    verdict, message = run_check(check, world(alertmanager=FakeAlertmanager(held=[firing])))
    assert verdict == "failed" and "no Watchdog alert" in message     # what fires is reported, with the rest
    assert run_check(check, world(alertmanager=FakeAlertmanager(held=[])))[0] == "broken"


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
    spec = load_profile(ROOT / "profiles" / "254carbon.yaml").phase8.availability
    queries = coverage_queries(Source(spec.series, spec.service_label), spec.window, spec.interval)
    assert all("[30d:30s]" in q for q in queries.values()) and "[60s]" in queries["present"]


def test_a_window_that_is_not_a_prometheus_duration_is_a_profile_error(tmp_path):
    import pytest as _pytest
    from readiness.profile import ProfileError
    data = yaml.safe_load((ROOT / "profiles" / "sandbox.yaml").read_text())
    data["phase8"]["availability"]["window"] = "30 days"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with _pytest.raises(ProfileError, match="phase8.availability.window: .*expected a Prometheus duration"):
        load_profile(path)
