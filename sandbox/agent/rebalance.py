"""What a descheduler does (its RemoveDuplicates strategy): replicas piled on one node are spread again.

Drains and failed nodes move pods, and nothing moves them back when the node returns. The platform's
anti-affinity is preferred, as is usual for services that must still schedule with a node down, so after
chaos two replicas of a service can share a node while another worker holds none: a real single point of
failure, which P3-NODE-FAILURE then rightly finds. ``heal`` puts the platform back in its spread state as a
cluster running the descheduler would: it evicts the extra replicas through the Eviction API (PodDisruption-
Budgets honoured) and the scheduler places them on the emptier nodes.
"""
from __future__ import annotations

import json
from collections import defaultdict

from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.manifests.platform import PLATFORM_NAMESPACES

TIMEOUT_S = 120


def _owner(pod: dict) -> tuple | None:
    owners = [o for o in pod["metadata"].get("ownerReferences") or [] if o.get("controller")]
    if not owners or owners[0]["kind"] == "DaemonSet":
        return None
    return pod["metadata"]["namespace"], owners[0]["kind"], owners[0]["name"]


def _workers(layout: Layout) -> set[str]:
    nodes = kube.get_json(layout, "nodes", "-l", "type=kwok,node-role.kubernetes.io/worker")["items"]
    return {n["metadata"]["name"] for n in nodes if not n["spec"].get("unschedulable")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions") or [])}


def piled_up(pods: list[dict], workers: set[str]) -> list[dict]:
    """One extra replica for each workload whose pods share a node while a worker holds none of them."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for pod in pods:
        owner = _owner(pod)
        if owner and pod["metadata"]["namespace"] in PLATFORM_NAMESPACES and pod["status"].get("phase") == "Running" \
                and not pod["metadata"].get("deletionTimestamp") and pod["spec"].get("nodeName") in workers:
            groups[owner].append(pod)
    extra = []
    for members in groups.values():
        by_node: dict[str, list[dict]] = defaultdict(list)
        for pod in members:
            by_node[pod["spec"]["nodeName"]].append(pod)
        if len(by_node) < min(len(members), len(workers)):
            crowded = max(by_node.values(), key=len)
            extra.append(sorted(crowded, key=lambda p: p["metadata"]["name"])[-1])
    return extra


def _settled(layout: Layout) -> tuple[bool, str]:
    pods = kube.get_json(layout, "pods", "-A")["items"]
    platform = [p for p in pods if p["metadata"]["namespace"] in PLATFORM_NAMESPACES and _owner(p)]
    waiting = [p["metadata"]["name"] for p in platform if p["metadata"].get("deletionTimestamp") or not any(
        c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or [])]
    return not waiting, f"pods not ready yet: {', '.join(waiting[:6])}"


def rebalance(layout: Layout, progress=print) -> None:
    workers = _workers(layout)
    extra = piled_up(kube.get_json(layout, "pods", "-A")["items"], workers)
    for pod in extra:
        meta = pod["metadata"]
        eviction = {"apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": meta["name"], "namespace": meta["namespace"]}}
        done = kube.kubectl(layout, "create", "--raw",
                            f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/eviction", "-f", "-",
                            stdin=json.dumps(eviction), check=False)
        progress(f"rebalanced {meta['namespace']}/{meta['name']} off {pod['spec']['nodeName']}"
                 + ("" if done.returncode == 0 else f" (not evicted: {done.stderr.strip()[:120]})"))
    if extra:
        kube.wait_for("the platform's pods ready after rebalancing", lambda: _settled(layout), TIMEOUT_S, 2)
