"""P4-LOKI and P4-LOG-AGENT: every running container's logs reach Loki, through an agent on every node."""
import time

from fixtures.kube import by_ref, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.ready import is_ready_pod, pods_of, running_longer_than, started_at
from readiness.verdict import CouldNotLook, fail, require_data

# Taints the DaemonSet controller tolerates for every DaemonSet pod, whatever its spec says.
DAEMONSET_TOLERATED = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
                       "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure",
                       "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable",
                       "node.kubernetes.io/network-unavailable"}


def _require_loki_ready(loki) -> None:
    answer = loki.ready()
    if answer["http"] == 200 and answer["body"].lower() == "ready":
        return
    if answer["http"] == 503:
        fail(f"loki {loki.url}: not ready (HTTP 503: {answer['body'] or 'no reason given'})")
    raise CouldNotLook("loki", f"GET {loki.url}/ready answered HTTP {answer['http']} {answer['body'][:80]!r}, "
                               "not Loki's readiness answer (is this really Loki?)", "invalid")


def _step(lookback_s: int, grace_s: int) -> int:
    """Bucket width: small enough that a pod past its grace period has a whole bucket after its start."""
    return max(1, min(lookback_s, max(grace_s, 2)) // 2)


def _shards(pods: list[dict], max_series: int) -> list[list[dict]]:
    """The pods in groups of at most ``max_series`` containers (one series each): Loki refuses a query whose
    answer would hold more series than its limit (max_query_series, 500 by default), and a large cluster's
    log-agent DaemonSet alone has a pod per node."""
    shards, current, size = [], [], 0
    for pod in pods:
        containers = max(len(pod["spec"].get("containers", [])), 1)
        if current and size + containers > max_series:
            shards.append(current)
            current, size = [], 0
        current.append(pod)
        size += containers
    return shards + [current] if current else shards


def _query(spec, pods: list[dict], step: int) -> str:
    """Lines per container of exactly these pods (label regexes are anchored; a dot in a name is escaped)."""
    def alternatives(values) -> str:
        return "|".join(sorted({v.replace(".", "\\\\.") for v in values}))
    labels = f"{spec.namespace_label}, {spec.pod_label}, {spec.container_label}"
    selector = (f'{spec.namespace_label}=~"{alternatives(p["metadata"]["namespace"] for p in pods)}", '
                f'{spec.pod_label}=~"{alternatives(p["metadata"]["name"] for p in pods)}"')
    return f"sum by ({labels}) (count_over_time({{{selector}}}[{step}s]))"


@criterion("P4-LOKI", 4, "All pod logs centralized in Loki", severity="critical",
           requirement="Loki is ready, and every container of every pod in the profile's namespaces that has been "
                       "running longer than the profile's grace period has log lines in Loki from its current "
                       "incarnation (after the pod started) within the lookback window; containers without logs "
                       "are listed.",
           next_step="Check the log agent on the pod's node (its targets and push errors) and Loki's ingestion "
                     "limits.", needs=("kube", "loki"), profile_keys=("phase4.loki",))
def test_every_running_pod_has_recent_logs(snapshot, loki, profile):
    spec = profile.phase4.loki
    _require_loki_ready(loki)
    namespaces = profile.log_namespaces
    running = [p for p in snapshot.items("pods", sorted(namespaces)) if running_longer_than(p, spec.new_pod_grace_s)]
    pods = sorted(running, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))
    if not pods:
        raise CouldNotLook("platform pods", f"no pods running longer than {spec.new_pod_grace_s}s in "
                                            f"{', '.join(namespaces)}: nothing to look for", "empty")
    step = _step(spec.lookback_s, spec.new_pod_grace_s)
    now = time.time()
    latest: dict[tuple, float] = {}
    for shard in _shards(pods, spec.max_series_per_query):
        query = _query(spec, shard, step)
        answer = loki.range(query, now - spec.lookback_s, now, step)
        attach_query(f"log lines per container ({len(shard)} pods)", f"LogQL (query_range, step {step}s)", query,
                     answer)
        # The latest bucket with lines, per container: a bucket (t - step, t] counts for a pod only when it
        # lies wholly after that pod started, so a restarted pod cannot pass on its predecessor's lines.
        for series in answer["series"]:
            m = series["metric"]
            key = (m.get(spec.namespace_label), m.get(spec.pod_label), m.get(spec.container_label))
            with_lines = [float(t) for t, count in series.get("values", []) if float(count) > 0]
            if with_lines:
                latest[key] = max(latest.get(key, 0.0), max(with_lines))
    missing, rows = [], []
    for pod in pods:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        started = started_at(pod).timestamp()
        for container in pod["spec"].get("containers", []):
            last = latest.get((ns, name, container["name"]))
            ok = last is not None and last - step >= started
            rows.append([f"{ns}/{name}", container["name"], started_at(pod).isoformat(),
                         time.strftime("%H:%M:%S", time.gmtime(last)) if last else "-", ok])
            if not ok:
                seen = "only lines from before it started (an earlier incarnation)" if last else "no log lines"
                missing.append(f"pod {ns}/{name} container {container['name']}: {seen} in the last "
                               f"{spec.lookback_s}s (started {started_at(pod).strftime('%H:%M:%S')})")
    attach_table("log coverage per container", ["pod", "container", "started", "last lines (UTC)", "covered"], rows)
    fail(missing, f"{len(missing)} of {len(rows)} running containers have no logs")


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    if taint.get("key") in DAEMONSET_TOLERATED:
        return True
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and not t.get("key"):
            return True
        if t.get("key") == taint.get("key") and (t.get("operator") == "Exists" or
                                                 t.get("value", "") == taint.get("value", "")):
            return True
    return False


@criterion("P4-LOG-AGENT", 4, "Log agent on every node", severity="normal",
           requirement="The log agent DaemonSet of the profile has a ready pod on every node whose taints it "
                       "tolerates, Ready or not: a node selector or affinity that leaves nodes out, or a node "
                       "whose agent is down, is a node whose logs are lost.",
           next_step="Check the DaemonSet's nodeSelector, affinity and tolerations, and the pods that are not "
                     "ready.", profile_keys=("phase4.log_agent",))
def test_log_agent_runs_on_every_node(snapshot, profile):
    ref = profile.phase4.log_agent.ref
    ds = by_ref(snapshot.items("daemonsets")).get(ref)
    if ds is None:
        fail(f"{ref}: log agent DaemonSet not found")
    tolerations = ds["spec"]["template"]["spec"].get("tolerations") or []
    agent_pods = pods_of(ds, snapshot.items("pods", [ds["metadata"]["namespace"]]))
    agent_nodes = {p["spec"].get("nodeName") for p in agent_pods if is_ready_pod(p)}
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    problems, rows = [], []
    for node in nodes:
        name = node["metadata"]["name"]
        blocking = [t for t in node["spec"].get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")
                    and not _tolerates(tolerations, t)]
        if blocking:
            rows.append([name, "-", f"not tolerated: {', '.join(t['key'] for t in blocking)}"])
            continue
        node_ready = is_true(node, "Ready")
        rows.append([name, name in agent_nodes, "Ready" if node_ready else "NotReady"])
        if name not in agent_nodes:
            problems.append(f"node {name}: no ready {ref} pod" + ("" if node_ready else " (node NotReady)"))
    if not any(r[1] != "-" for r in rows):
        raise CouldNotLook(f"{ref}", f"none of the {len(nodes)} nodes is one the agent tolerates: no node to "
                                     "judge", "empty")
    attach_table("log agent per node", ["node", "ready agent pod", "node state"], rows)
    fail(problems)
