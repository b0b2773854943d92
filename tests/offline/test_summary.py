"""The summary counts what was not evaluated, lists all eight phases, and the gate says INCOMPLETE (recorded
verdicts; the same paths run against the sandbox in test_reports.py)."""
from __future__ import annotations

import datetime as dt
import json

import jsonschema

from plugin.catalog import load_all
from readiness.profile import load_profile
from reporting import carry_over, gate, policy, summary
from reporting.results import CaseResult, by_criterion
from tests.suite_runner import ROOT

CATALOG = load_all()
SCHEMA = json.loads((ROOT / "docs/summary.schema.json").read_text())
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)
CLUSTER = {"uid": "kube-system-uid-1", "server": "https://127.0.0.1:16443", "ca_sha256": "ca-1"}
POLICY = policy.describe(load_profile(ROOT / "profiles/sandbox.yaml"), CATALOG, [], None)
VERSION = "0.1.0+test"


def _results(verdicts: dict[str, str]) -> dict:
    return by_criterion([CaseResult(f"suites/x::{cid}", cid, v, f"{cid} {v} message", 0.1, CATALOG[cid])
                         for cid, v in verdicts.items()])


def _build(verdicts: dict[str, str], adjust=None, previous=None) -> dict:
    result = summary.build(_results(verdicts), CATALOG, profile_name="sandbox", severity_of=lambda m: m.severity,
                           runbook_of=lambda m: m.runbook, target="ctx", previous=previous, cluster=CLUSTER,
                           adjust=adjust, now=NOW, policy=POLICY, suite_version=VERSION)
    result["gate"] = gate.decide(result)
    result["forecast"] = {"status": "none", "text": "no forecast"}
    jsonschema.validate(result, SCHEMA)
    return result


def _everything(**overrides) -> dict[str, str]:
    return {cid: overrides.get(cid, "passed") for cid in CATALOG}


def test_all_eight_phases_listed_and_a_phase_without_checks_is_never_complete():
    result = _build(_everything())
    assert [row["phase"] for row in result["phases"]] == list(range(1, 9))
    for row in result["phases"]:
        if row["catalog_criteria"] == 0:
            assert row["status"] == "no checks yet" and row["percent"] is None
    empty = [str(r["phase"]) for r in result["phases"] if r["status"] == "no checks yet"]
    if empty:
        assert f"{', '.join(empty)} " in result["headline"] and "no checks" in result["headline"]
    assert result["headline"].startswith("Production readiness: ")


def test_not_evaluated_counts_against_the_percentage_and_blocks_the_gate():
    verdicts = _everything(**{"P3-NODE-FAILURE": "not_evaluated", "P3-DRAIN": "not_evaluated"})
    result = _build(verdicts)
    n = len(CATALOG)
    # P8-ALL-PHASES is made of their verdicts: it waits on them too.
    assert result["counts"]["applicable"] == n and result["counts"]["passed"] == n - 3
    assert result["overall_percent"] < 100
    assert "3 not evaluated (P3-DRAIN, P3-NODE-FAILURE, P8-ALL-PHASES)" in result["headline"]
    assert result["gate"]["decision"] == "INCOMPLETE"
    assert any(line.startswith("P3-NODE-FAILURE (blocker): ") for line in result["gate"]["to_evaluate"])
    assert "P3-NODE-FAILURE" in summary.to_markdown(result) and "Not evaluated" in summary.to_markdown(result)


def test_not_applicable_is_left_out_and_listed():
    result = _build(_everything(**{"P3-DRAIN": "not_applicable"}))
    assert result["counts"]["applicable"] == len(CATALOG) - 1 and result["overall_percent"] == 100
    assert result["gate"]["decision"] == "PASS"
    assert "Not applicable" in summary.to_markdown(result)


def test_scope_of_one_phase_names_it_and_lists_the_others_as_not_in_this_run():
    phase4 = {cid: "passed" for cid, meta in CATALOG.items() if meta.phase == 4}
    result = _build(phase4)
    assert result["headline"].startswith("Phase 4: ") and result["scope"]["kind"] == "phases"
    statuses = {row["phase"]: row["status"] for row in result["phases"]}
    assert statuses[4] == "evaluated" and statuses[3] == "not in this run"
    assert "Phase 4 only" in result["gate"]["reason"]
    assert result["gate"]["decision"] == "PASS (partial: phase 4)" and result["gate"]["outcome"] == "PASS"
    picked = _build({"P3-PDB": "passed", "P4-LOKI": "failed"})
    assert picked["headline"].startswith("Selected criteria (P3-PDB, P4-LOKI): 1 of 2")


def _with_evidence(records, max_age_days=7):
    def adjust(entry):
        if entry["verdict"] == "not_evaluated":
            carry_over.apply(entry, records, max_age_days, CLUSTER, NOW, POLICY["fingerprint"], VERSION)
    return adjust


def _record(at: dt.datetime, verdict="passed", uid=CLUSTER["uid"], cid="P3-NODE-FAILURE", **provenance):
    return {"criterion": cid, "verdict": verdict, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "cluster_uid": uid,
            "server": "https://other" if uid != CLUSTER["uid"] else CLUSTER["server"], "reasons": [],
            "ca_sha256": CLUSTER["ca_sha256"], "policy": POLICY["fingerprint"], "suite_version": VERSION,
            **provenance}


UNSEEN = _everything(**{"P3-NODE-FAILURE": "not_evaluated"})


def test_recent_evidence_from_the_same_cluster_is_carried_over():
    result = _build(UNSEEN, _with_evidence([_record(NOW - dt.timedelta(days=3))]))
    entry = next(c for c in result["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "passed" and entry["carried_over"]["age"] == "3 days ago"
    assert result["gate"]["decision"] == "PASS"
    assert "P3-NODE-FAILURE: passed 3 days ago (run at 2026-11-24T12:00:00Z" in "\n".join(summary.to_lines(result))


def test_old_evidence_or_another_clusters_does_not_count():
    old = _build(UNSEEN, _with_evidence([_record(NOW - dt.timedelta(days=9))]))
    entry = next(c for c in old["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and "9.0 days old" in entry["carry_over_refused"]
    assert old["gate"]["decision"] == "INCOMPLETE"
    other = _build(UNSEEN, _with_evidence([_record(NOW - dt.timedelta(hours=2), uid="another-uid")]))
    entry = next(c for c in other["criteria"] if c["id"] == "P3-NODE-FAILURE")
    assert entry["verdict"] == "not_evaluated" and "another cluster" in entry["carry_over_refused"]


def test_carried_failure_still_fails_the_gate():
    result = _build(UNSEEN, _with_evidence([_record(NOW - dt.timedelta(days=1), verdict="failed")]))
    assert result["gate"]["decision"] == "FAIL"


def test_evidence_is_recorded_only_for_what_this_run_evaluated(tmp_path):
    evaluated = _build(_everything())
    carry_over.record(tmp_path, evaluated)
    rows = carry_over.read(tmp_path)
    assert {r["criterion"] for r in rows} == {c for c, m in CATALOG.items() if m.opt_in}
    assert all(r["cluster_uid"] == CLUSTER["uid"] for r in rows)
    carried = _build(UNSEEN, _with_evidence(rows))
    carry_over.record(tmp_path / "second", carried)
    assert not any(r["criterion"] == "P3-NODE-FAILURE" for r in carry_over.read(tmp_path / "second"))


def test_roadmap_checklist_ticks_from_verdicts_and_lists_unmapped_lines():
    from readiness.profile import ChecklistLine, ChecklistSection
    roadmap = [ChecklistSection(title="By End of Phase 3", lines=[
        ChecklistLine(line="Multi-node cluster operational", criteria=["P3-NODES"]),
        ChecklistLine(line="Node failure test passed", criteria=["P3-NODE-FAILURE", "P3-DRAIN"]),
        ChecklistLine(line="Runbooks reviewed"),
        ChecklistLine(line="Backups restored", criteria=["P5-RESTORE-TEST"])])]
    verdicts = {c: v for c, v in _everything(**{"P3-NODE-FAILURE": "not_evaluated"}).items() if c[1] != "5"}
    result = summary.build(_results(verdicts), CATALOG, profile_name="sandbox", severity_of=lambda m: m.severity,
                           runbook_of=lambda m: m.runbook, target="ctx", previous=None, now=NOW, roadmap=roadmap)
    items = {i["line"]: i for i in result["roadmap"][0]["items"]}
    assert items["Multi-node cluster operational"]["state"] == "done"
    assert items["Node failure test passed"]["state"] == "open"
    assert items["Node failure test passed"]["why"] == ["P3-NODE-FAILURE not evaluated"]
    assert items["Runbooks reviewed"]["state"] == "not checked"
    assert items["Backups restored"]["state"] == "not in this run"
    lines = summary.to_lines(result)
    assert "      [?] Runbooks reviewed (no criterion mapped: not checked)" in lines
    assert "      [x] Multi-node cluster operational" in lines
    assert "    1 line(s) decided by criteria outside this run's scope" in lines
    assert not any("Backups restored" in line for line in lines)
    markdown = summary.to_markdown(result)
    assert "- [ ] Node failure test passed (P3-NODE-FAILURE not evaluated)" in markdown
    assert "✅ Phase 1: Infrastructure" in markdown and "(100% complete)" in markdown
    assert "⏳ Phase 5: Backup and DR" in markdown and "(not in this run)" in markdown


def test_a_checks_notes_are_in_the_summary_and_the_gate_reason_whatever_the_verdict():
    """A passing check's findings that must not stay in an attachment (readiness.evidence.note)."""
    hushed = 'alert PostgresDown (critical; namespace=data-platform): silenced by sre-alice until ' \
             '2026-11-27T14:00:00Z: "failover rehearsal" (silence s-1)'
    cases = [CaseResult(f"suites/x::{cid}", cid, "passed", "", 0.1, CATALOG[cid],
                        [hushed] if cid == "P8-NO-CRITICAL-ALERTS" else []) for cid in CATALOG]
    result = summary.build(by_criterion(cases), CATALOG, profile_name="sandbox", severity_of=lambda m: m.severity,
                           runbook_of=lambda m: m.runbook, target="ctx", previous=None, now=NOW, policy=POLICY)
    result["gate"] = gate.decide(result)
    result["forecast"] = {"status": "none", "text": "no forecast"}
    jsonschema.validate(result, SCHEMA)
    entry = next(c for c in result["criteria"] if c["id"] == "P8-NO-CRITICAL-ALERTS")
    assert entry["verdict"] == "passed" and entry["notes"] == [hushed]
    assert result["gate"]["decision"] == "PASS" and result["gate"]["notes"] == [f"P8-NO-CRITICAL-ALERTS: {hushed}"]
    assert result["gate"]["reason"].endswith(f"; noted by the checks: P8-NO-CRITICAL-ALERTS: {hushed}")
    assert f"  NOTE    P8-NO-CRITICAL-ALERTS: {hushed}" in summary.to_lines(result)
    assert f"## Notes from the checks\n\n- **P8-NO-CRITICAL-ALERTS** (passed):\n  - {hushed}\n" \
        in summary.to_markdown(result)
    assert "notes" not in next(c for c in result["criteria"] if c["id"] == "P8-ALL-PHASES")
