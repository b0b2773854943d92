"""Faults of phases 6 and 8 (performance and final audit): each breaks the platform as it breaks in life.

- ``etcd-stalls``: etcd freezes for 2 s in every 3 (as on a saturated disk): every write through the API
  server waits, and its latency histogram shows it.
- ``node-saturated``: a runaway batch job without a sensible limit uses most of one node's CPU.
- ``portal-slow``: a release of the portal answers after 800 ms (its pods' response-delay annotation, read
  by the agent that stands in for the service, like kwok's usage annotations).
- ``benchmark-stale``: the load-test job stops; its last result ages out.
- ``portal-outage``: the portal had no serving pod for a few probes (scaled to zero, then back): over now,
  but inside the availability window.
- ``apiserver-histogram-dropped``: Prometheus stops taking in the API server's request histogram (a
  metric_relabel_configs drop on its scrape job, as teams add against its cardinality): the latency data ages.
- ``probe-gap``: the probes stopped for a minute (the blackbox exporter down, then back): no probe result for
  that minute, inside the availability window.
- ``critical-alert-firing``: an alert source fires a critical alert into Alertmanager's API, as any
  Prometheus does.
- ``critical-alert-silenced``: a critical alert fires and a person silences it for a day through Alertmanager's
  API, as amtool or the UI does (the sandbox profile allows an hour); heal expires the silence and resolves the
  alert.
- ``training-expired``: one on-call member's training attestation ran out yesterday.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import requests

from sandbox import configs, infrastructure, platform
from sandbox.agent import RESPONSE_DELAY
from sandbox.fault import Fault, apply, delete, merge_patch, restart, scale, stop, wait_rollout
from sandbox.layout import Layout
from sandbox.processes import ProcessSpec, Supervisor

STALL = "etcd-stall"
STALL_S, RUN_S = 2.0, 1.0
SLOW, SLOW_MS = ("data-platform", "portal"), 800
HOG = ("default", "etl-backfill")
HOG_NODE, HOG_CPU = "sandbox-worker-2", "14"
ALERT = {"alertname": "PostgresqlReplicationLagHigh", "severity": "critical", "namespace": "data-platform",
         "service": "postgresql"}
SILENCED = {"alertname": "PostgresqlTooManyConnections", "severity": "critical", "namespace": "data-platform",
            "service": "postgresql"}
SILENCED_SUMMARY = "connections above 90% of max_connections"
SILENCER, SILENCE_S = "bikram@254carbon.local", 86400
SILENCE_COMMENT = "known: the nightly ETL opens too many connections; silenced until the pool change (OPS-4711)"


def _stall_etcd(layout: Layout) -> None:
    etcd = Supervisor(layout.root).pid("etcd")
    if etcd is None:
        raise RuntimeError("etcd is not running")
    Supervisor(layout.root).start(ProcessSpec(STALL, [sys.executable, "-m", "sandbox.audit_faults", str(etcd)],
                                              cwd=Path(__file__).resolve().parent.parent))


def _unstall_etcd(layout: Layout) -> None:
    stop(STALL)(layout)
    etcd = Supervisor(layout.root).pid("etcd")
    if etcd is not None:
        os.kill(etcd, signal.SIGCONT)       # whatever state the stall loop was killed in


def _hog() -> list[dict]:
    namespace, name = HOG
    labels = {"app": name, platform.TRACKING_LABEL: "batch"}
    spec = platform.pod_spec(platform.container(name, f"registry.local/254carbon/{name}:1.0", "100m", "256Mi", 8080))
    spec["nodeSelector"]["kubernetes.io/hostname"] = HOG_NODE
    spec["containers"][0]["resources"]["limits"]["cpu"] = "15"
    return [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace,
                                                                          "labels": labels},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {
                 "metadata": {"labels": labels, "annotations": {"kwok.x-k8s.io/usage-cpu": HOG_CPU}},
                 "spec": spec}}}]


def _delay(ms: int | None):
    namespace, name = SLOW
    body = {"spec": {"template": {"metadata": {"annotations": {RESPONSE_DELAY: None if ms is None else str(ms)}}}}}

    def act(layout: Layout) -> None:
        merge_patch("deployment", namespace, name, body)(layout)
        wait_rollout(layout, namespace, f"deployment/{name}")
    return act


def _portal_replicas() -> int:
    return next(s.replicas for s in platform.SERVICES if (s.namespace, s.name) == SLOW)


def _outage(layout: Layout) -> None:
    namespace, name = SLOW
    replicas = _portal_replicas()
    query = f'probe_success{{job="service-probes",service="{name}"}}'
    scale(namespace, name, 0)(layout)
    deadline, failed = time.monotonic() + 60, 0
    while time.monotonic() < deadline and failed < 2:    # two failed probes recorded: the outage is on record
        time.sleep(5)
        failed += configs.prometheus_value(layout, query) == 0
    scale(namespace, name, replicas)(layout)
    wait_rollout(layout, namespace, f"deployment/{name}")


HISTOGRAM_DROP = {"source_labels": ["__name__"], "regex": "apiserver_request_duration_seconds_bucket",
                  "action": "drop"}
PROBE_GAP_S = 60
PROBER = "blackbox-exporter"


def _apiserver_histogram(dropped: bool):
    def act(layout: Layout) -> None:
        config = configs.prometheus_config(layout, configs.monitored())
        if dropped:
            job = next(j for j in config["scrape_configs"] if j["job_name"] == "kube-apiserver")
            job["metric_relabel_configs"] = [HISTOGRAM_DROP]
        configs.dump(layout.config / "prometheus.yml", config)
        configs.reload_prometheus(layout)
    return act


def _probe_gap(layout: Layout) -> None:
    """The prober down for a minute, as Prometheus saw it (from its first failed scrape), then back."""
    Supervisor(layout.root).stop(PROBER)
    try:
        deadline = time.monotonic() + 30
        while (configs.prometheus_value(layout, 'max(up{job="service-probes"})') or 0) > 0 \
                and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(PROBE_GAP_S)          # the gap itself
    finally:
        restart(layout, PROBER)


def _restore_replicas(layout: Layout) -> None:
    scale(*SLOW, _portal_replicas())(layout)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _alert(firing: bool, labels: dict = ALERT, summary: str = "replica lag above 5 minutes"):
    def act(layout: Layout) -> None:
        now = time.time()
        ends = now + 3600 if firing else now - 1
        alert = {"labels": labels, "annotations": {"summary": summary},
                 "startsAt": _stamp(now - 60), "endsAt": _stamp(ends),
                 "generatorURL": "http://postgres-monitor.example/lag"}
        requests.post(layout.url("alertmanager") + "/api/v2/alerts", json=[alert], timeout=10).raise_for_status()
    return act


def _silence(layout: Layout) -> None:
    """The alert fires, then a person silences it by name for a day (POST /api/v2/silences, as amtool does)."""
    _alert(True, SILENCED, SILENCED_SUMMARY)(layout)
    now = time.time()
    silence = {"matchers": [{"name": k, "value": SILENCED[k], "isRegex": False, "isEqual": True}
                            for k in ("alertname", "service")],
               "startsAt": _stamp(now), "endsAt": _stamp(now + SILENCE_S), "createdBy": SILENCER,
               "comment": SILENCE_COMMENT}
    requests.post(layout.url("alertmanager") + "/api/v2/silences", json=silence, timeout=10).raise_for_status()


def _unsilence(layout: Layout) -> None:
    """Expire every silence the fault's person made for that alert (DELETE /api/v2/silence/ID), then resolve it."""
    url = layout.url("alertmanager")
    listed = requests.get(url + "/api/v2/silences", timeout=10)
    listed.raise_for_status()
    for silence in listed.json():
        names = {(m.get("name"), m.get("value")) for m in silence.get("matchers") or []}
        if silence.get("createdBy") == SILENCER and ("alertname", SILENCED["alertname"]) in names \
                and (silence.get("status") or {}).get("state") != "expired":
            requests.delete(f"{url}/api/v2/silence/{silence['id']}", timeout=10).raise_for_status()
    _alert(False, SILENCED, SILENCED_SUMMARY)(layout)


AUDIT_FAULTS = [
    Fault("etcd-stalls", "P6-API-LATENCY", "etcd freezes 2 s in every 3 (a saturated disk): writes wait",
          _stall_etcd, _unstall_etcd),
    Fault("node-saturated", "P6-SATURATION", f"a batch job uses {HOG_CPU} of {HOG_NODE}'s 16 CPUs",
          apply(_hog), delete("deployment", *HOG)),
    Fault("portal-slow", "P6-SERVICE-LATENCY", f"a portal release answers after {SLOW_MS} ms",
          _delay(SLOW_MS), _delay(None)),
    Fault("benchmark-stale", "P6-BENCHMARK", "the load-test job stopped: its last result ages out",
          stop("loadtest"), lambda layout: restart(layout, "loadtest")),
    Fault("portal-outage", "P8-AVAILABILITY", "the portal had no serving pod for two probes (over now, in the "
          "window)", _outage, _restore_replicas),
    Fault("apiserver-histogram-dropped", "P6-API-LATENCY", "Prometheus drops the API server's request histogram "
          "at scrape (metric_relabel_configs)", _apiserver_histogram(True), _apiserver_histogram(False)),
    Fault("probe-gap", "P8-AVAILABILITY", f"the prober ({PROBER}) was down for {PROBE_GAP_S} s, inside the window",
          _probe_gap, lambda layout: restart(layout, PROBER)),
    Fault("critical-alert-firing", "P8-NO-CRITICAL-ALERTS", "a critical alert fired into Alertmanager",
          _alert(True), _alert(False)),
    Fault("critical-alert-silenced", "P8-NO-CRITICAL-ALERTS", "a firing critical alert silenced by a person for "
          "a day (the sandbox profile allows an hour)", _silence, _unsilence),
    Fault("training-expired", "P8-TEAM-TRAINED", "bikram's training attestation expired yesterday",
          apply(lambda: [infrastructure.training(expired="bikram")]), apply(lambda: [infrastructure.training()])),
]


def _stall_loop(pid: int) -> None:
    """SIGSTOP/SIGCONT etcd until told to stop; etcd always left running."""
    def finish(*_):
        os.kill(pid, signal.SIGCONT)
        sys.exit(0)
    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    while True:
        os.kill(pid, signal.SIGSTOP)
        time.sleep(STALL_S)
        os.kill(pid, signal.SIGCONT)
        time.sleep(RUN_S)


if __name__ == "__main__":
    _stall_loop(int(sys.argv[1]))
