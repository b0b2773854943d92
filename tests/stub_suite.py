"""The real readiness plugin and summary, run over a stub suite: one test per criterion of the catalog, with
the criterion's real metadata, whose cases pass, fail, break, crash their process or receive SIGTERM as told.

No cluster is needed: the kubeconfig points at a small API server in the test process that answers only what
the plugin itself reads (the kube-system namespace, the cluster's identity, and /version).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from readiness.catalog import load_all
from tests.http_stub import JsonHandler, serving
from tests.suite_runner import ROOT, SuiteRun

STUB_MODULE = '''
import json, os, signal
import pytest
from readiness.catalog import load_all
from readiness.criteria import marks_for
from readiness.verdict import CouldNotLook

CATALOG = load_all()
OUTCOMES = json.loads(os.environ["STUB_OUTCOMES"])


def act(outcome):
    if outcome == "fail":
        pytest.fail("data-platform/stub: not as expected", pytrace=False)
    if outcome == "broken":
        raise CouldNotLook("stub", "unreachable")
    if outcome == "crash":
        os._exit(1)
    if outcome == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)


@pytest.fixture
def leaves_a_mess(request):
    yield
    if request.node.callspec.params["case"].endswith("-teardown-fails"):
        raise RuntimeError("could not put back what the check changed")


def make(cid, cases):
    def test(case, leaves_a_mess):
        act(OUTCOMES[cid][case])
    test = pytest.mark.parametrize("case", list(cases))(test)
    for mark in marks_for(CATALOG[cid]):
        test = mark(test)
    return test


for _cid, _cases in OUTCOMES.items():
    globals()["test_" + _cid.replace("-", "_")] = make(_cid, _cases)
'''

CLUSTER_UID = "stub-kube-system-uid"


class StubApi(JsonHandler):
    ANSWERS = {"/api/v1/namespaces/kube-system": {"kind": "Namespace", "metadata": {"name": "kube-system",
                                                                                  "uid": CLUSTER_UID}},
               "/version": {"gitVersion": "v1.33.13"}, "/api/v1/nodes": {"kind": "NodeList", "items": []}}

    def do_GET(self):
        body = self.ANSWERS.get(self.path.partition("?")[0])
        self.send_json(200 if body else 404, body or {"kind": "Status", "code": 404})


def kubeconfig(server: str) -> dict:
    return {"apiVersion": "v1", "kind": "Config", "current-context": "stub",
            "clusters": [{"name": "stub", "cluster": {"server": server}}],
            "users": [{"name": "stub", "user": {"token": "stub"}}],
            "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "stub"}}]}


def everything(**cases: dict[str, str]) -> dict[str, dict[str, str]]:
    """Every criterion of the catalog with one passing case, unless given its own cases: {case: outcome}."""
    return {cid: cases.get(cid.replace("-", "_"), {"only": "pass"}) for cid in load_all()}


def run_stub_suite(tmp: Path, outcomes: dict[str, dict[str, str]], *args: str, profile_changes: dict | None = None,
                   timeout: float = 180, node_ids: tuple[str, ...] = (), cache: bool = False,
                   allow_opt_in: bool = True) -> SuiteRun:
    """``node_ids`` (``test_stubs.py::test_X[case]``) run instead of the whole stub suite; ``cache`` keeps
    pytest's cache between runs in ``tmp`` (for --lf); ``allow_opt_in`` passes --allow-chaos and
    --allow-alert-delivery."""
    suite = tmp / "suite"
    suite.mkdir(parents=True, exist_ok=True)
    (suite / "pytest.ini").write_text("[pytest]\nreadiness_suites = .\n")
    (suite / "conftest.py").write_text('pytest_plugins = ["readiness.plugin", "chaos.plugin"]\n')
    (suite / "test_stubs.py").write_text(STUB_MODULE)
    profile = yaml.safe_load((ROOT / "profiles/sandbox.yaml").read_text())
    profile["chaos"] = {**profile.get("chaos", {}), "allowed_contexts": ["stub"]}
    for key, value in (profile_changes or {}).items():
        profile[key] = value
    (tmp / "profile.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    out = tmp / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STUB_OUTCOMES": json.dumps(outcomes),
           "READINESS_CHAOS_LEDGER": str(tmp / "ledger.json"),
           **{f"{n.upper()}_URL": "http://127.0.0.1:9" for n in ("prometheus", "alertmanager", "loki", "grafana",
                                                                 "vault")}}
    caching = ["-o", f"cache_dir={tmp / 'cache'}"] if cache else ["-p", "no:cacheprovider"]
    cmd = [sys.executable, "-m", "pytest", *caching, "-q", *(node_ids or [str(suite)]),
           "--summary-dir", str(out), f"--alluredir={tmp / 'allure'}", "--kubeconfig", str(tmp / "kubeconfig"),
           "--profile", str(tmp / "profile.yaml"),
           *(["--allow-chaos", "--allow-alert-delivery"] if allow_opt_in else []), *args]
    with serving(StubApi) as server:
        (tmp / "kubeconfig").write_text(yaml.safe_dump(kubeconfig(server)))
        proc = subprocess.run(cmd, cwd=suite, capture_output=True, text=True, timeout=timeout, env=env)
    written = (out / "summary.json").exists()
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr,
                    json.loads((out / "summary.json").read_text()) if written else None)
