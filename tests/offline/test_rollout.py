"""readiness/rollout.py against its upstream: kubectl's own rollout-status test table (k8s.io/kubectl v0.33.13,
pkg/polymorphichelpers/rollout_status_test.go) ported case by case, and Deployments as the sandbox's real
kube-controller-manager v1.33.13 wrote them (a scratch Deployment of 2 whose new pods could not be scheduled, with
maxUnavailable 0 and a 15 s progress deadline). Where the port judges more than kubectl, the tests say so."""
from __future__ import annotations

import pytest

from readiness.rollout import rollout
from tests.builders import cond, stamp


def _deployment(generation: int, replicas: int | None, status: dict, **spec) -> dict:
    return {"kind": "Deployment", "metadata": {"namespace": "bar", "name": "foo", "generation": generation},
            "spec": {**({"replicas": replicas} if replicas is not None else {}), **spec}, "status": status}


def _daemonset(generation: int, status: dict, strategy: str = "RollingUpdate") -> dict:
    return {"kind": "DaemonSet", "metadata": {"namespace": "bar", "name": "foo", "generation": generation},
            "spec": {"updateStrategy": {"type": strategy}}, "status": status}


def _statefulset(generation: int, status: dict, strategy: dict | None = None, replicas: int = 3) -> dict:
    return {"kind": "StatefulSet", "metadata": {"namespace": "default", "name": "foo", "generation": generation},
            "spec": {"replicas": replicas, "updateStrategy": strategy or {"type": "RollingUpdate"}},
            "status": status}


# kubectl's TestDeploymentStatusViewerStatus: (generation, spec replicas, status, done)
DEPLOYMENT_CASES = {
    "test1": (0, 1, {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 0, "availableReplicas": 1}, False),
    "test2": (1, 1, {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 2}, False),
    "test3": (1, 2, {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}, False),
    "test4": (1, 2, {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}, True),
    "test5": (2, 2, {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}, False),
}

# kubectl's TestDaemonSetStatusViewerStatus: (generation, status, done)
DAEMONSET_CASES = {
    "test1": (0, {"observedGeneration": 1, "updatedNumberScheduled": 0, "desiredNumberScheduled": 1,
                  "numberAvailable": 0}, False),
    "test2": (1, {"observedGeneration": 1, "updatedNumberScheduled": 2, "desiredNumberScheduled": 2,
                  "numberAvailable": 1}, False),
    "test3": (1, {"observedGeneration": 1, "updatedNumberScheduled": 2, "desiredNumberScheduled": 2,
                  "numberAvailable": 2}, True),
    "test4": (2, {"observedGeneration": 1, "updatedNumberScheduled": 2, "desiredNumberScheduled": 2,
                  "numberAvailable": 2}, False),
}

PARTITION_2 = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
# kubectl's TestStatefulSetStatusViewerStatus (3 replicas): (generation, strategy, status, done). The real
# controller counts availableReplicas beside readyReplicas (equal with minReadySeconds 0); kubectl's table leaves
# it out because kubectl does not read it, so it is added here as the controller would write it.
STATEFULSET_CASES = {
    "unobserved update is not complete": (2, None, {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3,
                                                    "currentReplicas": 3, "updatedReplicas": 0}, False),
    "if all pods are not ready the update is not complete": (
        1, None, {"observedGeneration": 2, "replicas": 3, "readyReplicas": 2, "currentReplicas": 3,
                  "updatedReplicas": 0}, False),
    "partition update completes when all replicas above the partition are updated": (
        1, PARTITION_2, {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                         "currentReplicas": 2, "updatedReplicas": 1}, True),
    "partition update is in progress if all pods above the partition have not been updated": (
        1, PARTITION_2, {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                         "currentReplicas": 3, "updatedReplicas": 0}, False),
    "update completes when all replicas are current": (
        1, None, {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                  "currentReplicas": 3, "updatedReplicas": 3, "currentRevision": "foo", "updateRevision": "foo"},
        True),
}


@pytest.mark.parametrize("name", sorted(DEPLOYMENT_CASES))
def test_deployment_as_kubectl_judges_it(name):
    generation, replicas, status, done = DEPLOYMENT_CASES[name]
    assert rollout(_deployment(generation, replicas, status)).done is done


@pytest.mark.parametrize("name", sorted(DAEMONSET_CASES))
def test_daemonset_as_kubectl_judges_it(name):
    generation, status, done = DAEMONSET_CASES[name]
    assert rollout(_daemonset(generation, status)).done is done


@pytest.mark.parametrize("name", sorted(STATEFULSET_CASES))
def test_statefulset_as_kubectl_judges_it(name):
    generation, strategy, status, done = STATEFULSET_CASES[name]
    assert rollout(_statefulset(generation, status, strategy)).done is done


def test_statefulset_revisions_compared_only_without_a_rolling_update_block():
    """kubectl compares revisions only when rollingUpdate is absent (the API server always fills it in)."""
    status = {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
              "updatedReplicas": 3, "currentRevision": "foo-1", "updateRevision": "foo-2"}
    assert not rollout(_statefulset(1, status)).done
    assert rollout(_statefulset(1, status, {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})).done


def test_statefulset_ready_but_not_available_or_scaling_down_is_not_done():
    """Beyond kubectl: minReadySeconds counts, and a condemned pod still counted is a scale-down in progress."""
    base = {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 3}
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert "1/3 replicas available" in rollout(_statefulset(1, {**base, "availableReplicas": 1}, rolling)).why
    scaling = rollout(_statefulset(1, {**base, "replicas": 4, "availableReplicas": 3}, rolling))
    assert not scaling.done and "1 pods beyond the 3 desired" in scaling.why


def test_on_delete_is_judged_by_its_pods_where_kubectl_refuses():
    """kubectl answers "rollout status is only available for RollingUpdate strategy type"."""
    ds = _daemonset(1, {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 1,
                        "numberAvailable": 3}, strategy="OnDelete")
    assert "update pending: 1 of 3 pods run the current template (OnDelete" in rollout(ds).why
    ds["status"]["updatedNumberScheduled"] = 3
    assert rollout(ds).done
    sts = _statefulset(1, {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
                           "updatedReplicas": 0, "updateRevision": "foo-2"}, {"type": "OnDelete"})
    assert "update pending: 0 of 3 pods run the current template foo-2" in rollout(sts).why


def _recorded(progressing: dict, updated: int = 1, total: int = 3) -> dict:
    """The scratch Deployment as kube-controller-manager v1.33.13 wrote it after its template change."""
    return _deployment(2, 2, {
        "observedGeneration": 2, "replicas": total, "updatedReplicas": updated, "readyReplicas": 2,
        "availableReplicas": 2, "unavailableReplicas": total - 2,
        "conditions": [{**cond("Available", True, "MinimumReplicasAvailable"), "message":
                        "Deployment has minimum availability."}, progressing]},
        progressDeadlineSeconds=15, strategy={"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})


def test_recorded_stuck_deployment_is_stuck():
    stuck = _recorded({**cond("Progressing", False, "ProgressDeadlineExceeded"), "lastUpdateTime": stamp(30),
                       "message": 'ReplicaSet "probe-7856cb65c9" has timed out progressing.'})
    state = rollout(stuck)
    assert state.stuck and state.why == ('rollout stuck (Progressing=False, ProgressDeadlineExceeded: ReplicaSet '
                                         '"probe-7856cb65c9" has timed out progressing.)')


def test_recorded_rollout_in_progress_is_not_done_until_its_deadline_then_stuck():
    def progressing(seconds_ago: float) -> dict:
        return {**cond("Progressing", True, "ReplicaSetUpdated"), "lastUpdateTime": stamp(seconds_ago),
                "message": 'ReplicaSet "probe-7856cb65c9" is progressing.'}
    fresh = rollout(_recorded(progressing(3)))
    assert not fresh.done and not fresh.stuck
    assert fresh.why.startswith("rollout in progress: 1 of 2 replicas updated (within its progress deadline of 15s")
    late = rollout(_recorded(progressing(40)))
    assert late.stuck and "past its progress deadline of 15s, not yet marked ProgressDeadlineExceeded" in late.why


def test_recorded_rollback_is_done():
    """After the heal: the old ReplicaSet is the new one again, the controller wrote NewReplicaSetAvailable."""
    healed = _recorded({**cond("Progressing", True, "NewReplicaSetAvailable"), "lastUpdateTime": stamp(600)},
                       updated=2, total=2)
    healed["metadata"]["generation"] = healed["status"]["observedGeneration"] = 3
    assert rollout(healed).done


def test_paused_mid_rollout_says_so_and_a_finished_rollout_never_times_out():
    paused = _recorded({**cond("Progressing", "Unknown", "DeploymentPaused"), "lastUpdateTime": stamp(3600)})
    paused["spec"]["paused"] = True
    state = rollout(paused)
    assert not state.done and not state.stuck and "paused" in state.why
    crashed = _recorded({**cond("Progressing", True, "NewReplicaSetAvailable"), "lastUpdateTime": stamp(86400)},
                        updated=2, total=2)
    crashed["status"]["availableReplicas"] = 1
    state = rollout(crashed)
    assert state.why == "1/2 replicas available" and not state.stuck
