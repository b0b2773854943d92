"""Bad input gets one line that says what to fix and a usage error (exit 4), never a traceback."""
from __future__ import annotations

import os
import shutil

import pytest

from tests.suite_runner import run_suite

USAGE_ERROR = 4


def _one_line_error(run) -> str:
    assert run.exit_code == USAGE_ERROR, run.output[-2000:]
    assert "Traceback" not in run.output
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, run.output
    return errors[0]


def test_broken_profile(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("name: x\nplatform: {namespaces: [a], workloads: []}\nphase4: {}\n")
    line = _one_line_error(run_suite(tmp_path, "suites/phase3", "--profile", str(profile)))
    assert "p.yaml:2: platform.workloads" in line


def test_unknown_context(sandbox, tmp_path):
    line = _one_line_error(run_suite(tmp_path, "suites/phase3", "--context", "no-such-context"))
    assert "unknown context 'no-such-context'" in line and "platform-sandbox" in line


def test_missing_kubeconfig(tmp_path):
    line = _one_line_error(run_suite(tmp_path, "suites/phase3", "--kubeconfig", str(tmp_path / "nope")))
    assert "does not exist; pass --kubeconfig PATH" in line


def test_missing_url_for_a_cluster_that_is_not_the_sandbox(sandbox, tmp_path):
    copy = tmp_path / "kubeconfig"
    shutil.copy(sandbox.kubeconfig, copy)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    line = _one_line_error(run_suite(tmp_path, "suites/phase4", "--kubeconfig", str(copy), env=env))
    assert "no " in line and "URL for" in line and "--criteria" in line


def test_unknown_criterion_id(tmp_path):
    line = _one_line_error(run_suite(tmp_path, "suites/phase3", "--criteria", "P3-NOPE"))
    assert "unknown criterion ID(s) P3-NOPE" in line


def test_bad_url_scheme(sandbox, tmp_path):
    line = _one_line_error(run_suite(tmp_path, "suites/phase4", "--prometheus-url", "127.0.0.1:9090"))
    assert "must start with http://" in line


@pytest.mark.parametrize("endpoint", ["prometheus", "alertmanager", "loki", "grafana"])
def test_unreachable_endpoint_makes_its_criteria_broken_never_passed(sandbox, tmp_path, endpoint):
    run = run_suite(tmp_path, "suites/phase4", "--allow-alert-delivery", f"--{endpoint}-url", "http://127.0.0.1:9")
    affected = [c for c in run.summary["criteria"] if endpoint in _needs(c["id"])]
    assert affected, f"no criterion reads {endpoint}"
    for entry in affected:
        assert entry["verdict"] == "broken", f"{entry['id']} is {entry['verdict']} with {endpoint} unreachable"
        assert any("could not evaluate" in r and "127.0.0.1:9" in r for r in entry["reasons"]), entry["reasons"]


def test_wrong_service_at_the_url_is_broken(sandbox, tmp_path):
    # Grafana's stand-in answers JSON, but not Prometheus's API: the checks must say so, not pass.
    run = run_suite(tmp_path, "suites/phase4", "--criteria", "P4-TARGETS,P4-ALERT-RULES",
                    "--prometheus-url", sandbox.url("grafana"))
    for cid in ("P4-TARGETS", "P4-ALERT-RULES"):
        assert run.verdict(cid) == "broken", run.output[-2000:]


def _needs(cid: str) -> tuple[str, ...]:
    from readiness.catalog import load_all
    return load_all()[cid].needs
