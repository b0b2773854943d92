"""P3-METRICS-API: the resource metrics API (metrics-server) serves every node and the platform's pods."""
from fixtures.kube import by_ref, condition, is_true
from readiness.ready import ready_for
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import CouldNotLook, fail, require_data
from suites.workloads import find_workload, pods_of, running_longer_than

APISERVICE = "v1beta1.metrics.k8s.io"


@criterion("P3-METRICS-API", 3, "Resource metrics API serving", severity="critical",
           requirement="The APIService v1beta1.metrics.k8s.io is Available and returns metrics for every node "
                       "Ready, and every pod of the profile's workloads running, for longer than the profile's "
                       "grace period (what kubectl top and the HPA controller need).",
           next_step="Check the metrics-server Deployment and its logs (kubelet scrape errors, TLS flags).",
           profile_keys=("phase3.metrics_grace_s",))
def test_metrics_api_serves_nodes_and_pods(snapshot, profile):
    service = by_ref(snapshot.items("apiservices")).get(APISERVICE)
    if service is None:
        fail(f"apiservice {APISERVICE}: not registered (metrics-server not installed)")
    if not is_true(service, "Available"):
        cond = condition(service, "Available") or {}
        fail(f"apiservice {APISERVICE}: Available={cond.get('status', 'missing')} "
             f"({cond.get('reason', '')}: {cond.get('message', '')})")
    try:
        node_metrics = {m["metadata"]["name"] for m in snapshot.items("node_metrics")}
        # only the namespaces of the profile's workloads: metrics-server answers those from memory, while a
        # cluster-wide list of a large cluster's pod metrics is most of its work
        namespaces = sorted({w.namespace for w in profile.platform.workloads})
        pod_metrics = {f"{m['metadata']['namespace']}/{m['metadata']['name']}"
                       for m in snapshot.items("pod_metrics", namespaces)}
    except CouldNotLook as exc:
        fail(f"apiservice {APISERVICE}: Available but its API failed: {exc.reason}")
    problems, rows = [], []
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    ready_nodes = [n["metadata"]["name"] for n in nodes if is_true(n, "Ready")]
    if not ready_nodes:
        problems.append(f"cluster: no Ready node of {len(nodes)}, so no node can have metrics")
    grace = profile.phase3.metrics_grace_s
    for node in nodes:
        name, since = node["metadata"]["name"], ready_for(node)
        if since is None:
            continue
        rows.append(["node", name, name in node_metrics])
        if since < grace:
            rows[-1].append(f"Ready for {since:.0f}s, within the {grace}s grace")
            continue        # a node back from an outage needs a metric resolution or two
        if name not in node_metrics:
            problems.append(f"node {name}: Ready but no metrics from metrics.k8s.io")
    for workload in profile.platform.workloads:
        obj = find_workload(snapshot, workload)
        if obj is None:
            problems.append(f"{workload.kind} {workload.ref}: not found, so its pods' metrics cannot be checked")
            continue
        for pod in pods_of(snapshot, obj):
            if not running_longer_than(pod, profile.phase3.metrics_grace_s):
                continue        # a pod needs a couple of metric resolutions before it has metrics
            ref = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            rows.append(["pod", ref, ref in pod_metrics])
            if ref not in pod_metrics:
                problems.append(f"pod {ref}: running but no metrics from metrics.k8s.io")
    attach_table("metrics.k8s.io coverage", ["kind", "object", "has metrics", "note"], rows)
    judged = [r for r in rows if len(r) == 3]
    if not problems and not judged:
        raise CouldNotLook("metrics.k8s.io", f"every node and pod became ready within the last {grace}s: nothing "
                                             "is old enough to have metrics yet", "too-early")
    fail(problems)
