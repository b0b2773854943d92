"""KUBECONFIG with several paths is merged as kubectl merges it (client-go's loading rules)."""
from __future__ import annotations

import os

from tests.offline.test_kubeconfig import _write
from tests.suite_runner import run_suite


def test_merged_kubeconfig_reaches_the_sandbox(sandbox, tmp_path):
    empty = _write(tmp_path / "empty.yaml", None)
    env = {**os.environ, "KUBECONFIG": os.pathsep.join([empty, _sandbox_kubeconfig()])}
    run = run_suite(tmp_path, "suites", "--criteria", "P1-NODES-READY", "--profile", "profiles/sandbox.yaml", env=env)
    assert run.exit_code == 0 and run.verdict("P1-NODES-READY") == "passed", run.output[-2000:]


def _sandbox_kubeconfig() -> str:
    from fixtures.target import _sandbox_env
    return _sandbox_env()["KUBECONFIG"]
