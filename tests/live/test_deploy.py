"""deploy/ runs the gate inside a cluster with least privilege: its manifests are generated from what the suite
reads, its Job matches the Dockerfile, and against the sandbox the read-only ServiceAccount passes the read-only
suite while chaos with it is forbidden by the API server."""
from __future__ import annotations

import json

import yaml

from plugin import deploy
from sandbox.run import kube
from tests.suite_runner import ROOT, run_suite, sandbox_cli, unhealthy, wait_for_healthy

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}


def _kubectl(layout, *args: str, stdin: str | None = None) -> str:
    return kube.kubectl(layout, *args, stdin=stdin).stdout


def _kubeconfig_for(layout, account: str, path) -> str:
    """A kubeconfig holding a short-lived token of ``account`` (TokenRequest), context named as the sandbox's
    so that the profile's chaos allow-list is not what refuses chaos."""
    token = _kubectl(layout, "-n", deploy.NAMESPACE, "create", "token", account, "--duration=30m").strip()
    admin = yaml.safe_load(layout.kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "platform-sandbox",
        "clusters": [{"name": "sandbox", "cluster": cluster}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": "platform-sandbox", "context": {"cluster": "sandbox", "user": account}}]}))
    return str(path)


def _env(layout) -> dict:
    import os
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    sandbox_env = json.loads((layout.root / "env.json").read_text())
    env.update({k: v for k, v in sandbox_env.items() if k.endswith("_URL") or k == "READINESS_CA_BUNDLE"})
    return env


def test_read_only_account_passes_the_read_only_suite_and_chaos_is_forbidden(sandbox, tmp_path):
    sandbox_cli("heal")
    assert not unhealthy(wait_for_healthy(tmp_path / "wait", 180))
    _kubectl(sandbox, "apply", "--server-side", "-f", "-", stdin=(ROOT / "deploy" / "rbac.yaml").read_text())
    kubeconfig = _kubeconfig_for(sandbox, "readiness", tmp_path / "readonly.kubeconfig")
    common = ("--kubeconfig", kubeconfig, "--context", "platform-sandbox", "--profile", "profiles/sandbox.yaml",
              "--summary-configmap", f"{deploy.NAMESPACE}/{deploy.SUMMARY_CONFIGMAP}")
    run = run_suite(tmp_path / "readonly", "suites", *common, env=_env(sandbox))
    assert run.summary, run.output[-3000:]
    assert not unhealthy(run), f"with the read-only account: {unhealthy(run)}"
    published = json.loads(_kubectl(sandbox, "-n", deploy.NAMESPACE, "get", "configmap", deploy.SUMMARY_CONFIGMAP,
                                    "-o", "json"))
    assert json.loads(published["data"]["summary.json"])["generated_at"] == run.summary["generated_at"]
    chaos = run_suite(tmp_path / "chaos", "suites", *common, "--allow-chaos", "--criteria", "P3-DRAIN",
                      env=_env(sandbox))
    assert chaos.verdict("P3-DRAIN") == "broken", chaos.output[-3000:]
    assert "403" in chaos.reasons("P3-DRAIN") or "forbidden" in chaos.reasons("P3-DRAIN").lower()
