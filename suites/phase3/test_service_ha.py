"""P3-SERVICE-HA: every critical service runs at least two ready replicas and is available."""
from fixtures.kube import condition
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import fail
from readiness.per_profile import per_profile
from suites.workloads import desired_replicas, find_workload, ready_replicas


@criterion("P3-SERVICE-HA", 3, "Service HA verified", severity="blocker",
           requirement="Each critical service of the profile has at least 2 ready replicas, all of its desired "
                       "replicas ready (a DaemonSet: on every node it is scheduled to), and (for a Deployment) the "
                       "Available condition True.",
           next_step="Scale the workload to 2 or more replicas and find why pods are not ready "
                     "(kubectl describe, events).", profile_keys=("platform.workloads",))
@per_profile("service", "platform.critical", "critical workloads (critical: true)")
def test_critical_service_has_two_ready_replicas(snapshot, service):
    obj = find_workload(snapshot, service)
    if obj is None:
        fail(f"{service.ref}: {service.kind} not found")
    desired = desired_replicas(obj)
    ready = ready_replicas(obj)
    attach_json(service.ref, {"desired": desired, "status": obj.get("status", {})})
    problems = []
    if ready < 2:
        problems.append(f"{service.ref}: {ready} ready replica(s) of {desired} desired, expected at least 2")
    elif ready < desired:
        problems.append(f"{service.ref}: {ready} of {desired} replicas ready")
    if service.kind == "Deployment":
        available = condition(obj, "Available") or {}
        if available.get("status") != "True":
            problems.append(f"{service.ref}: Available={available.get('status', 'missing')} "
                            f"({available.get('reason', 'no reason')})")
    fail(problems)
