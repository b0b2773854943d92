"""P1-SYSTEM: the cluster's own services are available: DNS, the metrics API and every system workload.

Every Deployment, StatefulSet and DaemonSet of kube-system (and of the profile's extra namespaces) is judged,
listed in the profile or not: kube-proxy and the CNI agent are workloads no profile remembers to name. One is
left out only by an exemption that gives its reason.

Adversarial table P1-SYSTEM:
- kube-proxy-down: the kube-proxy DaemonSet has 0 of 3 scheduled pods available; the profile lists no
  kube-system workload, so nothing asked about it
- cni-rollout-pending: the CNI DaemonSet's new template reached 1 of 3 nodes (updatedNumberScheduled 1);
  numberReady is 3, the old pods still run
- dns-rollout-stuck: CoreDNS's new ReplicaSet cannot be scheduled, the controller set Progressing=False
  ProgressDeadlineExceeded; the old ReplicaSet's 2 pods keep readyReplicas at 2 of 2
- dns-endpoints-terminating: every kube-dns endpoint is terminating (ready false, serving true, terminating
  true) while its pods drain
- metrics-apiservice-local: v1beta1.metrics.k8s.io has no service (handled locally by the API server, which
  serves no metrics), so it is Available with nothing behind it
- system-statefulset-unobserved: a kube-system StatefulSet's spec changed (generation 4) but its controller
  last saw generation 3; its status still shows every replica ready
"""
from fixtures.kube import by_ref, condition, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import CouldNotLook, fail, fail_first
from suites.workloads import KIND_LIST, find_workload, ready_endpoints, shortfall


def _judged(snapshot, namespaces: list[str]) -> list[dict]:
    return [o for plural in KIND_LIST.values() for o in snapshot.items(plural)
            if o["metadata"].get("namespace") in namespaces]


def _ref(obj: dict) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def _dns_problems(snapshot, spec, rows: list) -> list[str]:
    problems = []
    dns = by_ref(snapshot.items("deployments")).get(spec.dns.ref)
    why = "not found" if dns is None else shortfall(dns)
    rows.append(["Deployment", spec.dns.ref, why or "available"])
    if why:
        problems.append(f"Deployment {spec.dns.ref} (cluster DNS): {why}")
    service = by_ref(snapshot.items("services")).get(spec.dns_service.ref)
    endpoints = ready_endpoints(snapshot, spec.dns_service.namespace, spec.dns_service.name) if service else []
    rows.append(["Service", spec.dns_service.ref, f"{len(endpoints)} ready endpoints" if service else "not found"])
    if service is None:
        problems.append(f"Service {spec.dns_service.ref} (cluster DNS): not found")
    elif not endpoints:
        problems.append(f"Service {spec.dns_service.ref} (cluster DNS): no ready endpoints, expected at least one "
                        "(none is ready, serving and not terminating)")
    return problems


def _metrics_api_problems(snapshot, name: str, rows: list) -> list[str]:
    apiservice = by_ref(snapshot.items("apiservices")).get(name)
    if apiservice is None:
        rows.append(["APIService", name, "not registered"])
        return [f"APIService {name}: not registered (metrics-server not installed)"]
    if not (apiservice.get("spec") or {}).get("service"):
        rows.append(["APIService", name, "local"])
        return [f"APIService {name}: handled locally by the API server (spec.service unset), expected a metrics "
                "server's Service behind it"]
    available = is_true(apiservice, "Available")
    rows.append(["APIService", name, "Available" if available else "not available"])
    if available:
        return []
    cond = condition(apiservice, "Available") or {}
    return [f"APIService {name}: Available={cond.get('status', 'missing')} ({cond.get('reason', 'no reason')})"]


@criterion("P1-SYSTEM", 1, "Cluster system services available", severity="blocker",
           requirement="The cluster DNS Deployment is fully rolled out and available and its Service has ready "
                       "endpoints; the resource metrics APIService is backed by a Service and Available; every "
                       "Deployment, StatefulSet and DaemonSet of kube-system and of the profile's extra namespaces, "
                       "and every workload the profile lists, is fully rolled out with all desired replicas "
                       "available, unless the profile exempts it with a reason.",
           next_step="kubectl -n kube-system get deploy,ds,sts and kubectl rollout status on the one named: scale "
                     "DNS back up or fix its pods; a stuck rollout needs its new pods' events (kubectl describe); "
                     "for the metrics API see P3-METRICS-API's runbook.", profile_keys=("phase1.system",))
def test_cluster_dns_metrics_api_and_system_workloads_available(snapshot, profile):
    spec = profile.phase1.system
    rows: list[list] = []
    problems = _dns_problems(snapshot, spec, rows)
    problems += _metrics_api_problems(snapshot, spec.metrics_apiservice, rows)
    exempt = {(e.kind, e.ref): e.reason for e in spec.exempt}
    judged = {(o["kind"], _ref(o)): o for o in _judged(snapshot, spec.namespaces)}
    for workload in spec.workloads:
        judged.setdefault((workload.kind, workload.ref), find_workload(snapshot, workload))
    for (kind, ref), obj in sorted(judged.items(), key=lambda kv: kv[0][1]):
        if (kind, ref) == ("Deployment", spec.dns.ref):
            continue                        # judged above, as the cluster DNS
        why = f"{kind} not found" if obj is None else shortfall(obj)
        if (kind, ref) in exempt:
            rows.append([kind, ref, f"exempt ({exempt[kind, ref]}): {why or 'available'}"])
            continue
        rows.append([kind, ref, why or "available"])
        if why:
            problems.append(f"{kind} {ref}: {why}")
    attach_table("system services", ["kind", "object", "state"], rows)
    if not any(obj for obj in judged.values()):
        fail_first(problems, CouldNotLook(
            "system workloads", f"no Deployment, StatefulSet or DaemonSet in {', '.join(spec.namespaces)}; a "
                                "cluster has at least its DNS there (wrong cluster or scope?)", "empty"))
    fail(problems)
