"""The sandbox itself: real metrics drive the real HPA, crashed components are named, down leaves nothing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from sandbox.run.cluster import specs, status
from sandbox.run.kube import get_json, kubectl
from sandbox.run.processes import Supervisor, port_open
from tests.suite_runner import ROOT, sandbox_cli


def _trino_replicas(layout) -> int:
    return get_json(layout, "deployment", "trino", "-n", "data-platform")["status"].get("readyReplicas", 0)


def _wait(what: str, check, timeout: float, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def test_kubectl_top_and_hpa_show_real_cpu_figures(sandbox):
    top = kubectl(sandbox, "top", "pods", "-n", "data-platform").stdout
    assert "trino-" in top and "m " in top, top
    hpa = get_json(sandbox, "hpa", "trino-hpa", "-n", "data-platform")
    current = hpa["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"]
    assert 0 < current < 70, hpa["status"]


def test_simulated_cpu_load_scales_trino_up_and_back_down(sandbox):
    assert _trino_replicas(sandbox) == 2
    sandbox_cli("load", "trino", "900m")            # 180% of the 500m request: the HPA wants more replicas
    try:
        replicas = _wait("trino-hpa to scale trino above 2", lambda: _trino_replicas(sandbox) > 2 and
                         _trino_replicas(sandbox), 120)
        assert replicas > 2
    finally:
        sandbox_cli("load", "trino", "off")
    _wait("trino-hpa to scale trino back to 2", lambda: _trino_replicas(sandbox) == 2 and
          get_json(sandbox, "deployment", "trino", "-n", "data-platform")["spec"]["replicas"] == 2, 180)


def test_alert_posted_to_alertmanager_reaches_every_sink(sandbox):
    marker = f"SandboxSinkCheck{int(time.time())}"
    alert = {"labels": {"alertname": marker, "severity": "critical"}}
    requests.post(sandbox.url("alertmanager") + "/api/v2/alerts", timeout=10, json=[alert]).raise_for_status()

    def arrived():
        rows = requests.get(sandbox.url("sinks_http") + "/received", timeout=10).json()
        return {r["kind"] for r in rows if marker in json.dumps(r)} >= {"email", "pagerduty", "slack"}
    try:
        _wait("the alert at the email, PagerDuty and Slack sinks", arrived, 60, 1)
    finally:        # resolved now, or it fires for Alertmanager's resolve_timeout (5m) and fails the next test
        ended = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        requests.post(sandbox.url("alertmanager") + "/api/v2/alerts", timeout=10,
                      json=[{**alert, "endsAt": ended}]).raise_for_status()


def test_status_names_a_crashed_component_and_up_restarts_it(sandbox):
    sup = Supervisor(sandbox.root)
    pid = sup.pid("pushgateway")
    assert pid
    os.killpg(pid, signal.SIGKILL)
    _wait("pushgateway to be gone", lambda: sup.pid("pushgateway") is None, 10, 0.2)
    proc = subprocess.run([sys.executable, "-m", "sandbox", "status"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    line = next(line for line in proc.stdout.splitlines() if line.startswith("pushgateway"))
    assert "crashed" in line, proc.stdout
    sandbox_cli("up")
    assert sup.pid("pushgateway")


@pytest.mark.lifecycle
def test_down_leaves_no_process_or_port_and_up_comes_back(sandbox):
    pids = [Supervisor(sandbox.root).pid(s.name) for s in specs(sandbox)]
    sandbox_cli("down", timeout=120)
    for spec in specs(sandbox):
        assert not (spec.port and port_open(spec.port)), f"{spec.name} still listens on {spec.port}"
    for pid in filter(None, pids):
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z", pid
    sandbox_cli("up", timeout=600)      # its speed is measured by scripts/benchmark.py, not asserted here
    assert all(state == "running" for _, state, _ in status(sandbox))
