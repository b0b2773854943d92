"""P1-NODES-READY: every node Ready, under no pressure, and none cordoned without a reason."""
from fixtures.kube import condition
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data

BAD_WHEN_TRUE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


@criterion("P1-NODES-READY", 1, "Every node healthy", severity="blocker",
           requirement="Every node, control plane included, is Ready; none reports memory, disk or PID pressure or "
                       "an unavailable network; none is cordoned unless the profile names it with a reason.",
           next_step="kubectl describe node: a NotReady node needs its kubelet and runtime looked at; pressure "
                     "needs space, memory or PIDs freed; uncordon a node whose maintenance is over.",
           profile_keys=("phase1.nodes",))
def test_every_node_ready_without_pressure_or_cordon(snapshot, profile):
    allowed = profile.phase1.nodes.allowed_cordoned
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    problems, rows = [], []
    for node in nodes:
        name = node["metadata"]["name"]
        ready = condition(node, "Ready") or {}
        bad = [c for c in BAD_WHEN_TRUE if (condition(node, c) or {}).get("status") == "True"]
        cordoned = bool(node["spec"].get("unschedulable"))
        rows.append([name, ready.get("status", "missing"), ",".join(bad) or "-", cordoned, allowed.get(name, "")])
        if ready.get("status") != "True":
            problems.append(f"node {name}: Ready={ready.get('status', 'missing')} "
                            f"({ready.get('reason', 'no reason')})")
        for cond in bad:
            message = (condition(node, cond) or {}).get("message", "")
            problems.append(f"node {name}: {cond}=True" + (f" ({message})" if message else ""))
        if cordoned and name not in allowed:
            problems.append(f"node {name}: cordoned (spec.unschedulable=true) and not in the profile's "
                            "phase1.nodes.allowed_cordoned")
    attach_table("nodes", ["node", "Ready", "conditions true", "cordoned", "allowed because"], rows)
    fail(problems)
