"""The gate vouches only for what ran, under a policy it shows.

Each case the reviewer found giving "Gate: PASS" and exit 0 is run here through the real plugin and summary
over a stub suite (tests/stub_suite.py), or through the summary code over recorded verdicts. The same paths
run against the sandbox in test_reports.py.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from reporting.gate import exit_code
from reporting import carry_over, roadmap
from tests.stub_suite import CLUSTER_UID, everything, run_stub_suite
from tests.offline.test_summary import CLUSTER, NOW, POLICY, UNSEEN, VERSION, _build, _record

TWO_SERVICES = {"trino": "pass", "portal": "pass"}


def _entry(run, cid: str) -> dict:
    return run.criterion(cid)


def test_a_deselected_case_leaves_its_criterion_not_evaluated_and_the_gate_incomplete(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_SERVICE_HA=TWO_SERVICES), "--gate", "-k", "not trino")
    assert run.exit_code == 1, run.output[-3000:]
    entry = _entry(run, "P3-SERVICE-HA")
    assert entry["verdict"] == "not_evaluated" and entry["cases"] == 2
    assert "1 of 2 case(s) deselected by -k 'not trino' (test_P3_SERVICE_HA[trino])" in entry["reasons"][0]
    assert run.summary["gate"]["decision"] == "INCOMPLETE"
    assert run.summary["selection"]["deselected"] == {"P3-SERVICE-HA": ["test_P3_SERVICE_HA[trino]"]}
    headline = run.summary["headline"]
    assert headline.startswith("Production readiness: 48 of 50") and "1 case(s) deselected by -k" in headline
    assert "2 not evaluated (P3-SERVICE-HA, P8-ALL-PHASES)" in headline
    assert "DESELECTED P3-SERVICE-HA: test_P3_SERVICE_HA[trino] (by -k 'not trino')" in run.output


def test_deselect_option_and_a_wholly_deselected_criterion_are_not_evaluated(tmp_path):
    node = "test_stubs.py::test_P4_LOKI[only]"
    run = run_stub_suite(tmp_path, everything(P3_SERVICE_HA=TWO_SERVICES), "--gate", "--deselect", node)
    assert run.exit_code == 1 and run.summary["scope"]["kind"] == "all", run.output[-3000:]
    assert _entry(run, "P4-LOKI")["verdict"] == "not_evaluated"
    assert "deselected by --deselect" in _entry(run, "P4-LOKI")["reasons"][0]


def test_a_node_id_naming_one_parametrisation_is_not_the_whole_criterion(tmp_path):
    outcomes = {"P3-SERVICE-HA": TWO_SERVICES}
    run = run_stub_suite(tmp_path, outcomes, "--gate", node_ids=("test_stubs.py::test_P3_SERVICE_HA[portal]",))
    assert run.exit_code == 1, run.output[-3000:]
    assert _entry(run, "P3-SERVICE-HA")["verdict"] == "not_evaluated"
    assert "only some of its cases were named by node ID" in " ".join(_entry(run, "P3-SERVICE-HA")["reasons"])


def test_a_case_that_kills_its_xdist_worker_is_broken_and_fails_the_gate(tmp_path):
    outcomes = everything(P3_HPA_METRICS={"trino": "crash", "portal": "pass"},
                          P3_HPA_CONFIG={"trino": "crash", "portal": "pass"})
    run = run_stub_suite(tmp_path, outcomes, "--gate", "-n", "2", timeout=300)
    assert run.exit_code == 1, run.output[-3000:]
    for cid in ("P3-HPA-METRICS", "P3-HPA-CONFIG"):
        entry = _entry(run, cid)
        assert entry["verdict"] == "broken", entry
        assert "case test_" in entry["reasons"][0] and "crashed" in entry["reasons"][0], entry["reasons"]
    assert run.summary["gate"]["decision"] == "FAIL" and "P3-HPA-METRICS" in run.summary["gate"]["blocking"]


def test_a_worker_that_dies_after_a_passing_call_breaks_the_case(tmp_path):
    outcomes = everything(P3_HPA_METRICS={"trino-teardown-crashes": "pass", "portal": "pass"})
    run = run_stub_suite(tmp_path, outcomes, "--gate", "-n", "2", timeout=300)
    entry = _entry(run, "P3-HPA-METRICS")
    assert entry["verdict"] == "broken" and "crashed" in entry["reasons"][0], (entry, run.output[-2000:])
    assert run.exit_code == 1 and run.summary["gate"]["decision"] == "FAIL"


def test_a_teardown_that_fails_breaks_its_criterion(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_PDB={"x-teardown-fails": "pass"}), "--gate")
    entry = _entry(run, "P3-PDB")
    assert entry["verdict"] == "broken" and "teardown" in entry["reasons"][0], entry
    assert run.exit_code == 1


def test_sigterm_leaves_the_cases_that_did_not_run_broken_and_report_only_keeps_the_interruption(tmp_path):
    outcomes = {"P1-NODES-READY": {"a": "pass"}, "P1-EVENTS": {"a": "sigterm"}, "P1-SERVICES": {"a": "pass"}}
    run = run_stub_suite(tmp_path, outcomes, "--gate", "--report-only")
    assert run.exit_code == 2, run.output[-3000:]
    assert run.summary["gate"]["outcome"] != "PASS", run.summary["gate"]
    missing = [c for c in ("P1-EVENTS", "P1-SERVICES") if _entry(run, c)["verdict"] == "broken"]
    assert missing, run.summary["criteria"]
    assert any("produced no verdict" in r for c in missing for r in _entry(run, c)["reasons"])


@pytest.mark.parametrize("status, report_only, gated, expected", [
    (1, True, False, 0), (0, True, True, 0), (2, True, True, 2), (3, True, False, 3), (4, True, True, 4),
    (5, True, True, 5), (1, False, True, 0), (0, False, True, 1), (2, False, True, 2), (1, False, False, 1)])
def test_exit_code_keeps_interruptions_and_internal_errors(status, report_only, gated, expected):
    outcome = "PASS" if (status, gated, expected) == (1, True, 0) else "FAIL"
    assert exit_code(status, outcome, report_only=report_only, gated=gated) == expected


def test_an_empty_gate_is_a_usage_error(tmp_path):
    run = run_stub_suite(tmp_path, everything(), "--gate", profile_changes={"gate": {"severities": []}})
    assert run.exit_code == 4 and "Traceback" not in run.output, run.output[-2000:]
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and "gate.severities" in errors[0] and "[blocker, critical]" in errors[0], errors


def test_a_gate_that_leaves_out_blockers_is_a_usage_error(tmp_path):
    run = run_stub_suite(tmp_path, everything(), profile_changes={"gate": {"severities": ["critical"]}})
    assert run.exit_code == 4 and "write severities: [blocker, critical]" in run.output, run.output[-2000:]


def test_lowering_a_severity_without_a_reason_is_a_usage_error(tmp_path):
    run = run_stub_suite(tmp_path, everything(), profile_changes={"severity": {"P8-AVAILABILITY": "normal"}})
    assert run.exit_code == 4, run.output[-2000:]
    assert "severity.P8-AVAILABILITY: lowers blocker to normal without a reason" in run.output


def test_a_lowered_severity_shows_in_the_header_summary_and_gate_reason(tmp_path):
    demoted = {"P8-AVAILABILITY": {"severity": "normal", "reason": "probes land next sprint"},
               "P8-NO-CRITICAL-ALERTS": {"severity": "minor", "reason": "alert noise being fixed"}}
    outcomes = everything(P8_AVAILABILITY={"only": "fail"}, P8_NO_CRITICAL_ALERTS={"only": "fail"})
    run = run_stub_suite(tmp_path, outcomes, "--gate", "-v", profile_changes={"severity": demoted})
    gate = run.summary["gate"]
    assert gate["outcome"] == "PASS", run.output[-3000:]
    assert "P8-AVAILABILITY failed but gates as normal (profile severity override: probes land next sprint)" \
        in gate["reason"]
    assert "P8-NO-CRITICAL-ALERTS failed but gates as minor" in gate["reason"]
    overrides = {o["id"]: o for o in run.summary["policy"]["severity_overrides"]}
    assert overrides["P8-AVAILABILITY"] == {"id": "P8-AVAILABILITY", "catalog": "blocker", "profile": "normal",
                                            "reason": "probes land next sprint"}
    assert _entry(run, "P8-AVAILABILITY")["severity_override"]["catalog"] == "blocker"
    assert "readiness gate severity overrides: P8-AVAILABILITY blocker -> normal (probes land next sprint)" \
        in run.output


def test_a_partial_scope_says_so_in_the_decision_itself(tmp_path):
    run = run_stub_suite(tmp_path, everything(), "--gate", "--criteria", "P6-API-LATENCY", allure=True)
    assert run.exit_code == 0, run.output[-3000:]
    assert run.summary["gate"]["decision"] == "PASS (partial: P6-API-LATENCY)"
    assert "Gate: PASS (partial: P6-API-LATENCY)" in run.output
    results = [json.loads(p.read_text()) for p in (tmp_path / "allure").glob("*-result.json")]
    status = [r for r in results if r["fullName"] == "readiness.summary"]
    assert status and status[0]["name"].startswith("Gate: PASS (partial: P6-API-LATENCY). "), status
    phase = run_stub_suite(tmp_path / "phase", {c: v for c, v in everything().items() if c.startswith("P4-")},
                           "--gate")
    assert phase.summary["gate"]["decision"] == "PASS (partial: phase 4)", phase.output[-2000:]


def test_future_dated_evidence_is_refused_and_a_newer_failure_wins():
    future = _record(dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc))
    failed = _record(NOW - dt.timedelta(hours=1), verdict="failed")
    result = _build(UNSEEN, _adjust([future, failed]))
    entry = next(c for c in result["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "failed" and result["gate"]["decision"] == "FAIL"
    assert any("2099-01-01T00:00:00Z: dated" in r and "in the future" in r for r in entry["carried_over"]["refused"])
    alone = _build(UNSEEN, _adjust([future]))
    entry = next(c for c in alone["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and "in the future" in entry["carry_over_refused"]
    assert alone["gate"]["decision"] == "INCOMPLETE"


def test_a_newer_failure_under_another_policy_still_outweighs_an_older_pass():
    passed = _record(NOW - dt.timedelta(days=2))
    failed = _record(NOW - dt.timedelta(days=1), verdict="failed", policy="another-policy")
    entry = next(c for c in _build(UNSEEN, _adjust([passed, failed]))["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "failed", entry


@pytest.mark.parametrize("provenance, why", [
    ({"server": "https://elsewhere:6443"}, "from API server https://elsewhere:6443"),
    ({"ca_sha256": "another-ca"}, "CA differs"),
    ({"policy": "another-policy"}, "another gate policy"),
    ({"suite_version": "0.0.9+old"}, "suite version 0.0.9+old"),
    ({"ca_sha256": None, "policy": None, "suite_version": None}, "CA differs"),
])
def test_evidence_from_another_server_ca_policy_or_version_is_refused(provenance, why):
    record = _record(NOW - dt.timedelta(hours=3), **provenance)
    result = _build(UNSEEN, _adjust([record]))
    entry = next(c for c in result["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and why in entry["carry_over_refused"], entry
    assert result["gate"]["decision"] == "INCOMPLETE"


def test_evidence_without_provenance_is_refused():
    record = _record(NOW - dt.timedelta(hours=3))
    for key in ("ca_sha256", "policy", "suite_version"):
        del record[key]
    entry = next(c for c in _build(UNSEEN, _adjust([record]))["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and "without its provenance" in entry["carry_over_refused"]


def test_recorded_evidence_carries_its_provenance(tmp_path):
    carry_over.record(tmp_path, _build(everything_verdicts()))
    rows = carry_over.read(tmp_path)
    assert rows and all(r["policy"] == POLICY["fingerprint"] and r["suite_version"] == VERSION
                        and r["ca_sha256"] == CLUSTER["ca_sha256"] for r in rows)


def test_a_roadmap_line_whose_criteria_all_do_not_apply_is_not_ticked():
    verdicts = {"P3-DRAIN": {"verdict": "not_applicable"}, "P3-NODE-FAILURE": {"verdict": "not_applicable"},
                "P3-NODES": {"verdict": "passed"}}
    assert roadmap.line_state(["P3-DRAIN", "P3-NODE-FAILURE"], verdicts)[0] == "not applicable"
    assert roadmap.line_state(["P3-DRAIN", "P3-NODES"], verdicts)[0] == "done"


def everything_verdicts() -> dict[str, str]:
    return {cid: "passed" for cid in everything()}


def _adjust(records):
    def adjust(entry):
        if entry["verdict"] == "not_evaluated":
            carry_over.apply(entry, records, 7, CLUSTER, NOW, POLICY["fingerprint"], VERSION)
    return adjust


# Found by an adversarial review of the gate (each one gave PASS or exit 0 before its fix).

def test_last_failed_runs_pass_no_criterion(tmp_path):
    failing = everything(P3_SERVICE_HA={"trino": "pass", "portal": "fail"})
    first = run_stub_suite(tmp_path, failing, "--gate", cache=True)
    assert first.summary["gate"]["outcome"] == "FAIL"
    fixed = everything(P3_SERVICE_HA=TWO_SERVICES)
    again = run_stub_suite(tmp_path, fixed, "--gate", "--lf", cache=True)
    assert again.exit_code == 1, again.output[-3000:]
    assert _entry(again, "P3-SERVICE-HA")["verdict"] == "not_evaluated"
    assert "--lf ran only the cases that failed last time" in " ".join(_entry(again, "P3-SERVICE-HA")["reasons"])


def test_an_xfail_that_no_waiver_raised_is_not_a_waiver(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_PDB={}), "--gate", "-o", "empty_parameter_set_mark=xfail")
    assert run.summary["gate"]["outcome"] != "PASS" and run.exit_code == 1, run.output[-3000:]
    entry = _entry(run, "P3-PDB")
    assert entry["verdict"] == "broken" and "only a waiver may say" in entry["reasons"][0], entry


def test_disabling_the_skipping_plugin_does_not_let_refused_chaos_run(tmp_path):
    outcomes = everything(P3_DRAIN={"only": "fail"}, P3_NODE_FAILURE={"only": "fail"})
    run = run_stub_suite(tmp_path, outcomes, "--gate", "-p", "no:skipping",
                         profile_changes={"chaos": {"allowed_contexts": ["prod-only"]}})
    assert run.exit_code == 1 and run.summary["gate"]["decision"] == "INCOMPLETE", run.output[-3000:]
    assert {_entry(run, c)["verdict"] for c in ("P3-DRAIN", "P3-NODE-FAILURE")} == {"not_evaluated"}


@pytest.mark.parametrize("args", [("-p", "no:readiness-collection"), ("-p", "no:readiness-results")])
def test_the_plugins_parts_cannot_be_switched_off(tmp_path, args):
    run = run_stub_suite(tmp_path, everything(), "--gate", *args)
    assert run.exit_code == 4 and "needs every part of its plugin" in run.output, run.output[-2000:]


def test_a_gate_over_no_readiness_suite_is_a_usage_error(tmp_path):
    run = run_stub_suite(tmp_path, everything(), "--gate", "-o", "readiness_suites=/nonexistent")
    assert run.exit_code == 4 and "collects no readiness suite" in run.output, run.output[-2000:]


def test_collect_only_writes_no_summary_and_keeps_the_last(tmp_path):
    first = run_stub_suite(tmp_path, everything(), "--gate")
    assert first.summary["gate"]["decision"] == "PASS"
    listed = run_stub_suite(tmp_path, everything(), "--gate", "--co")
    assert listed.exit_code == 0 and listed.summary == first.summary, listed.output[-2000:]


@pytest.mark.parametrize("provenance", [{"server": "https://lb.example:6443"}, {"ca_sha256": "rotated-ca"},
                                        {"policy": "another"}, {"suite_version": "0.0.1+old"}])
def test_a_newer_failure_of_the_same_cluster_wins_whoever_recorded_it(provenance):
    passed = _record(NOW - dt.timedelta(days=2))
    failed = _record(NOW - dt.timedelta(days=1), verdict="failed", **provenance)
    entry = next(c for c in _build(UNSEEN, _adjust([passed, failed]))["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "failed", entry


def test_a_failure_and_a_pass_of_the_same_second_fail_in_either_order():
    at = NOW - dt.timedelta(hours=1)
    for records in ([_record(at), _record(at, verdict="failed")], [_record(at, verdict="failed"), _record(at)]):
        entry = next(c for c in _build(UNSEEN, _adjust(records))["criteria"] if c["id"] == "P3-NODE-FAILURE")
        assert entry["verdict"] == "failed", records


@pytest.mark.parametrize("at", ["2026-11-27T10:00:00", 1764237600, None, "yesterday"])
def test_an_unreadable_evidence_date_is_refused_not_a_crash(at):
    record = {**_record(NOW - dt.timedelta(hours=2)), "at": at}
    entry = next(c for c in _build(UNSEEN, _adjust([record]))["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and "date cannot be read" in entry["carry_over_refused"], entry


def _evidence(tmp_path, **record) -> None:
    (tmp_path / "out").mkdir(parents=True, exist_ok=True)
    base = {"criterion": "P3-NODE-FAILURE", "verdict": "passed", "cluster_uid": CLUSTER_UID, "reasons": [],
            "ca_sha256": None, "policy": "x", "suite_version": "x"}
    (tmp_path / "out" / "evidence.jsonl").write_text(json.dumps({**base, **record}) + "\n")


@pytest.mark.parametrize("record, why", [
    ({"at": "2099-01-01T00:00:00Z", "server": "whatever"}, "in the future"),
    ({"at": "__recent__", "server": "https://elsewhere:6443"}, "from API server https://elsewhere:6443"),
])
def test_refused_evidence_leaves_the_gate_incomplete_with_the_reason_shown(tmp_path, record, why):
    if record["at"] == "__recent__":
        record = {**record, "at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
                  .strftime("%Y-%m-%dT%H:%M:%SZ")}
    _evidence(tmp_path, **record)
    run = run_stub_suite(tmp_path, everything(), "--gate", allow_opt_in=False)
    assert run.exit_code == 1 and run.summary["gate"]["decision"] == "INCOMPLETE", run.output[-3000:]
    entry = _entry(run, "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and why in entry["carry_over_refused"], entry
    assert "earlier evidence not used" in run.output and why in run.output


def test_a_passing_checks_notes_reach_the_summary_and_the_gate_reason_from_xdist_workers(tmp_path):
    hushed = 'alert PostgresDown (critical): silenced by sre-alice until 2126-01-01T00:00:00Z: "rehearsal" (silence s-1)'
    run = run_stub_suite(tmp_path, everything(P8_NO_CRITICAL_ALERTS={"only": f"note:{hushed}"}), "--gate", "-n", "2",
                         timeout=300)
    assert run.exit_code == 0 and run.summary["gate"]["decision"] == "PASS", run.output[-3000:]
    assert _entry(run, "P8-NO-CRITICAL-ALERTS")["notes"] == [hushed]
    assert run.summary["gate"]["reason"].endswith(f"noted by the checks: P8-NO-CRITICAL-ALERTS: {hushed}")
    assert f"NOTE    P8-NO-CRITICAL-ALERTS: {hushed}" in run.output
    assert hushed in (tmp_path / "out" / "summary.md").read_text()
