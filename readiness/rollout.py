"""Whether a workload is rolled out and available, judged as ``kubectl rollout status`` judges it.

Ported from k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go (v1.33.13) for Deployments, StatefulSets and
DaemonSets, reading the status fields their controllers write. Fields the API server omits read as 0, as the Go
client decodes them: a status nobody wrote is not a rollout.

Where this goes beyond kubectl, it says so:
- A rollout in progress within its progress deadline is *not done*: kubectl keeps waiting on it, so the workload
  does not yet run what its spec asks, and it is reported as in progress with how far it got and how long its
  deadline still allows. It is *stuck* once the controller set ``Progressing=False`` with reason
  ``ProgressDeadlineExceeded`` (deployment_util.go's TimedOutReason), or once its last progress is older than
  ``progressDeadlineSeconds``: that is the controller's own test (DeploymentTimedOut), true before the
  controller gets round to writing it, and waiting will not undo it. Only a Deployment has a deadline.
- A StatefulSet's replicas must be *available* (ready for ``minReadySeconds``), not only ready, and one with
  more pods than it wants is still scaling down.
- kubectl refuses to judge an ``OnDelete`` strategy. Here such a workload is rolled out when every desired pod
  runs the current template; pods of an older revision wait for someone to delete them, so it is not.
- A StatefulSet's partition is honoured as kubectl honours it: only the ordinals at or above it must be updated
  (a staged rollout the spec asks for). A partition left out reads as the API server's default, 0.
"""
from __future__ import annotations

from dataclasses import dataclass

from readiness.ready import condition, desired_replicas
from readiness.timing import age_s, shown

TIMED_OUT = "ProgressDeadlineExceeded"      # deploymentutil.TimedOutReason
NO_DEADLINE = 2 ** 31 - 1                   # progressDeadlineSeconds of math.MaxInt32: no deadline
# Progressing reasons under which the controller does not measure progress (deployment_util.DeploymentTimedOut,
# and a paused Deployment is never checked)
NOT_MEASURED = ("NewReplicaSetAvailable", "DeploymentPaused")


@dataclass(frozen=True)
class Rollout:
    done: bool
    why: str = ""           # what is not done yet, or "" when done
    stuck: bool = False     # past its progress deadline: waiting will not finish it


DONE = Rollout(True)


def _int(mapping: dict | None, key: str) -> int:
    return int((mapping or {}).get(key) or 0)


def _observed(obj: dict, kind: str) -> Rollout | None:
    generation, observed = _int(obj["metadata"], "generation"), _int(obj.get("status"), "observedGeneration")
    # kubectl also waits on a StatefulSet whose controller never wrote a status (observedGeneration 0)
    if generation > observed or (kind == "StatefulSet" and observed == 0):
        return Rollout(False, f"spec change not yet observed by its controller (generation {generation}, "
                              f"observedGeneration {observed})")
    return None


def available_replicas(obj: dict) -> int:
    """Pods ready for at least ``minReadySeconds``, as the workload's controller counts them."""
    return _int(obj.get("status"), "numberAvailable" if obj.get("kind") == "DaemonSet" else "availableReplicas")


def _unfinished(obj: dict, what: str) -> Rollout:
    """A Deployment rollout that is not done: stuck once past its progress deadline, as the controller's own
    DeploymentTimedOut judges it (it may not have written ProgressDeadlineExceeded yet), else in progress."""
    spec, notes = obj.get("spec") or {}, []
    progressing = condition(obj, "Progressing") or {}
    failure = condition(obj, "ReplicaFailure") or {}
    if failure.get("status") == "True":
        notes.append(f"ReplicaFailure {failure.get('reason', '')}: {failure.get('message', '')}")
    deadline, since = spec.get("progressDeadlineSeconds"), age_s(progressing.get("lastUpdateTime"))
    if spec.get("paused"):
        notes.append("paused: it proceeds only once resumed")
    elif (deadline and deadline != NO_DEADLINE and since is not None
          and progressing.get("reason") not in NOT_MEASURED):
        if since > deadline:
            return Rollout(False, f"rollout stuck (no progress for {shown(since)}, past its progress deadline of "
                                  f"{deadline}s, not yet marked {TIMED_OUT}): {what.removeprefix('rollout ')}",
                           stuck=True)
        notes.append(f"within its progress deadline of {deadline}s, last progress {shown(max(since, 0))} ago")
    return Rollout(False, what + (f" ({'; '.join(notes)})" if notes else ""))


def _deployment(obj: dict) -> Rollout:
    status, replicas = obj.get("status") or {}, desired_replicas(obj)
    progressing = condition(obj, "Progressing") or {}
    if progressing.get("reason") == TIMED_OUT:
        return Rollout(False, f"rollout stuck (Progressing={progressing.get('status', '?')}, {TIMED_OUT}: "
                              f"{progressing.get('message', 'no message')})", stuck=True)
    updated, total, available = _int(status, "updatedReplicas"), _int(status, "replicas"), available_replicas(obj)
    if updated < replicas:
        return _unfinished(obj, f"rollout in progress: {updated} of {replicas} replicas updated")
    if total > updated:
        return _unfinished(obj, f"rollout in progress: {total - updated} old replicas pending termination")
    if available < updated:
        return _unfinished(obj, f"{available}/{updated} replicas available")
    return DONE


def _on_delete(updated: int, desired: int, revision: str = "") -> Rollout | None:
    if updated >= desired:
        return None
    at = f" {revision}" if revision else ""
    return Rollout(False, f"update pending: {updated} of {desired} pods run the current template{at} (OnDelete: "
                          "the others keep the old one until they are deleted)")


def _statefulset(obj: dict) -> Rollout:
    spec, status, replicas = obj.get("spec") or {}, obj.get("status") or {}, desired_replicas(obj)
    ready, updated = _int(status, "readyReplicas"), _int(status, "updatedReplicas")
    if ready < replicas:
        return Rollout(False, f"{ready}/{replicas} replicas ready")
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") == "OnDelete":
        pending = _on_delete(updated, replicas, status.get("updateRevision", ""))
        if pending:
            return pending
    elif strategy.get("rollingUpdate") is not None:
        # The API server defaults rollingUpdate.partition to 0, so kubectl takes this branch for every StatefulSet
        # it serves and never compares revisions.
        partition = int(strategy["rollingUpdate"].get("partition") or 0)
        if updated < replicas - partition:
            above = f" (ordinals {partition} and above; partition {partition})" if partition else ""
            return Rollout(False, f"rollout in progress: {updated} of {replicas - partition} pods run the update "
                                  f"revision {status.get('updateRevision', '?')}{above}")
    elif status.get("updateRevision") != status.get("currentRevision"):
        return Rollout(False, f"rollout in progress: {updated} pods at the update revision "
                              f"{status.get('updateRevision', '?')}, current revision {status.get('currentRevision', '?')}")
    if _int(status, "replicas") > replicas:
        return Rollout(False, f"scale-down in progress: {_int(status, 'replicas') - replicas} pods beyond the "
                              f"{replicas} desired pending termination")
    available = available_replicas(obj)
    if available < replicas:
        return Rollout(False, f"{available}/{replicas} replicas available (ready for minReadySeconds "
                              f"{spec.get('minReadySeconds', 0)})")
    return DONE


def _daemonset(obj: dict) -> Rollout:
    spec, status, desired = obj.get("spec") or {}, obj.get("status") or {}, desired_replicas(obj)
    updated = _int(status, "updatedNumberScheduled")
    if (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "OnDelete":
        pending = _on_delete(updated, desired)
        if pending:
            return pending
    elif updated < desired:
        return Rollout(False, f"rollout in progress: {updated} of {desired} scheduled pods updated")
    available = available_replicas(obj)
    if available < desired:
        return Rollout(False, f"{available}/{desired} scheduled pods available")
    return DONE


JUDGES = {"Deployment": _deployment, "StatefulSet": _statefulset, "DaemonSet": _daemonset}


def rollout(obj: dict) -> Rollout:
    """Whether ``obj`` (a Deployment, StatefulSet or DaemonSet as the API server returns it) runs its spec: its
    controller saw the latest spec, every desired pod is updated to it and available, and no old pod is left."""
    kind = obj.get("kind")
    if kind not in JUDGES:
        raise ValueError(f"no rollout status for kind {kind!r}")
    return _observed(obj, kind) or JUDGES[kind](obj)
