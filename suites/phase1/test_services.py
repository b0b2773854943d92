"""P1-SERVICES: every service of the profile is available, and the platform's deployment health is high enough.

A workload is available when it is rolled out as ``kubectl rollout status`` judges it and every desired replica
is available (readiness/rollout.py): ready pods of an old ReplicaSet do not make a stuck rollout available.

Adversarial table P1-SERVICES:
- rollout-stuck: a Deployment's new ReplicaSet cannot be scheduled and the controller set Progressing=False
  ProgressDeadlineExceeded; with maxUnavailable 0 the old ReplicaSet's pods keep readyReplicas at 2 of 2
- spec-not-observed: a Deployment's spec changed (generation 7) but its controller last saw generation 6; the
  status it wrote then says every replica is ready
- ready-not-available: readyReplicas 2 of 2, availableReplicas 0: the pods are ready but not yet for
  minReadySeconds, so the Deployment's own Available condition counts none of them
- old-replicas-pending: every replica is updated and available, but 1 old pod is still counted in
  status.replicas (pending termination)
- partition-not-reached: a StatefulSet of 3 with partition 1 has 1 pod at the update revision of the 2 above
  the partition; readyReplicas 3 of 3
- ondelete-pending: an OnDelete StatefulSet whose template changed: 0 of 3 pods run it, all 3 old ones ready
- unlisted-rollout-stuck: a platform Deployment no profile lists is stuck (ProgressDeadlineExceeded) while every
  replica of the platform is ready, so deployment health reads 100%
- past-deadline-unmarked: a Deployment's rollout made no progress for longer than progressDeadlineSeconds, but
  the controller (down, or not yet resynced) has not written ProgressDeadlineExceeded: Progressing is still True
"""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.ready import desired_replicas
from readiness.rollout import available_replicas, rollout
from readiness.verdict import fail, require_data
from suites.workloads import KIND_LIST, find_workload, shortfall


def _ref(obj: dict) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


@criterion("P1-SERVICES", 1, "All platform services running", severity="blocker",
           requirement="Each workload of the profile exists, is fully rolled out (as kubectl rollout status judges "
                       "it) and has all its desired replicas available; no rollout in the platform namespaces is "
                       "stuck past its progress deadline; and over every Deployment, StatefulSet and DaemonSet of "
                       "the platform namespaces the available replicas are at least the profile's share of the "
                       "desired ones (deployment health).",
           next_step="kubectl -n NAMESPACE rollout status and describe the workload and its pods: Pending pods "
                     "point at scheduling (resources, selectors), not-ready ones at probes or crashes; a stuck "
                     "rollout is fixed forward or undone (kubectl rollout undo).",
           profile_keys=("platform.workloads", "phase1.services"))
def test_every_service_available_and_deployment_health(snapshot, profile):
    problems, rows = [], []
    listed = set()
    for workload in profile.platform.workloads:
        listed.add((workload.kind, workload.ref))
        obj = find_workload(snapshot, workload)
        why = f"{workload.kind} not found" if obj is None else shortfall(obj)
        rows.append([workload.kind, workload.ref, why or "available"])
        if why:
            problems.append(f"{workload.kind} {workload.ref}: {why}")
    namespaces = set(profile.platform.namespaces)
    everything = [o for kind in KIND_LIST.values() for o in snapshot.items(kind)
                  if o["metadata"].get("namespace") in namespaces]
    require_data(everything, "platform workloads", f"workloads in namespaces {', '.join(sorted(namespaces))}")
    for obj in everything:
        state = rollout(obj)
        if state.stuck and (obj["kind"], _ref(obj)) not in listed:
            rows.append([obj["kind"], _ref(obj), state.why])
            problems.append(f"{obj['kind']} {_ref(obj)}: {state.why}")
    desired = sum(desired_replicas(o) for o in everything)
    available = sum(min(available_replicas(o), desired_replicas(o)) for o in everything)
    health = 100.0 * available / desired if desired else 0.0
    wanted = profile.phase1.services.min_health_percent
    rows.append(["all", f"{len(everything)} workloads", f"{available}/{desired} replicas available ({health:.1f}%)"])
    if health < wanted:
        short = [f"{_ref(o)} {shortfall(o)}" for o in everything if shortfall(o)]
        problems.insert(0, f"platform: deployment health {health:.1f}% ({available}/{desired} replicas available), "
                           f"expected at least {wanted:g}%; short: {', '.join(short[:5])}")
    attach_table("services", ["kind", "workload", "state"], rows)
    fail(problems)
