"""P3-SPREAD: multi-replica workloads have ready pods on several nodes and declare how they spread."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail
from suites.workloads import find_workload, is_ready_pod, pods_of


def _declares_spread(obj: dict) -> bool:
    spec = obj["spec"]["template"]["spec"]
    anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
    return bool(anti.get("requiredDuringSchedulingIgnoredDuringExecution")
                or anti.get("preferredDuringSchedulingIgnoredDuringExecution")
                or spec.get("topologySpreadConstraints"))


@criterion("P3-SPREAD", 3, "Pods distributed across nodes", severity="critical",
           requirement="Every multi-replica workload of the profile has its ready pods on at least 2 nodes and "
                       "declares pod anti-affinity or topology spread constraints.",
           next_step="Add podAntiAffinity (topologyKey kubernetes.io/hostname) or topologySpreadConstraints, "
                     "then roll the workload so the scheduler can spread it.", profile_keys=("platform.workloads",))
def test_multi_replica_workloads_run_on_several_nodes(snapshot, profile):
    problems, rows = [], []
    for workload in profile.platform.workloads:
        if workload.kind == "DaemonSet":
            continue
        obj = find_workload(snapshot, workload)
        if obj is None:
            problems.append(f"{workload.ref}: {workload.kind} not found")
            continue
        replicas = obj["spec"].get("replicas", 1)
        if replicas < 2:
            rows.append([workload.ref, replicas, "-", "-", "single replica: not checked"])
            continue
        nodes = sorted({p["spec"].get("nodeName") for p in pods_of(snapshot, obj) if is_ready_pod(p)})
        declared = _declares_spread(obj)
        rows.append([workload.ref, replicas, " ".join(nodes), declared, "ok"])
        if len(nodes) < 2:
            problems.append(f"{workload.ref}: ready pods on {len(nodes)} node(s) ({', '.join(nodes) or 'none'}), "
                            "expected at least 2")
            rows[-1][-1] = "not spread"
        if not declared:
            problems.append(f"{workload.ref}: declares neither podAntiAffinity nor topologySpreadConstraints")
            rows[-1][-1] = "no spread rule"
    attach_table("workload spread", ["workload", "replicas", "nodes with ready pods", "spread rule", "verdict"], rows)
    fail(problems)
