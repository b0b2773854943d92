"""P3-NODES: a multi-node cluster with enough Ready, schedulable workers and no node under pressure."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data
from fixtures.kube import condition
from suites.workloads import node_roles

PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure")


def _worker_problem(node: dict, control_plane_label: str) -> str | None:
    ready = condition(node, "Ready") or {}
    if ready.get("status") != "True":
        return f"NotReady (Ready={ready.get('status', 'missing')}, {ready.get('reason', 'no reason')})"
    if node["spec"].get("unschedulable"):
        return "cordoned (spec.unschedulable=true)"
    blocking = [t["key"] for t in node["spec"].get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
    if blocking:
        return f"tainted {', '.join(blocking)}"
    return None


@criterion("P3-NODES", 3, "Multi-node cluster operational", severity="blocker",
           requirement="At least the profile's number of worker nodes are Ready and schedulable, and no node "
                       "reports memory, disk or PID pressure.",
           next_step="Join more workers (kubeadm join) or fix the NotReady/cordoned ones; relieve pressure.",
           profile_keys=("phase3.nodes",))
def test_enough_ready_schedulable_workers_without_pressure(snapshot, profile):
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    wanted = profile.phase3.nodes.min_ready_workers
    cp_label = profile.phase3.nodes.control_plane_label
    rows, usable, problems = [], [], []
    for node in nodes:
        name = node["metadata"]["name"]
        is_cp = cp_label in (node["metadata"].get("labels") or {})
        issue = None if is_cp else _worker_problem(node, cp_label)
        pressure = [p for p in PRESSURES if (condition(node, p) or {}).get("status") == "True"]
        rows.append([name, ",".join(sorted(node_roles(node))) or "-", (condition(node, "Ready") or {}).get("status"),
                     bool(node["spec"].get("unschedulable")), ",".join(pressure) or "-", issue or "ok"])
        if pressure:
            problems.append(f"node {name}: {', '.join(pressure)}=True")
        if not is_cp:
            (problems.append(f"worker {name}: {issue}") if issue else usable.append(name))
    attach_table("nodes", ["node", "roles", "Ready", "unschedulable", "pressure", "verdict"], rows)
    if len(usable) < wanted:
        problems.insert(0, f"cluster: {len(usable)} Ready schedulable workers ({', '.join(usable) or 'none'}), "
                           f"expected at least {wanted}")
    else:
        problems = [p for p in problems if p.startswith("node ")]
    fail(problems)
