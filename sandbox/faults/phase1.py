"""Faults of phase 1 (infrastructure): each changes the cluster (or a platform process) as it goes wrong in life."""
from __future__ import annotations

import json
from typing import Callable

from readiness.rollout import rollout
from sandbox.build.go import KUBERNETES
from sandbox.faults.fault import Expect, Fault, apply, delete, kubectl, scale, wait_rollout
from sandbox.manifests import infrastructure, platform
from sandbox.run import kube
from sandbox.run.layout import Layout

OLD_KUBELET_NODE, OLD_KUBELET = "sandbox-worker-1", "v1.29.4"     # four minors behind 1.33: beyond the skew
PRESSURE_NODE = "sandbox-worker-2"
SHORT_STATEFULSET = "minio"
STUCK_DEPLOYMENT = "schema-registry"      # listed in the profile, 2 replicas, touched by no other fault
STUCK_DEADLINE_S = 15
DEFAULT_DEADLINE_S, DEFAULT_ROLLING = 600, {"maxUnavailable": "25%", "maxSurge": "25%"}   # the API's defaults
EXTRA_CLAIM = "data-minio-archive"
STUCK_POD = "nightly-report"
NO_SUCH_NODE = "sandbox.platform-readiness.io/no-such-node"


def _node_status(node: str, status: dict) -> Callable[[Layout], None]:
    return kubectl("patch", "node", node, "--subresource=status", "--type=strategic", "-p",
                    json.dumps({"status": status}))


def _memory_pressure(on: bool) -> Callable[[Layout], None]:
    condition = {"type": "MemoryPressure", "status": "True" if on else "False",
                 "reason": "KubeletHasInsufficientMemory" if on else "KubeletHasSufficientMemory",
                 "message": "available memory 180Mi is below the eviction threshold 256Mi" if on
                 else "kubelet has sufficient memory available"}
    return _node_status(PRESSURE_NODE, {"conditions": [condition]})


def _short_statefulset(layout: Layout) -> None:
    """A rollout whose new pods cannot be scheduled (a node selector no node matches): the StatefulSet
    replaces its last pod with one that stays Pending."""
    kube.kubectl(layout, "-n", "data-platform", "patch", "statefulset", SHORT_STATEFULSET, "--type=merge", "-p",
                 json.dumps({"spec": {"template": {"spec": {"nodeSelector": {NO_SUCH_NODE: "true"}}}}}))


def _heal_statefulset(layout: Layout) -> None:
    kube.kubectl(layout, "-n", "data-platform", "patch", "statefulset", SHORT_STATEFULSET, "--type=json", "-p",
                 json.dumps([{"op": "remove", "path": f"/spec/template/spec/nodeSelector/{NO_SUCH_NODE.replace('/', '~1')}"}]),
                 check=False)
    # A StatefulSet does not replace a Pending pod of a bad revision by itself (forced rollback): delete it.
    pods = kube.get_json(layout, "pods", "-n", "data-platform", "-l", f"app={SHORT_STATEFULSET}")["items"]
    stuck = [p["metadata"]["name"] for p in pods if p["status"].get("phase") == "Pending"]
    if stuck:
        kube.kubectl(layout, "-n", "data-platform", "delete", "pod", *stuck, "--wait=false")
    wait_rollout(layout, "data-platform", f"statefulset/{SHORT_STATEFULSET}")


def _stuck_rollout(layout: Layout) -> None:
    """A rollout whose new pods cannot be scheduled, with a short progress deadline: the real
    kube-controller-manager marks it Progressing=False ProgressDeadlineExceeded; with maxUnavailable 0 the old
    ReplicaSet's pods stay ready, so readyReplicas never drops."""
    kube.kubectl(layout, "-n", "data-platform", "patch", "deployment", STUCK_DEPLOYMENT, "--type=merge", "-p",
                 json.dumps({"spec": {
                     "progressDeadlineSeconds": STUCK_DEADLINE_S,
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                     "template": {"spec": {"nodeSelector": {NO_SUCH_NODE: "true"}}}}}))


def _heal_rollout(layout: Layout) -> None:
    """Back to the platform's template (the old ReplicaSet's, so it is the current one again), deadline and
    strategy, then wait until the rollout is done as kubectl rollout status judges it."""
    kube.kubectl(layout, "-n", "data-platform", "patch", "deployment", STUCK_DEPLOYMENT, "--type=merge", "-p",
                 json.dumps({"spec": {
                     "progressDeadlineSeconds": DEFAULT_DEADLINE_S,
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": DEFAULT_ROLLING},
                     "template": {"spec": {"nodeSelector": {NO_SUCH_NODE: None}}}}}))

    def rolled_out() -> tuple[bool, str]:
        state = rollout(kube.get_json(layout, "deployment", "-n", "data-platform", STUCK_DEPLOYMENT))
        return state.done, state.why or "rolled out"
    # not kubectl rollout status: it gives up at once on a ProgressDeadlineExceeded the controller has yet to
    # replace after the template change
    kube.wait_for(f"deployment data-platform/{STUCK_DEPLOYMENT} to roll back", rolled_out, 90)


def _stuck_pod(layout: Layout) -> None:
    """A one-off pod asking for more CPU than any node has: the real scheduler reports FailedScheduling."""
    # more CPU than any node has (16), within the namespace quota
    container = platform.container("report", "registry.local/254carbon/report:1.0", "20", "1Gi", 8080)
    kube.apply(layout, [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": STUCK_POD, "namespace": "data-platform"},
                         "spec": platform.pod_spec(container, restartPolicy="Never")}])


FAULTS = [
    Fault("kubelet-old", "P1-K8S-VERSION", f"{OLD_KUBELET_NODE} reports kubelet {OLD_KUBELET}, beyond the skew",
          _node_status(OLD_KUBELET_NODE, {"nodeInfo": {"kubeletVersion": OLD_KUBELET}}),
          _node_status(OLD_KUBELET_NODE, {"nodeInfo": {"kubeletVersion": KUBERNETES}}),
          Expect("node sandbox-worker-1: kubelet v1.29.4 is 4 minor versions behind", 30)),
    Fault("node-memory-pressure", "P1-NODES-READY", f"{PRESSURE_NODE} reports MemoryPressure",
          _memory_pressure(True), _memory_pressure(False),
          Expect("node sandbox-worker-2: MemoryPressure=True", 30)),
    Fault("dns-down", "P1-SYSTEM", "kube-system/coredns scaled to zero",
          scale("kube-system", "coredns", 0), scale("kube-system", "coredns", 2),
          Expect("Deployment kube-system/coredns (cluster DNS): scaled to zero replicas", 60)),
    Fault("workload-short", "P1-SERVICES", f"data-platform/{SHORT_STATEFULSET}: a rollout whose new pod cannot be "
          "scheduled", _short_statefulset, _heal_statefulset,
          Expect("StatefulSet data-platform/minio: 1/2 replicas ready", 90)),
    Fault("rollout-stuck", "P1-SERVICES", f"data-platform/{STUCK_DEPLOYMENT}: a rollout whose new pods cannot be "
          f"scheduled passes its {STUCK_DEADLINE_S}s progress deadline; the old pods stay ready",
          _stuck_rollout, _heal_rollout,
          Expect("Deployment data-platform/schema-registry: rollout stuck (Progressing=False, "
                 "ProgressDeadlineExceeded: ReplicaSet", 90)),
    Fault("pvc-pending", "P1-STORAGE", f"data-platform/{EXTRA_CLAIM}: a claim no volume can satisfy",
          apply(lambda: [infrastructure.claim(EXTRA_CLAIM, "500Gi")]),
          delete("pvc", "data-platform", EXTRA_CLAIM),
          Expect("pvc data-platform/data-minio-archive: Pending", 30)),
    Fault("tunnel-down", "P1-INGRESS", "the tunnel's credentials deleted: its connectors hold no edge connection",
          delete("secret", infrastructure.TUNNEL_NS, infrastructure.TUNNEL_SECRET),
          apply(lambda: [infrastructure.tunnel_secret()]),
          Expect("cloudflared_tunnel_ha_connections=0, expected at least 4", 60)),
    Fault("scheduling-failures", "P1-EVENTS", f"data-platform/{STUCK_POD}: a pod no node can run (FailedScheduling)",
          _stuck_pod, kubectl("-n", "data-platform", "delete", "pod", STUCK_POD, "--ignore-not-found",
                               "--wait=false"),
          Expect("pod data-platform/nightly-report: FailedScheduling", 60)),
]
