"""P1-SYSTEM: the cluster's own services are available: DNS, the metrics API and the profile's system workloads."""
from fixtures.kube import by_ref, condition, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail
from suites.workloads import find_workload, ready_endpoints, shortfall


@criterion("P1-SYSTEM", 1, "Cluster system services available", severity="blocker",
           requirement="The cluster DNS Deployment has all its replicas ready and its Service has ready "
                       "endpoints, the resource metrics APIService is Available, and every system workload the "
                       "profile lists is fully available.",
           next_step="kubectl -n kube-system get deploy,pods: scale DNS back up or fix its pods; for the metrics "
                     "API see P3-METRICS-API's runbook.", profile_keys=("phase1.system",))
def test_cluster_dns_metrics_api_and_system_workloads_available(snapshot, profile):
    spec = profile.phase1.system
    problems, rows = [], []
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
        problems.append(f"Service {spec.dns_service.ref} (cluster DNS): no ready endpoints")
    apiservice = by_ref(snapshot.items("apiservices")).get(spec.metrics_apiservice)
    available = apiservice is not None and is_true(apiservice, "Available")
    rows.append(["APIService", spec.metrics_apiservice, "Available" if available else "not available"])
    if apiservice is None:
        problems.append(f"APIService {spec.metrics_apiservice}: not registered (metrics-server not installed)")
    elif not available:
        cond = condition(apiservice, "Available") or {}
        problems.append(f"APIService {spec.metrics_apiservice}: Available={cond.get('status', 'missing')} "
                        f"({cond.get('reason', 'no reason')})")
    for workload in spec.workloads:
        obj = find_workload(snapshot, workload)
        why = f"{workload.kind} not found" if obj is None else shortfall(obj)
        rows.append([workload.kind, workload.ref, why or "available"])
        if why:
            problems.append(f"{workload.kind} {workload.ref}: {why}")
    attach_table("system services", ["kind", "object", "state"], rows)
    fail(problems)

