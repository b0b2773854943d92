"""Faults of phase 6 (performance): each breaks the platform as it breaks in life.

- ``etcd-stalls``: etcd freezes for 2 s in every 3 (as on a saturated disk): every write through the API
  server waits, and its latency histogram shows it. The freezing runs as its own supervised process,
  ``python -m sandbox.faults.phase6 ETCD_PID``.
- ``apiserver-histogram-dropped``: Prometheus stops taking in the API server's request histogram (a
  metric_relabel_configs drop on its scrape job, as teams add against its cardinality): the latency data ages.
- ``node-saturated``: a runaway batch job without a sensible limit uses most of one node's CPU.
- ``portal-slow``: a release of the portal answers after 800 ms (its pods' response-delay annotation, read
  by the agent that stands in for the service, like kwok's usage annotations).
- ``benchmark-stale``: the load-test job stops; its last result ages out.
"""
from __future__ import annotations

import os
import signal
import sys
import time

from sandbox.agent.loop import RESPONSE_DELAY
from sandbox.faults.fault import Expect, Fault, apply, delete, merge_patch, start, stop, wait_rollout
from sandbox.manifests import platform
from sandbox.run import configs
from sandbox.run.layout import Layout
from sandbox.run.paths import SOURCE_ROOT
from sandbox.run.processes import ProcessSpec, Supervisor

STALL = "etcd-stall"
STALL_S, RUN_S = 2.0, 1.0
SLOW, SLOW_MS = ("data-platform", "portal"), 800
HOG = ("default", "etl-backfill")
HOG_NODE, HOG_CPU = "sandbox-worker-2", "14"


def stall_spec(etcd: int) -> ProcessSpec:
    """The process that freezes etcd (pid ``etcd``) now and then: this module's ``_stall_loop``."""
    return ProcessSpec(STALL, [sys.executable, "-m", "sandbox.faults.phase6", str(etcd)], cwd=SOURCE_ROOT)


def _stall_etcd(layout: Layout) -> None:
    etcd = Supervisor(layout.root).pid("etcd")
    if etcd is None:
        raise RuntimeError("etcd is not running")
    Supervisor(layout.root).start(stall_spec(etcd))


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


HISTOGRAM_DROP = {"source_labels": ["__name__"], "regex": "apiserver_request_duration_seconds_bucket",
                  "action": "drop"}


def _apiserver_histogram(dropped: bool):
    def act(layout: Layout) -> None:
        config = configs.prometheus_config(layout, configs.monitored())
        if dropped:
            job = next(j for j in config["scrape_configs"] if j["job_name"] == "kube-apiserver")
            job["metric_relabel_configs"] = [HISTOGRAM_DROP]
        configs.dump(layout.config / "prometheus.yml", config)
        configs.reload_prometheus(layout)
    return act


FAULTS = [
    Fault("etcd-stalls", "P6-API-LATENCY", "etcd freezes 2 s in every 3 (a saturated disk): writes wait",
          _stall_etcd, _unstall_etcd,
          Expect("(mutating, scope resource): p99", 90)),
    Fault("apiserver-histogram-dropped", "P6-API-LATENCY", "Prometheus drops the API server's request histogram "
          "at scrape (metric_relabel_configs)", _apiserver_histogram(True), _apiserver_histogram(False),
          Expect('apiserver_request_duration_seconds_bucket{job="kube-apiserver", le="+Inf"}', 60,
                 verdict="broken")),
    Fault("node-saturated", "P6-SATURATION", f"a batch job uses {HOG_CPU} of {HOG_NODE}'s 16 CPUs",
          apply(_hog), delete("deployment", *HOG),
          Expect("node sandbox-worker-2: cpu", 60)),
    Fault("portal-slow", "P6-SERVICE-LATENCY", f"a portal release answers after {SLOW_MS} ms",
          _delay(SLOW_MS), _delay(None),
          Expect('objective probe-duration-max {namespace="data-platform", service="portal"}: 0.8', 60)),
    Fault("benchmark-stale", "P6-BENCHMARK", "the load-test job stopped: its last result ages out",
          stop("loadtest"), start("loadtest"),
          Expect('benchmark {instance="sandbox", job="loadtest"}: last result', 120)),
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
