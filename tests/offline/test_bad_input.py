"""Bad input gets one line that says what to fix and a usage error (exit 4), never a traceback."""
from __future__ import annotations


from tests.suite_runner import one_line_error, run_suite


def test_broken_profile(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("name: x\nplatform: {namespaces: [a], workloads: []}\nphase4: {}\n")
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--profile", str(profile)))
    assert "p.yaml:2: platform.workloads" in line


def test_missing_kubeconfig(tmp_path):
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--kubeconfig", str(tmp_path / "nope")))
    assert "does not exist; pass --kubeconfig PATH" in line


def test_unknown_criterion_id(tmp_path):
    line = one_line_error(run_suite(tmp_path, "suites/phase3", "--criteria", "P3-NOPE"))
    assert "unknown criterion ID(s) P3-NOPE" in line
