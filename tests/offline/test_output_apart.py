"""Generated output lives apart from the code that writes it: a gate run writes only under reports/ (the run's
output) and state/ (what it leaves to the next run), both ignored by git, never into a code directory.

Proven on a copy of the checkout under git, with the gate's own arguments (scripts/gate.sh) and the default
--summary-dir and --state-dir, over the stub suite (tests/stub_suite.py: the real plugin, no cluster)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import yaml

from plugin import PARTS
from tests.http_stub import serving
from tests.stub_suite import STUB_MODULE, StubApi, everything, kubeconfig
from tests.suite_runner import ROOT

CODE = ("plugin", "reporting", "readiness", "fixtures", "suites", "chaos", "profiles", "docs", "deploy")
FILES = ("conftest.py", "pyproject.toml", ".gitignore", "reports/README.md")
OUTPUT = ("reports/", "state/")


def _git(repo, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo), *args],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def _checkout_copy(tmp_path):
    """The code directories and top-level files of this checkout, committed to a repository of their own."""
    copy = tmp_path / "checkout"
    for name in CODE:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in FILES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, copy / name)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-q", "-m", "checkout")
    return copy


def _stub_suite(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\nreadiness_suites = .\n")
    (suite / "conftest.py").write_text(f"pytest_plugins = {[*PARTS, 'chaos.plugin']!r}\n")
    (suite / "test_stubs.py").write_text(STUB_MODULE)
    profile = yaml.safe_load((ROOT / "profiles/sandbox.yaml").read_text())
    profile["chaos"] = {**profile.get("chaos", {}), "allowed_contexts": ["stub"]}
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return suite


def test_a_gate_run_writes_nothing_into_a_code_directory(tmp_path):
    copy, suite = _checkout_copy(tmp_path), _stub_suite(tmp_path)
    outcomes = everything(P3_PDB={"one": "fail"}, P1_NODES_READY={"one": "note:seen"})
    env = {**os.environ, "PYTHONPATH": str(copy), "STUB_OUTCOMES": json.dumps(outcomes),
           "READINESS_CHAOS_LEDGER": str(tmp_path / "ledger.json"),
           **{f"{n.upper()}_URL": "http://127.0.0.1:9" for n in ("prometheus", "alertmanager", "loki", "grafana",
                                                                 "vault")}}
    with serving(StubApi) as server:
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump(kubeconfig(server)))
        # As scripts/gate.sh runs it, from the checkout; only the suite and the cluster are the stub's.
        proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(suite), "--gate",
                               "--allow-chaos", "--allow-alert-delivery", "--alluredir=reports/allure-results",
                               "--clean-alluredir", "--junitxml=reports/junit.xml",
                               "--kubeconfig", str(tmp_path / "kubeconfig"),
                               "--profile", str(tmp_path / "profile.yaml")],
                              cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 1 and "production readiness" in proc.stdout, output    # P3-PDB failed: the gate says so
    written = {p: (copy / p).exists() for p in ("reports/summary.json", "reports/summary.md", "reports/junit.xml",
                                               "reports/allure-results", "state/history.jsonl", "state/evidence.jsonl")}
    assert all(written.values()), f"not written where expected: {written}\n{output}"
    assert _git(copy, "status", "--porcelain", "--untracked-files=all") == "", output
    ignored = [line[3:] for line in
               _git(copy, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines()]
    stray = [p for p in ignored if not p.startswith(OUTPUT) and "__pycache__/" not in p]
    assert not stray, f"written among the code (ignored by git, but not output): {stray}"


def test_the_html_report_and_its_history_are_configured_apart_from_the_code():
    config = json.loads((ROOT / "reporting/allurerc.json").read_text())
    assert config["output"].startswith("reports/") and config["historyPath"].startswith("state/")
    assert (ROOT / "reports/README.md").exists()
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "reports", "state"], capture_output=True,
                             text=True, check=True).stdout.split()
    assert tracked in ([], ["reports/README.md"]), f"tracked under reports/ or state/: {tracked}"
