"""Steady state and safety guards of P3-NODE-FAILURE: chaos disrupts only a healthy cluster, never too much."""
from __future__ import annotations

from fixtures.kube import is_true
from fixtures.live import LiveCluster
from readiness import ready
from readiness.profile import Profile
from readiness.verdict import CouldNotLook


def _workload(live: LiveCluster, w) -> dict | None:
    """The profile's workload as the API holds it now, with its kind (what readiness.ready keys on)."""
    obj = live.workload(w.kind, w.namespace, w.name)
    if obj is not None:
        obj.setdefault("kind", w.kind)
    return obj


def ready_pods_off(live: LiveCluster, profile: Profile, failed_node: str | None = None) -> dict[str, tuple[int, int]]:
    """workload -> (ready pods not on ``failed_node``, desired replicas), for every workload of the profile;
    a workload that does not exist reads (0, -1)."""
    pods = live.pods()
    result = {}
    for w in profile.platform.workloads:
        obj = _workload(live, w)
        if obj is None:
            result[w.ref] = (0, -1)
            continue
        serving = [p for p in ready.pods_of(obj, pods) if ready.is_ready_pod(p)
                   and p["spec"].get("nodeName") != failed_node]
        result[w.ref] = (len(serving), ready.desired_replicas(obj))
    return result


def nodes_of_workloads(live: LiveCluster, profile: Profile, workloads) -> dict[str, set[str]]:
    """workload ref -> nodes its pods are scheduled on (by the workload's own selector and owner)."""
    pods = live.pods()
    found = {}
    for w in workloads:
        obj = _workload(live, w)
        if obj is not None:
            found[w.ref] = {p["spec"]["nodeName"] for p in ready.pods_of(obj, pods) if p["spec"].get("nodeName")}
    return found


def stuck_pods(live: LiveCluster, profile: Profile, refs: set[str], failed_node: str | None = None) -> list[str]:
    """Why the pods of these workloads are not ready off ``failed_node``: phase, node, and whether terminating."""
    pods = live.pods()
    lines = []
    for w in profile.platform.workloads:
        if w.ref not in refs:
            continue
        obj = _workload(live, w)
        if obj is None:
            lines.append(f"{w.kind} {w.ref}: not found")
            continue
        for p in ready.pods_of(obj, pods):
            node = p["spec"].get("nodeName") or "unscheduled"
            if ready.is_ready_pod(p) and node != failed_node:
                continue
            state = "Terminating" if p["metadata"].get("deletionTimestamp") else p.get("status", {}).get("phase")
            lines.append(f"pod {w.namespace}/{p['metadata']['name']}: {state} on {node}")
    return lines


def steady_state(live: LiveCluster, profile: Profile) -> tuple[bool, str]:
    not_ready = [n["metadata"]["name"] for n in live.nodes() if not is_true(n, "Ready")]
    short = [f"{ref} {ready}/{desired}" for ref, (ready, desired) in ready_pods_off(live, profile).items()
             if desired < 0 or ready < desired]
    problems = ([f"nodes NotReady: {', '.join(not_ready)}"] if not_ready else []) + \
               ([f"workloads not fully ready: {', '.join(short)}"] if short else [])
    return not problems, "; ".join(problems) or "all nodes Ready, every workload fully ready"


def require_steady_state(live: LiveCluster, profile: Profile) -> None:
    ok, seen = steady_state(live, profile)
    if not ok:
        raise CouldNotLook("steady state before chaos", f"the cluster is already unhealthy, not disrupting it: {seen}",
                           "unsteady")


def disruptable_workers(live: LiveCluster, profile: Profile) -> list[str]:
    """Workers chaos may take out: never a control-plane node, the last schedulable one, or below the minimum."""
    nodes = live.nodes()
    cp_label = profile.phase3.nodes.control_plane_label
    ready = [n for n in nodes if is_true(n, "Ready")]
    schedulable = [n for n in ready if not n["spec"].get("unschedulable") and cp_label not in n["metadata"]["labels"]]
    if len(ready) - 1 < profile.chaos.min_ready_nodes:
        raise CouldNotLook("chaos guard", f"{len(ready)} Ready nodes; taking one out would leave fewer than the "
                                          f"profile's chaos.min_ready_nodes={profile.chaos.min_ready_nodes}", "guard")
    if len(schedulable) < 2:
        raise CouldNotLook("chaos guard", f"{len(schedulable)} schedulable worker(s): never disrupt the last one",
                           "guard")
    return sorted(n["metadata"]["name"] for n in schedulable)
