"""The real readiness plugin and summary, run over a stub suite: one test per criterion of the catalog, with
the criterion's real metadata, whose cases pass, fail, break, skip, crash their process, receive SIGTERM or
pass with a note ("note:TEXT") as told.

No cluster is needed: the kubeconfig points at a small API server in the test process that answers only what
the plugin itself reads (the kube-system namespace, the cluster's identity, and /version).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import yaml

from plugin import PARTS
from plugin.catalog import load_all
from tests.http_stub import JsonHandler, serving
from tests.suite_runner import ROOT, SuiteRun

STUB_MODULE = '''
import json, os, signal
import pytest
from plugin.catalog import load_all
from readiness.criteria import marks_for
from readiness.evidence import note
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
    if outcome == "skip":
        pytest.skip()
    if outcome.startswith("note:"):
        note(outcome.removeprefix("note:"))


@pytest.fixture
def leaves_a_mess(request):
    yield
    if request.node.callspec.params["case"].endswith("-teardown-fails"):
        raise RuntimeError("could not put back what the check changed")
    if request.node.callspec.params["case"].endswith("-teardown-crashes"):
        os._exit(1)


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
                   allow_opt_in: bool = True, allure: bool = False) -> SuiteRun:
    """``node_ids`` (``test_stubs.py::test_X[case]``) run instead of the whole stub suite; ``cache`` keeps
    pytest's cache between runs in ``tmp`` (for --lf); ``allow_opt_in`` passes --allow-chaos and
    --allow-alert-delivery; ``allure`` writes Allure results (in a process of its own: allure-pytest keeps
    global state that a run inside this one would share)."""
    suite = tmp / "suite"
    suite.mkdir(parents=True, exist_ok=True)
    (suite / "pytest.ini").write_text("[pytest]\nreadiness_suites = .\n")
    (suite / "conftest.py").write_text(f"pytest_plugins = {[*PARTS, 'chaos.plugin']!r}\n")
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
    own_process = allure or "-n" in args or \
        any(o in ("crash", "sigterm") or k.endswith("-teardown-crashes") for c in outcomes.values()
            for k, o in c.items())
    reporting = [f"--alluredir={tmp / 'allure'}"] if allure else ["-p", "no:allure_pytest"]
    pytest_args = [*caching, "-q", *(node_ids or [str(suite)]), "--summary-dir", str(out), "--state-dir", str(out),
                   *reporting,
                   "--kubeconfig", str(tmp / "kubeconfig"),
                   "--profile", str(tmp / "profile.yaml"),
                   *(["--allow-chaos", "--allow-alert-delivery"] if allow_opt_in else []), *args]
    # A crash, a signal, pytest-xdist or Allure needs a process of its own; the rest runs here, without start-up.
    with serving(StubApi) as server:
        (tmp / "kubeconfig").write_text(yaml.safe_dump(kubeconfig(server)))
        if own_process:
            proc = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=suite, capture_output=True,
                                  text=True, timeout=timeout, env=env)
            code, output = proc.returncode, proc.stdout + proc.stderr
        else:
            code, output = _in_process(pytest_args, suite, env)
    written = (out / "summary.json").exists()
    return SuiteRun(code, output, json.loads((out / "summary.json").read_text()) if written else None)


def _in_process(args: list[str], cwd: Path, env: dict) -> tuple[int, str]:
    """pytest.main in this process, leaving its modules, environment, directory and SIGTERM handler as found."""
    modules, environ, here = set(sys.modules), dict(os.environ), os.getcwd()
    sigterm = signal.getsignal(signal.SIGTERM)
    output = io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = int(pytest.main(args))
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(environ)
        signal.signal(signal.SIGTERM, sigterm)
        for name in set(sys.modules) - modules:     # the stub module and its conftest, per suite directory
            del sys.modules[name]
    return code, output.getvalue()
