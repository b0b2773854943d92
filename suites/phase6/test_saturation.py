"""P6-SATURATION: nodes have headroom, no HPA is held at its maximum, no container was OOM-killed."""
from readiness.ready import condition, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import age_s, shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_data
from readiness.quantity import quantity


def node_use(snapshot, spec) -> tuple[list[str], list[list]]:
    usage = {m["metadata"]["name"]: m.get("usage") or {} for m in snapshot.items("node_metrics")}
    problems, rows = [], []
    for node in snapshot.items("nodes"):
        name = node["metadata"]["name"]
        if not is_true(node, "Ready"):
            continue         # a NotReady node is P1-NODES-READY's finding; it has no current usage
        if name not in usage:
            problems.append(f"node {name}: Ready but no usage from metrics.k8s.io")
            continue
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        for resource, bound in (("cpu", spec.node_cpu_max), ("memory", spec.node_memory_max)):
            total = quantity(allocatable.get(resource, "0"))
            share = quantity(usage[name].get(resource, "0")) / total if total else 1.0
            rows.append([name, resource, usage[name].get(resource), allocatable.get(resource), f"{share:.1%}"])
            if share > bound:
                problems.append(f"node {name}: {resource} {share:.0%} of allocatable in use "
                                f"({usage[name].get(resource)} of {allocatable.get(resource)}), expected at most "
                                f"{bound:.0%}")
    attach_table("node use", ["node", "resource", "used", "allocatable", "share"], rows)
    return problems, rows


def hpas_at_max(snapshot, spec) -> list[str]:
    problems = []
    for hpa in snapshot.items("hpas"):
        ref = f"{hpa['metadata']['namespace']}/{hpa['metadata']['name']}"
        top, current = hpa["spec"].get("maxReplicas"), (hpa.get("status") or {}).get("currentReplicas", 0)
        if top is None or current < top:
            continue
        limited = condition(hpa, "ScalingLimited") or {}
        held = age_s(limited.get("lastTransitionTime")) if limited.get("status") == "True" else None
        if held is None:
            problems.append(f"hpa {ref}: at maxReplicas {top} (since when unknown: no ScalingLimited condition)")
        elif held > spec.hpa_at_max_s:
            problems.append(f"hpa {ref}: held at maxReplicas {top} for {shown(held)} ({limited.get('reason')}), "
                            f"expected at most {shown(spec.hpa_at_max_s)}")
    return problems


def oom_kills(snapshot, spec, namespaces: list[str]) -> list[str]:
    problems = []
    for pod in snapshot.items("pods", sorted(namespaces)):
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            last = (status.get("lastState") or {}).get("terminated") or {}
            ago = age_s(last.get("finishedAt"))
            if last.get("reason") == "OOMKilled" and ago is not None and ago <= spec.oom_window_s:
                problems.append(f"pod {pod['metadata']['namespace']}/{pod['metadata']['name']} container "
                                f"{status.get('name')}: OOMKilled {shown(ago)} ago (restarts {status.get('restartCount', 0)})")
    return problems


@criterion("P6-SATURATION", 6, "No resource saturation", severity="critical",
           requirement="Each Ready node's CPU and memory in use stay within the profile's share of allocatable; "
                       "no HPA is held at its maxReplicas for longer than the profile allows; no container of the "
                       "platform's namespaces was OOM-killed within the profile's window.",
           next_step="kubectl top nodes and kubectl top pods --sort-by=cpu name the consumer; raise an HPA's "
                     "maximum or the node pool for one held at max; raise the memory limit of an OOM-killed "
                     "container or fix its leak.",
           profile_keys=("phase6.saturation", "platform.namespaces"))
def test_no_saturation(snapshot, profile):
    spec = profile.phase6.saturation
    require_data(snapshot.items("nodes"), "kubernetes nodes", "GET /api/v1/nodes")
    problems = hpas_at_max(snapshot, spec) + oom_kills(snapshot, spec, profile.platform.namespaces)
    try:
        found, rows = node_use(snapshot, spec)
    except CouldNotLook as exc:
        fail_first(problems, exc)
    problems += found
    if not rows and not found:
        fail_first(problems, CouldNotLook("node usage", "no Ready node, so no node's use can be judged", "empty"))
    fail(problems)
