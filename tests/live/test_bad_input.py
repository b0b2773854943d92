"""Bad input gets one line that says what to fix and a usage error (exit 4), never a traceback."""
from __future__ import annotations

import os
import shutil

import pytest

from tests.suite_runner import one_line_error, run_suite


def test_unknown_context(sandbox, tmp_path):
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--context", "no-such-context"))
    assert "unknown context 'no-such-context'" in line and "platform-sandbox" in line


def test_missing_url_for_a_cluster_that_is_not_the_sandbox(sandbox, tmp_path):
    copy = tmp_path / "kubeconfig"
    shutil.copy(sandbox.kubeconfig, copy)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    line = one_line_error(run_suite(tmp_path, "suites/phase4", "--kubeconfig", str(copy), env=env))
    assert "no " in line and "URL for" in line and "--criteria" in line


def test_bad_url_scheme(sandbox, tmp_path):
    line = one_line_error(run_suite(tmp_path, "suites/phase4", "--prometheus-url", "127.0.0.1:9090"))
    assert "must start with http://" in line


@pytest.mark.parametrize("endpoint", ["prometheus", "alertmanager", "loki", "grafana"])
def test_unreachable_endpoint_makes_its_criteria_broken_never_passed(sandbox, tmp_path, endpoint):
    run = run_suite(tmp_path, "suites/phase4", "--allow-alert-delivery", f"--{endpoint}-url", "http://127.0.0.1:9")
    affected = [c for c in run.summary["criteria"] if endpoint in _needs(c["id"])]
    assert affected, f"no criterion reads {endpoint}"
    for entry in affected:
        # Broken; or failed when the part it could read already showed a real failure, with the part it could
        # not read named among the reasons. Never passed.
        assert entry["verdict"] in ("broken", "failed"), f"{entry['id']} is {entry['verdict']} with {endpoint} down"
        assert any("could not evaluate" in r and "127.0.0.1:9" in r for r in entry["reasons"]), entry["reasons"]


def test_wrong_service_at_the_url_is_broken(sandbox, tmp_path):
    # Grafana's stand-in answers JSON, but not Prometheus's API: the checks must say so, not pass.
    run = run_suite(tmp_path, "suites/phase4", "--criteria", "P4-TARGETS,P4-ALERT-RULES",
                    "--prometheus-url", sandbox.url("grafana"))
    for cid in ("P4-TARGETS", "P4-ALERT-RULES"):
        assert run.verdict(cid) == "broken", run.output[-2000:]


def _needs(cid: str) -> tuple[str, ...]:
    from plugin.catalog import load_all
    return load_all()[cid].needs


def _sandbox_profile(tmp_path, old: str, new: str) -> str:
    from tests.suite_runner import ROOT
    text = (ROOT / "profiles/sandbox.yaml").read_text()
    assert old in text
    path = tmp_path / "profile.yaml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


def test_unknown_criterion_in_the_profiles_skip_is_a_usage_error(sandbox, tmp_path):
    profile = _sandbox_profile(tmp_path, "severity:\n", "skip:\n  P9-NOPE: typo\nseverity:\n")
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--profile", profile))
    assert "skip: unknown criterion ID(s) P9-NOPE" in line


def test_carrying_over_a_read_only_criterion_is_a_usage_error(sandbox, tmp_path):
    profile = _sandbox_profile(tmp_path, "    - P3-DRAIN\n", "    - P3-DRAIN\n    - P3-PDB\n")
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--profile", profile))
    assert "P3-PDB can be evaluated on every run" in line


def test_a_skip_without_a_reason_is_refused(sandbox, tmp_path):
    profile = _sandbox_profile(tmp_path, "severity:\n", "skip:\n  P3-PDB: ''\nseverity:\n")
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--profile", profile))
    assert "skip.P3-PDB" in line


def test_an_empty_list_in_the_profile_is_broken_with_the_fix(sandbox, tmp_path):
    import yaml
    from tests.suite_runner import ROOT
    data = yaml.safe_load((ROOT / "profiles/sandbox.yaml").read_text())
    data["phase3"]["hpas"] = []
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data))
    run = run_suite(tmp_path, "suites/phase3", "--profile", str(path), "--criteria", "P3-HPA-CONFIG,P3-HPA-METRICS")
    for cid in ("P3-HPA-CONFIG", "P3-HPA-METRICS"):
        assert run.verdict(cid) == "broken", run.output[-2000:]
        assert f"the profile lists no HPAs (phase3.hpas): list them, or add {cid} to skip with a reason" in \
            run.reasons(cid)
    data["skip"] = {"P3-HPA-CONFIG": "no autoscaling on this platform"}
    path.write_text(yaml.safe_dump(data))
    skipped = run_suite(tmp_path, "suites/phase3", "--profile", str(path), "--criteria", "P3-HPA-CONFIG")
    assert skipped.verdict("P3-HPA-CONFIG") == "not_applicable"
    assert "no autoscaling on this platform" in skipped.criterion("P3-HPA-CONFIG")["reasons"][0]
