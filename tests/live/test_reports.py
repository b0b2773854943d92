"""Status summary, gate, waivers, baseline, forecast and JUnit, from real runs against the sandbox."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from tests.suite_runner import ROOT, run_suite, sandbox_cli, wait_for_healthy, wait_for_verdict

SCHEMA = json.loads((ROOT / "docs/summary.schema.json").read_text())


def test_two_runs_show_the_change_per_phase_and_match_the_schema(sandbox, tmp_path):
    sandbox_cli("heal")
    healthy = wait_for_healthy(tmp_path, 180)
    jsonschema.validate(healthy.summary, SCHEMA)
    sandbox_cli("fault", "pdb-deleted")
    sandbox_cli("fault", "dashboards-missing")
    try:
        broken = run_suite(tmp_path, "suites")
    finally:
        sandbox_cli("heal")
    jsonschema.validate(broken.summary, SCHEMA)
    # P8-ALL-PHASES is made of the others: it fails with them, naming them.
    assert {c["id"] for c in broken.summary["criteria"] if c["verdict"] == "failed"} == \
        {"P3-PDB", "P4-DASHBOARDS", "P8-ALL-PHASES"}
    assert broken.reasons("P8-ALL-PHASES").startswith("P3-PDB failed: ")
    changes = {c["phase"]: (c["from"], c["to"]) for c in broken.summary["changes"]}
    # Not-evaluated chaos and delivery criteria count against a phase, so a healthy run is below 100%.
    assert changes[3][0] > changes[3][1] and changes[4][0] > changes[4][1], changes
    text = (tmp_path / "summary.md").read_text()
    assert f"- Phase 3: {changes[3][0]:g}% -> {changes[3][1]:g}%" in text and "- Phase 4: " in text, text
    assert "P3-PDB" in text and "Next step" in text
    assert "Phase 3 High availability:" in broken.output and "P3-PDB" in broken.output


@pytest.fixture
def degraded(sandbox, tmp_path):
    """A blocker criterion (P3-SERVICE-HA) failing for the duration of the test."""
    sandbox_cli("heal")
    sandbox_cli("fault", "service-degraded")
    wait_for_verdict(tmp_path / "wait", "P3-SERVICE-HA", "failed", 60)
    yield
    sandbox_cli("heal")


def _waivers(tmp_path, expires: dt.date):
    path = tmp_path / "waivers.yaml"
    path.write_text(f"waivers:\n  - criterion: P3-SERVICE-HA\n    object: cloudflared\n    owner: sre-team\n"
                    f"    reason: second tunnel replica lands next sprint\n    expires: {expires.isoformat()}\n")
    return str(path)


def test_gate_exit_codes_follow_policy(degraded, tmp_path):
    phase3 = ("suites/phase3", "--criteria", "P3-SERVICE-HA,P3-NODES")
    failing = run_suite(tmp_path / "gate", *phase3, "--gate")
    assert failing.exit_code == 1 and failing.summary["gate"]["decision"] == "FAIL"
    assert failing.summary["gate"]["blocking"] == ["P3-SERVICE-HA"]
    report_only = run_suite(tmp_path / "report-only", *phase3, "--gate", "--report-only")
    assert report_only.exit_code == 0 and report_only.summary["gate"]["decision"] == "FAIL"
    future = _waivers(tmp_path, dt.date.today() + dt.timedelta(days=14))
    waived = run_suite(tmp_path / "waived", *phase3, "--gate", "--waivers", future)
    assert waived.exit_code == 0, waived.output[-2000:]
    entry = waived.criterion("P3-SERVICE-HA")
    assert entry["verdict"] == "waived" and "WAIVED until" in entry["reasons"][0] and "sre-team" in entry["reasons"][0]
    expired = _waivers(tmp_path, dt.date.today() - dt.timedelta(days=1))
    lapsed = run_suite(tmp_path / "expired", *phase3, "--gate", "--waivers", expired)
    assert lapsed.exit_code == 1 and lapsed.verdict("P3-SERVICE-HA") == "failed"
    assert any("expired on" in r for r in lapsed.criterion("P3-SERVICE-HA")["reasons"])


def test_baseline_waives_todays_failures(degraded, tmp_path):
    baseline = tmp_path / "baseline.yaml"
    first = run_suite(tmp_path / "first", "suites/phase3", "--criteria", "P3-SERVICE-HA", "--gate",
                      "--write-baseline", str(baseline))
    assert first.exit_code == 1 and "criterion: P3-SERVICE-HA" in baseline.read_text()
    second = run_suite(tmp_path / "second", "suites/phase3", "--criteria", "P3-SERVICE-HA", "--gate",
                       "--waivers", str(baseline))
    assert second.exit_code == 0 and second.verdict("P3-SERVICE-HA") == "waived"


def test_a_deselected_case_is_not_a_pass_and_a_partial_pass_says_so(sandbox, tmp_path):
    sandbox_cli("heal")
    wait_for_verdict(tmp_path / "wait", "P3-SERVICE-HA", "passed", 120)
    scoped = ("suites", "--criteria", "P3-SERVICE-HA", "--gate")
    narrowed = run_suite(tmp_path / "k", *scoped, "-k", "not trino")
    assert narrowed.exit_code == 1, narrowed.output[-3000:]
    assert narrowed.verdict("P3-SERVICE-HA") == "not_evaluated"
    assert narrowed.summary["selection"]["deselected"] == {
        "P3-SERVICE-HA": ["test_critical_service_has_two_ready_replicas[data-platform/trino]"]}
    assert "deselected by -k 'not trino'" in narrowed.summary["headline"]
    whole = run_suite(tmp_path / "whole", *scoped)
    assert whole.exit_code == 0, whole.output[-3000:]
    assert whole.summary["gate"]["decision"] == "PASS (partial: P3-SERVICE-HA)"
    assert "Gate: PASS (partial: P3-SERVICE-HA)" in whole.output


def test_gate_is_incomplete_without_chaos_and_passes_with_it_or_with_recent_evidence(sandbox, tmp_path):
    sandbox_cli("heal")
    wait_for_healthy(tmp_path / "wait", 180)
    unseen = run_suite(tmp_path, "suites", "--gate")
    gate = unseen.summary["gate"]
    assert unseen.exit_code == 1 and gate["decision"] == "INCOMPLETE", unseen.output[-3000:]
    # P8-ALL-PHASES is made of every earlier verdict, so it waits on the opt-in ones too.
    assert set(gate["not_evaluated"]) == {"P3-NODE-FAILURE", "P3-DRAIN", "P8-ALL-PHASES"}, gate
    assert any("--allow-chaos" in line for line in gate["to_evaluate"]), gate
    assert "4 not evaluated (P3-DRAIN, P3-NODE-FAILURE, P4-ALERT-DELIVERY, P8-ALL-PHASES)" in \
        unseen.summary["headline"]
    assert "Gate: INCOMPLETE" in unseen.output and "P3-NODE-FAILURE (blocker)" in unseen.output
    chaos = run_suite(tmp_path, "suites", "--gate", "--allow-chaos", "--allow-alert-delivery", timeout=900)
    assert chaos.exit_code == 0 and chaos.summary["gate"]["decision"] == "PASS", chaos.output[-3000:]
    # Pods the drains moved need a scrape and a metrics resolution before the read-only checks see them.
    wait_for_healthy(tmp_path / "settle", 180)
    carried = run_suite(tmp_path, "suites", "--gate")
    assert carried.exit_code == 0 and carried.summary["gate"]["decision"] == "PASS", carried.output[-3000:]
    entry = carried.criterion("P3-NODE-FAILURE")
    assert entry["verdict"] == "passed" and entry["carried_over"]["at"] == chaos.summary["generated_at"]
    assert carried.criterion("P8-ALL-PHASES")["verdict"] == "passed"
    assert "CARRIED P3-NODE-FAILURE: passed" in carried.output and "same cluster" in carried.output
    elsewhere = tmp_path / "other-summary-dir"      # no evidence there: the same run is incomplete again
    assert run_suite(elsewhere, "suites", "--gate").summary["gate"]["decision"] == "INCOMPLETE"


def test_junit_xml_carries_criterion_ids(sandbox, tmp_path):
    junit = tmp_path / "junit.xml"
    run_suite(tmp_path, "suites/phase3", "--criteria", "P3-PDB", f"--junitxml={junit}")
    cases = ET.parse(junit).getroot().iter("testcase")
    props = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    assert props and all(p.get("criterion") == "P3-PDB" for p in props), props


def test_bad_waivers_file_is_a_usage_error(sandbox, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - criterion: P3-PDB\n    owner: x\n    reason: y\n    expires: someday\n")
    run = run_suite(tmp_path, "suites/phase3", "--waivers", str(path))
    assert run.exit_code == 4 and "waivers[0].expires" in run.output and "Traceback" not in run.output


CHROMIUM = shutil.which("chromium")


def _page_text(url: str, profile_dir) -> str:
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={profile_dir}", "--virtual-time-budget=15000", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    text = re.sub(r"<script.*?</script>|<style.*?</style>", "", proc.stdout, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh installs it)")
def test_html_report_shows_phases_trend_and_failed_evidence(sandbox, tmp_path):
    for name in ("reports/allure-results", "reports/allure-report"):
        shutil.rmtree(ROOT / name, ignore_errors=True)
    (ROOT / "state/allure-history.jsonl").unlink(missing_ok=True)
    sandbox_cli("heal")
    wait_for_healthy(tmp_path / "wait", 180)
    env = {**os.environ}
    for run in ("healthy", "faulty"):
        if run == "faulty":
            sandbox_cli("fault", "dashboards-missing")
            sandbox_cli("fault", "pdb-deleted")
        try:
            subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "suites",
                            "--summary-dir", str(tmp_path), "--state-dir", str(tmp_path),
                            "--alluredir=reports/allure-results", "--clean-alluredir"],
                           cwd=ROOT, capture_output=True, timeout=300, env=env)
        finally:
            sandbox_cli("heal")
        report = subprocess.run(["bash", "scripts/report.sh"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert report.returncode == 0, report.stdout + report.stderr
    assert len((ROOT / "state/allure-history.jsonl").read_text().splitlines()) == 2
    site = ROOT / "reports/allure-report"
    failed = [json.loads(p.read_text()) for p in (site / "data/test-results").glob("*.json")]
    skipped = {r["name"]: r for r in failed if r["status"] == "skipped"}
    chaos = skipped.get("P3-NODE-FAILURE: Node failure test passed")
    assert chaos, f"a not-evaluated criterion lost its title: {sorted(skipped)}"
    assert {"name": "epic", "value": "Phase 3: High availability"} in chaos["labels"], chaos["labels"]
    summary = [r for r in failed if r["fullName"] == "readiness.summary"]
    assert len(summary) == 1 and summary[0]["status"] == "failed", "the gate failed: the summary result says so"
    failed = {r["name"]: r for r in failed if r["status"] == "failed" and r not in summary}
    assert set(failed) == {"P4-DASHBOARDS: Grafana dashboards active",
                           "P3-PDB: Pod disruption budgets active [data-platform/datahub-pdb]",
                           "P8-ALL-PHASES: All phases complete"}, set(failed)    # given the summary's verdict
    assert all(r["history"] for r in failed.values()), "a failed test has no history from the previous run: no trend"
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "18997", "--directory",
                               str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        overview = _page_text("http://127.0.0.1:18997/", tmp_path / "chromium1")
        assert "Phase 3: High availability" in overview and "Phase 4: Monitoring" in overview, overview[:2000]
        page = _page_text(f"http://127.0.0.1:18997/#/{failed['P4-DASHBOARDS: Grafana dashboards active']['id']}",
                          tmp_path / "chromium2")
        assert "grafana: 2 dashboards, expected at least 6" in page, page[:3000]
        assert "P4-DASHBOARDS" in page and "runbook" in page
        assert "dashboards" in page and "datasource Prometheus health" in page, page[:3000]
        pdb_id = failed["P3-PDB: Pod disruption budgets active [data-platform/datahub-pdb]"]["id"]
        page = _page_text(f"http://127.0.0.1:18997/#/{pdb_id}", tmp_path / "chromium3")
        assert "data-platform/datahub-pdb: PodDisruptionBudget not found" in page, page[:3000]
        assert "PodDisruptionBudgets in data-platform" in page, page[:3000]
    finally:
        server.terminate()
