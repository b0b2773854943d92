"""P4-LOKI and P4-LOG-AGENT: every running pod's logs reach Loki, through an agent on every node."""
from fixtures.kube import by_ref, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.verdict import CouldNotLook, fail, require_data
from suites.workloads import running_longer_than


@criterion("P4-LOKI", 4, "All pod logs centralized in Loki", severity="critical",
           requirement="Loki is ready, and every pod in the profile's namespaces that has been running longer "
                       "than the profile's grace period has log lines in Loki within the lookback window; pods "
                       "without logs are listed.",
           next_step="Check the log agent on the pod's node (its targets and push errors) and Loki's ingestion "
                     "limits.", needs=("kube", "loki"))
def test_every_running_pod_has_recent_logs(snapshot, loki, profile):
    spec = profile.phase4.loki
    readiness = loki.ready()
    if not readiness.startswith("HTTP 200"):
        fail(f"loki: not ready ({readiness})")
    namespaces = profile.log_namespaces
    running = sorted(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in snapshot.items("pods")
                     if p["metadata"]["namespace"] in namespaces and running_longer_than(p, spec.new_pod_grace_s))
    if not running:
        raise CouldNotLook("platform pods", f"no running pods in {', '.join(namespaces)}: nothing to look for",
                           "empty")
    selector = "|".join(namespaces)
    query = (f'sum by ({spec.namespace_label}, {spec.pod_label}) '
             f'(count_over_time({{{spec.namespace_label}=~"{selector}"}}[{spec.lookback_s}s]))')
    result = loki.instant(query)
    attach_query("log lines per pod", "LogQL", query, result)
    seen = {f"{r['metric'].get(spec.namespace_label)}/{r['metric'].get(spec.pod_label)}" for r in result}
    missing = [ref for ref in running if ref not in seen]
    attach_table("pods without logs", ["pod"], [[m] for m in missing])
    fail([f"pod {ref}: no log lines in Loki in the last {spec.lookback_s}s" for ref in missing],
         f"{len(missing)} of {len(running)} running pods have no logs")


@criterion("P4-LOG-AGENT", 4, "Log agent on every node", severity="normal",
           requirement="The log agent DaemonSet of the profile has a ready pod on every Ready node whose taints "
                       "it tolerates.",
           next_step="Check the DaemonSet's nodeSelector, affinity and tolerations, and the pods that are not "
                     "ready.")
def test_log_agent_runs_on_every_node(snapshot, profile):
    ref = profile.phase4.log_agent.ref
    ds = by_ref(snapshot.items("daemonsets")).get(ref)
    if ds is None:
        fail(f"{ref}: log agent DaemonSet not found")
    tolerations = ds["spec"]["template"]["spec"].get("tolerations") or []

    def tolerated(taint: dict) -> bool:
        return any((t.get("operator") == "Exists" and not t.get("key")) or t.get("key") == taint["key"]
                   for t in tolerations)
    agent_nodes = {p["spec"].get("nodeName") for p in snapshot.items("pods")
                   if p["metadata"]["namespace"] == ds["metadata"]["namespace"]
                   and any(o.get("uid") == ds["metadata"]["uid"] for o in p["metadata"].get("ownerReferences") or [])
                   and is_true(p, "Ready")}
    problems, rows = [], []
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    for node in nodes:
        name = node["metadata"]["name"]
        taints = [t for t in node["spec"].get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
        if not is_true(node, "Ready") or not all(tolerated(t) for t in taints):
            continue
        rows.append([name, name in agent_nodes])
        if name not in agent_nodes:
            problems.append(f"node {name}: no ready {ref} pod")
    attach_table("log agent per node", ["node", "ready agent pod"], rows)
    fail(problems)
