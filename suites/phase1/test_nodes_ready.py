"""P1-NODES-READY: every node Ready, heartbeating, under no pressure, untainted by its condition, and none cordoned
without a reason.

Adversarial table P1-NODES-READY:
- stale-heartbeat: Ready=True, but the kubelet last posted the condition an hour ago (lastHeartbeatTime); the
  node lifecycle controller that would mark it Unknown is not running
- unreachable-taint: Ready=True in a status nobody updates, while the node lifecycle controller has tainted the
  node node.kubernetes.io/unreachable:NoExecute and is evicting its pods
- cloud-uninitialized: a node registered with an external cloud provider still carries
  node.cloudprovider.kubernetes.io/uninitialized: the cloud controller never initialized it, so no ordinary pod
  schedules there
- out-of-service: an operator marked a dead node node.kubernetes.io/out-of-service:NoExecute (non-graceful
  shutdown) and its stale status still says Ready
- listed-twice: the node list names the same node twice (a broken pager or proxy): an answer no API server
  gives, so the count of healthy nodes cannot be trusted
- no-nodes: the node list is empty: no cluster runs on no nodes
- future-heartbeat: Ready=True with a lastHeartbeatTime a day ahead of now (a node clock set wrong, or a status
  written by hand), which an age check reads as the freshest heartbeat of all
"""
from fixtures.kube import condition
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import age_s, shown
from readiness.verdict import CouldNotLook, fail, require_data

BAD_WHEN_TRUE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
CORDON_TAINT = "node.kubernetes.io/unschedulable"
# The taints Kubernetes and cloud providers put on a node that cannot run pods (k8s.io/api core/v1
# well_known_taints.go, k8s.io/cloud-provider api/well_known_taints.go); the cordon taint is judged as a cordon.
CONDITION_TAINTS = {
    "node.kubernetes.io/not-ready": "the node lifecycle controller finds it not ready",
    "node.kubernetes.io/unreachable": "the node lifecycle controller cannot reach its kubelet",
    "node.kubernetes.io/memory-pressure": "memory pressure",
    "node.kubernetes.io/disk-pressure": "disk pressure",
    "node.kubernetes.io/pid-pressure": "PID pressure",
    "node.kubernetes.io/network-unavailable": "its network is not configured",
    "node.kubernetes.io/out-of-service": "marked out of service (non-graceful shutdown)",
    "node.cloudprovider.kubernetes.io/uninitialized": "the cloud controller has not initialized it",
    "node.cloudprovider.kubernetes.io/shutdown": "its cloud instance is shut down",
}

# A condition taint whose condition is already reported says nothing more.
TAINT_OF_CONDITION = {"node.kubernetes.io/not-ready": "Ready", "node.kubernetes.io/unreachable": "Ready",
                      "node.kubernetes.io/memory-pressure": "MemoryPressure",
                      "node.kubernetes.io/disk-pressure": "DiskPressure",
                      "node.kubernetes.io/pid-pressure": "PIDPressure",
                      "node.kubernetes.io/network-unavailable": "NetworkUnavailable"}


def _unique(nodes: list[dict]) -> None:
    seen = set()
    for node in nodes:
        name = node["metadata"]["name"]
        if name in seen:
            raise CouldNotLook("kubernetes nodes", f"GET /api/v1/nodes listed node {name} twice; node names are "
                                                   "unique, so the answer cannot be trusted", "invalid")
        seen.add(name)


# How far a timestamp may lie ahead of this clock before it is impossible rather than skew between two clocks
# NTP keeps within a second or so.
CLOCK_SKEW_S = 60


def _heartbeat_problem(name: str, ready: dict, max_age_s: int) -> str | None:
    stamp = ready.get("lastHeartbeatTime")
    age = age_s(stamp)
    if age is None:
        return f"node {name}: Ready=True but no lastHeartbeatTime: its kubelet never posted the condition"
    if age < -CLOCK_SKEW_S:
        return (f"node {name}: Ready=True but its lastHeartbeatTime {stamp} is {shown(-age)} in the future (more "
                f"than the {CLOCK_SKEW_S}s clock skew allowed): the node's clock (or this runner's) is wrong, so the "
                "heartbeat says nothing about whether its kubelet is alive")
    if age > max_age_s:
        return (f"node {name}: Ready=True but its kubelet last posted status {shown(age)} ago "
                f"(lastHeartbeatTime {stamp}), expected within {max_age_s}s: the Ready condition is stale")
    return None


@criterion("P1-NODES-READY", 1, "Every node healthy", severity="blocker",
           requirement="Every node, control plane included, is Ready with a heartbeat within the profile's age "
                       "and not in the future; "
                       "none reports memory, disk or PID pressure or an unavailable network, or carries a taint "
                       "Kubernetes or its cloud provider sets on a node that cannot run pods; none is cordoned "
                       "unless the profile names it with a reason.",
           next_step="kubectl describe node: a NotReady or stale node needs its kubelet, runtime and the "
                     "kube-controller-manager looked at; pressure needs space, memory or PIDs freed; uncordon a "
                     "node whose maintenance is over.",
           profile_keys=("phase1.nodes",))
def test_every_node_ready_without_pressure_or_cordon(snapshot, profile):
    spec = profile.phase1.nodes
    allowed = spec.allowed_cordoned
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    _unique(nodes)
    problems, rows = [], []
    for node in nodes:
        name = node["metadata"]["name"]
        ready = condition(node, "Ready") or {}
        bad = [c for c in BAD_WHEN_TRUE if (condition(node, c) or {}).get("status") == "True"]
        said = set(bad) | ({"Ready"} if ready.get("status") != "True" else set())
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") in CONDITION_TAINTS
                  and TAINT_OF_CONDITION.get(t["key"]) not in said]
        cordoned = ("spec.unschedulable=true" if (node.get("spec") or {}).get("unschedulable") else
                    f"taint {CORDON_TAINT}" if any(t.get("key") == CORDON_TAINT for t in
                                                   (node.get("spec") or {}).get("taints") or []) else "")
        rows.append([name, ready.get("status", "missing"), ready.get("lastHeartbeatTime", "-"),
                     ",".join(bad + [t["key"] for t in taints]) or "-", cordoned or "-", allowed.get(name, "")])
        if ready.get("status") != "True":
            problems.append(f"node {name}: Ready={ready.get('status', 'missing')} "
                            f"({ready.get('reason', 'no reason')})")
        else:
            stale = _heartbeat_problem(name, ready, spec.max_heartbeat_age_s)
            if stale:
                problems.append(stale)
        for cond in bad:
            message = (condition(node, cond) or {}).get("message", "")
            problems.append(f"node {name}: {cond}=True" + (f" ({message})" if message else ""))
        for taint in taints:
            problems.append(f"node {name}: tainted {taint['key']}:{taint.get('effect', '?')} "
                            f"({CONDITION_TAINTS[taint['key']]}), expected no such taint")
        if cordoned and name not in allowed:
            problems.append(f"node {name}: cordoned ({cordoned}) and not in the profile's "
                            "phase1.nodes.allowed_cordoned")
    attach_table("nodes", ["node", "Ready", "last heartbeat", "conditions and taints", "cordoned",
                           "allowed because"], rows)
    fail(problems)
