"""P1-SERVICES: every service of the profile is available, and the platform's deployment health is high enough."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.ready import desired_replicas, ready_replicas
from readiness.verdict import fail, require_data
from suites.workloads import KIND_LIST, find_workload, shortfall


@criterion("P1-SERVICES", 1, "All platform services running", severity="blocker",
           requirement="Each workload of the profile exists with all its desired replicas ready, and over every "
                       "Deployment, StatefulSet and DaemonSet of the platform namespaces the ready replicas are at "
                       "least the profile's share of the desired ones (deployment health).",
           next_step="kubectl -n NAMESPACE describe the workload and its pods: Pending pods point at scheduling "
                     "(resources, selectors), not-ready ones at probes or crashes.",
           profile_keys=("platform.workloads", "phase1.services"))
def test_every_service_available_and_deployment_health(snapshot, profile):
    problems, rows = [], []
    for workload in profile.platform.workloads:
        obj = find_workload(snapshot, workload)
        why = f"{workload.kind} not found" if obj is None else shortfall(obj)
        rows.append([workload.kind, workload.ref, why or "available"])
        if why:
            problems.append(f"{workload.kind} {workload.ref}: {why}")
    namespaces = set(profile.platform.namespaces)
    everything = [o for kind in KIND_LIST.values() for o in snapshot.items(kind)
                  if o["metadata"].get("namespace") in namespaces]
    require_data(everything, "platform workloads", f"workloads in namespaces {', '.join(sorted(namespaces))}")
    desired = sum(desired_replicas(o) for o in everything)
    ready = sum(min(ready_replicas(o), desired_replicas(o)) for o in everything)
    health = 100.0 * ready / desired if desired else 0.0
    wanted = profile.phase1.services.min_health_percent
    rows.append(["all", f"{len(everything)} workloads", f"{ready}/{desired} replicas ready ({health:.1f}%)"])
    if health < wanted:
        short = [f"{o['metadata']['namespace']}/{o['metadata']['name']} {shortfall(o)}" for o in everything
                 if shortfall(o)]
        problems.insert(0, f"platform: deployment health {health:.1f}% ({ready}/{desired} replicas ready), expected "
                           f"at least {wanted:g}%; short: {', '.join(short[:5])}")
    attach_table("services", ["kind", "workload", "state"], rows)
    fail(problems)
