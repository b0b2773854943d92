"""Faults of phase 3 (scaling and resilience): each breaks the platform as it goes wrong in life.

P3-NODE-FAILURE has no fault of its own: the chaos test drains a worker for real (see ``PROVEN_ELSEWHERE`` in
sandbox/faults/registry.py).
"""
from __future__ import annotations

import json
from typing import Callable

from sandbox.faults.fault import Expect, Fault, delete, merge_patch, reapply, scale, start, stop, wait_rollout
from sandbox.run import kube
from sandbox.manifests.platform import KWOK_MANAGED_LABEL
from sandbox.run.layout import Layout

FAILED_WORKER = "sandbox-worker-3"
SPREAD_APP = "datahub"
DEGRADED = ("cloudflare-tunnel", "cloudflared")
QUOTA_NS = "vault-prod"


def _label_worker(value: str | None) -> Callable[[Layout], None]:
    suffix = f"={value}" if value else "-"

    def act(layout: Layout) -> None:
        kube.kubectl(layout, "label", "node", FAILED_WORKER, f"{KWOK_MANAGED_LABEL}{suffix}", "--overwrite")
    return act


def _spread_break(layout: Layout) -> None:
    kube.kubectl(layout, "-n", "data-platform", "patch", "deployment", SPREAD_APP, "--type=json", "-p", json.dumps([
        {"op": "remove", "path": "/spec/template/spec/affinity"},
        {"op": "add", "path": "/spec/template/spec/nodeSelector/kubernetes.io~1hostname",
         "value": "sandbox-worker-1"}]))
    wait_rollout(layout, "data-platform", f"deployment/{SPREAD_APP}", 60)


def _spread_heal(layout: Layout) -> None:
    kube.kubectl(layout, "-n", "data-platform", "patch", "deployment", SPREAD_APP, "--type=json", "-p", json.dumps([
        {"op": "remove", "path": "/spec/template/spec/nodeSelector/kubernetes.io~1hostname"}]), check=False)
    reapply(("Deployment", SPREAD_APP))(layout)
    wait_rollout(layout, "data-platform", f"deployment/{SPREAD_APP}", 60)


def _quota_full(layout: Layout) -> None:
    pods = kube.get_json(layout, "pods", "-n", QUOTA_NS)["items"]
    merge_patch("resourcequota", QUOTA_NS, f"{QUOTA_NS}-quota", {"spec": {"hard": {"pods": str(len(pods))}}})(layout)


def _node_metrics_path(present: bool) -> Callable[[Layout], None]:
    def act(layout: Layout) -> None:
        key = "metrics.k8s.io/resource-metrics-path"
        node = "sandbox-worker-2"
        value = f"{key}=/metrics/nodes/{node}/metrics/resource" if present else f"{key}=/metrics/nodes/gone"
        kube.kubectl(layout, "annotate", "node", node, value, "--overwrite")
    return act


FAULTS = [
    Fault("worker-notready", "P3-NODES", f"{FAILED_WORKER} stops heartbeating and turns NotReady",
          _label_worker(None), _label_worker("true"),
          Expect("worker sandbox-worker-3: NotReady", 120)),
    Fault("replicas-one-node", "P3-SPREAD", f"data-platform/{SPREAD_APP}: all replicas pinned to one node, "
          "anti-affinity removed", _spread_break, _spread_heal,
          Expect("data-platform/datahub: ready pods on 1 node(s)", 90)),
    Fault("node-metrics-missing", "P3-METRICS-API", "metrics-server cannot scrape sandbox-worker-2",
          _node_metrics_path(False), _node_metrics_path(True),
          Expect("node sandbox-worker-2: Ready but no metrics", 90)),
    Fault("hpa-no-metrics", "P3-HPA-METRICS", "metrics-server stopped: HPAs have no CPU metric",
          stop("metrics-server"), start("metrics-server"),
          Expect("data-platform/trino-hpa: no current CPU metric (ScalingActive=False", 90)),
    Fault("hpa-misconfigured", "P3-HPA-CONFIG", "data-platform/trino-hpa: maxReplicas lowered to 3",
          merge_patch("hpa", "data-platform", "trino-hpa", {"spec": {"maxReplicas": 3}}),
          reapply(("HorizontalPodAutoscaler", "trino-hpa")),
          Expect("data-platform/trino-hpa: maxReplicas 3, expected 5", 30)),
    Fault("pdb-deleted", "P3-PDB", "data-platform/datahub-pdb deleted",
          delete("pdb", "data-platform", "datahub-pdb"), reapply(("PodDisruptionBudget", "datahub-pdb")),
          Expect("data-platform/datahub-pdb: PodDisruptionBudget not found", 30)),
    # Proven by the chaos tests, which drain for real (P3-DRAIN is disruptive): no expectation here.
    Fault("pdb-blocks-drain", "P3-DRAIN", "data-platform/portal-pdb: minAvailable equals replicas (no disruption)",
          merge_patch("pdb", "data-platform", "portal-pdb", {"spec": {"minAvailable": 2}}),
          reapply(("PodDisruptionBudget", "portal-pdb")), None),
    Fault("service-degraded", "P3-SERVICE-HA", f"{DEGRADED[0]}/{DEGRADED[1]} scaled to one replica",
          scale(*DEGRADED, 1), scale(*DEGRADED, 2),
          Expect("cloudflare-tunnel/cloudflared: 1 ready replica(s) of 1 desired", 60)),
    Fault("quota-exhausted", "P3-RESOURCES", f"{QUOTA_NS}/{QUOTA_NS}-quota: pods quota 100% used",
          _quota_full, reapply(("ResourceQuota", f"{QUOTA_NS}-quota")),
          Expect("quota vault-prod/vault-prod-quota: pods 100% used", 60)),
]
