"""Filler workloads: a cluster of realistic density for the benchmark (about N pods per simulated worker).

Deployments spread over namespaces ``load-00`` ... , each with labels, requests and limits like real ones and
owned through ReplicaSets by the real controllers; kwok runs their pods. They are outside the platform's
namespaces, so no criterion expects or minds them; they only make every list the suite reads larger.

    python -m sandbox fill --per-node 20     # then wait until they run
    python -m sandbox fill --off             # delete them
"""
from __future__ import annotations

import math
import time

from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.manifests.platform import container, pod_spec

NAMESPACES = 20
APPLY_CHUNK = 20                      # objects per kubectl apply
MAX_REPLICAS = 95                     # per Deployment
PREFIX, LABEL = "load-", "sandbox.platform-readiness.io/filler"


def workers(layout: Layout) -> int:
    return len(kube.get_json(layout, "nodes", "-l", "type=kwok")["items"])


def objects(total: int) -> list[dict]:
    deployments = max(math.ceil(total / MAX_REPLICAS), 1)
    per = [total // deployments + (i < total % deployments) for i in range(deployments)]
    out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{PREFIX}{n:02d}", "labels": {LABEL: "true"}}}
           for n in range(min(NAMESPACES, deployments))]
    for i, replicas in enumerate(per):
        name, namespace = f"filler-{i:03d}", f"{PREFIX}{i % NAMESPACES:02d}"
        labels = {"app": name, "app.kubernetes.io/part-of": "filler", LABEL: "true"}
        out.append({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "namespace": namespace, "labels": labels},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {
                        "metadata": {"labels": labels, "annotations": {"kwok.x-k8s.io/usage-cpu": "5m"}},
                        "spec": pod_spec(container(name, f"registry.local/filler/{name}:1.0", "10m", "32Mi",
                                                   8080))}}})
    return out


def ready_replicas(layout: Layout) -> int:
    """Filler pods ready, as their Deployments count them: a list of some hundred Deployments, where listing
    20,000 pods every few seconds was itself a load that made the API server fall behind."""
    deployments = kube.get_json(layout, "deployments", "-A", "-l", f"{LABEL}=true")["items"]
    return sum((d.get("status") or {}).get("readyReplicas") or 0 for d in deployments)


def fill(layout: Layout, per_node: int, timeout_s: float = 1800, progress=print) -> int:
    """Apply the filler a chunk at a time, with at most one chunk still starting: the controllers, the scheduler
    and kwok then create pods as fast as two cores let them, and node leases keep being renewed."""
    total = per_node * workers(layout)
    wanted = objects(total)
    started, deadline = time.monotonic(), time.monotonic() + timeout_s
    last = -1

    def ready_at_least(count: int) -> tuple[bool, str]:
        nonlocal last
        ready = ready_replicas(layout)
        if ready != last:
            progress(f"sandbox fill: {ready}/{total} filler pods ready after {time.monotonic() - started:.0f}s")
            last = ready
        return ready >= count, f"{ready} of {total} filler pods ready"

    def wait_until(count: int) -> None:
        kube.wait_for(f"{count} filler pods ready", lambda: ready_at_least(count),
                      max(deadline - time.monotonic(), 0), interval=2)

    applied = previous = 0
    for first in range(0, len(wanted), APPLY_CHUNK):
        chunk = wanted[first:first + APPLY_CHUNK]
        wait_until(previous)
        kube.apply(layout, chunk)
        previous, applied = applied, applied + sum(o["spec"]["replicas"] for o in chunk if o["kind"] == "Deployment")
        progress(f"sandbox fill: {min(first + APPLY_CHUNK, len(wanted))}/{len(wanted)} objects applied after "
                 f"{time.monotonic() - started:.0f}s")
    wait_until(total)
    return total


def clear(layout: Layout) -> None:
    kube.kubectl(layout, "delete", "namespace", "-l", f"{LABEL}=true", "--wait=true", "--timeout=600s")
