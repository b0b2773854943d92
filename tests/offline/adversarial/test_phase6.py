"""Phase 6's adversarial rows (suites/phase6/*.py docstrings) on recorded inputs, grouped by criterion: each row is
broken the way it says while its data still looks fine, next to the healthy input that passes."""
from __future__ import annotations

import pytest

from readiness.profile import load_profile
from suites.phase6.test_saturation import test_no_saturation as saturation_check
from tests.builders import cond, node, stamp
from tests.fakes import FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")
MINUTE, HOUR, DAY = 60, 3600, 86400


# --- P6-SATURATION --------------------------------------------------------------------------------------------
# The sandbox profile allows 80% CPU and 85% memory of allocatable, node usage 2m old, an HPA wanting more than
# its maximum for 30m, no OOM kill or eviction within 10m, and a pod 10m to find a node with room.

SAT_NS = "data-platform"


def sat_worker(name: str = "w1") -> dict:
    worker = node(name)
    worker["status"]["allocatable"] = {"cpu": "16", "memory": "64Gi", "pods": "110"}
    return worker


def sat_usage(name: str = "w1", cpu: str = "1600m", memory: str = "6Gi", age_s: float | None = 15,
              window: str = "15.2s") -> dict:
    """A NodeMetrics object as metrics-server serves it: usage over ``window`` up to ``timestamp``."""
    sample = {"kind": "NodeMetrics", "metadata": {"name": name}, "window": window,
              "usage": {"cpu": cpu, "memory": memory}}
    if age_s is not None:
        sample["timestamp"] = stamp(age_s)
    return sample


def sat_hpa(min_replicas: int = 2, max_replicas: int = 5, current: int = 3, limited=("False", "DesiredWithinRange"),
            limited_s_ago: float = 2 * HOUR, active=("True", "ValidMetricFound"), last_scale_s_ago=None,
            name: str = "trino-hpa") -> dict:
    """An autoscaling/v2 HPA with the conditions the HPA controller writes."""
    conditions = [{**cond("AbleToScale", True, "ReadyForNewScale"), "lastTransitionTime": stamp(DAY)}]
    if active:
        conditions.append({**cond("ScalingActive", active[0], active[1]), "lastTransitionTime": stamp(DAY)})
    if limited:
        conditions.append({**cond("ScalingLimited", limited[0], limited[1]),
                           "lastTransitionTime": stamp(limited_s_ago)})
    status = {"currentReplicas": current, "desiredReplicas": current, "conditions": conditions}
    if last_scale_s_ago is not None:
        status["lastScaleTime"] = stamp(last_scale_s_ago)
    return {"kind": "HorizontalPodAutoscaler", "metadata": {"namespace": SAT_NS, "name": name},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "trino"}, "minReplicas": min_replicas,
                     "maxReplicas": max_replicas},
            "status": status}


def sat_container(name: str = "app", restarts: int = 0, state: dict | None = None, last: dict | None = None) -> dict:
    return {"name": name, "ready": True, "restartCount": restarts,
            "state": state if state is not None else {"running": {"startedAt": stamp(DAY)}},
            "lastState": last or {}}


def terminated(reason: str, s_ago: float | None, exit_code: int = 137) -> dict:
    found = {"reason": reason, "exitCode": exit_code}
    if s_ago is not None:
        found["finishedAt"] = stamp(s_ago)
    return {"terminated": found}


def sat_pod(name: str = "trino-0", containers=None, init=None, phase: str = "Running", conditions=None,
            **status) -> dict:
    return {"kind": "Pod", "metadata": {"namespace": SAT_NS, "name": name, "creationTimestamp": stamp(DAY)},
            "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": phase, "conditions": conditions or [cond("Ready", phase == "Running")],
                       "containerStatuses": containers if containers is not None else [sat_container()],
                       **({"initContainerStatuses": init} if init is not None else {}), **status}}


def sat_world(nodes=None, metrics=None, hpas=None, pods=None) -> dict:
    objects = {"nodes": [sat_worker("w1"), sat_worker("w2")] if nodes is None else nodes,
               "node_metrics": [sat_usage("w1"), sat_usage("w2")] if metrics is None else metrics,
               "hpas": [sat_hpa()] if hpas is None else hpas,
               "pods": [sat_pod()] if pods is None else pods}
    return {**empty_world(PROFILE), "snapshot": FakeSnapshot(objects)}


def saturation(**world) -> tuple[str, str]:
    return run_check(saturation_check, sat_world(**world))


def saturation_failed(*needles: str, **world) -> str:
    verdict, message = saturation(**world)
    assert verdict == "failed", (verdict, message)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def saturation_broken(*needles: str, **world) -> str:
    verdict, message = saturation(**world)
    assert verdict == "broken", (verdict, message)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def test_saturation_healthy_platform_passes():
    assert saturation() == ("passed", "")


def test_saturation_a_node_over_its_cpu_share_fails():
    saturation_failed("node w1: cpu 91% of allocatable in use (14500m of 16), expected at most 80%",
                      metrics=[sat_usage("w1", cpu="14500m"), sat_usage("w2")])


@pytest.mark.row("P6-SATURATION", "pinned-hpa-wants-more")
def test_saturation_a_pinned_hpa_whose_load_wants_more_than_its_pin_fails():
    pinned = sat_hpa(min_replicas=3, max_replicas=3, current=3, limited=("True", "TooManyReplicas"),
                     limited_s_ago=3 * HOUR)
    saturation_failed("hpa data-platform/trino-hpa: held at maxReplicas 3 for 3.0h (TooManyReplicas), expected at "
                      "most 30m; its controller wants more replicas", hpas=[pinned])


def test_saturation_a_pinned_hpa_idle_or_on_target_passes_however_long():
    idle = sat_hpa(min_replicas=3, max_replicas=3, current=3, limited=("True", "TooFewReplicas"),
                   limited_s_ago=3 * DAY)
    on_target = sat_hpa(min_replicas=3, max_replicas=3, current=3, limited=("False", "DesiredWithinRange"),
                        limited_s_ago=3 * DAY, name="superset-hpa")
    assert saturation(hpas=[idle, on_target]) == ("passed", "")


def test_saturation_an_hpa_at_its_maximum_on_target_or_scaling_down_passes():
    on_target = sat_hpa(current=5, limited=("False", "DesiredWithinRange"), limited_s_ago=DAY)
    rate_limited_down = sat_hpa(current=5, limited=("True", "ScaleDownLimit"), limited_s_ago=DAY, name="kafka-hpa")
    assert saturation(hpas=[on_target, rate_limited_down]) == ("passed", "")


def test_saturation_an_hpa_wanting_more_for_less_than_allowed_passes():
    assert saturation(hpas=[sat_hpa(current=5, limited=("True", "TooManyReplicas"), limited_s_ago=10 * MINUTE)]) \
        == ("passed", "")


@pytest.mark.row("P6-SATURATION", "reason-changed-not-time")
def test_saturation_an_hpa_at_its_maximum_since_a_scale_up_hours_ago_fails():
    # TooFewReplicas (True) for 3 days, then TooManyReplicas (True): lastTransitionTime stays 3 days old
    held = sat_hpa(current=5, limited=("True", "TooManyReplicas"), limited_s_ago=3 * DAY, last_scale_s_ago=2 * HOUR)
    saturation_failed("hpa data-platform/trino-hpa: held at maxReplicas 5 for 2.0h (TooManyReplicas)",
                      "ScalingLimited True since", hpas=[held])


def test_saturation_an_hpa_that_reached_its_maximum_minutes_ago_passes_whatever_its_condition_time():
    spike = sat_hpa(current=5, limited=("True", "TooManyReplicas"), limited_s_ago=3 * DAY,
                    last_scale_s_ago=5 * MINUTE)
    assert saturation(hpas=[spike]) == ("passed", "")


def test_saturation_an_hpa_wanting_more_since_an_unrecorded_time_fails():
    undated = sat_hpa(current=5, limited=("True", "TooManyReplicas"))
    undated["status"]["conditions"][-1].pop("lastTransitionTime")
    saturation_failed("hpa data-platform/trino-hpa: held at maxReplicas 5 (TooManyReplicas) since a time its "
                      "status does not record", hpas=[undated])


@pytest.mark.row("P6-SATURATION", "hpa-not-computing")
def test_saturation_an_hpa_whose_controller_computes_nothing_is_broken():
    blind = sat_hpa(current=5, limited=("False", "DesiredWithinRange"), active=("False", "FailedGetResourceMetric"))
    saturation_broken("hpa data-platform/trino-hpa: ScalingActive False (FailedGetResourceMetric): its controller "
                      "computes no desired replica count, so whether its load wants more than maxReplicas 5 cannot "
                      "be told (ScalingLimited False (DesiredWithinRange) is left from before", hpas=[blind])


def test_saturation_an_hpa_whose_target_is_scaled_to_zero_is_not_judged():
    disabled = sat_hpa(current=0, active=("False", "ScalingDisabled"))
    assert saturation(hpas=[disabled]) == ("passed", "")


def test_saturation_an_hpa_at_its_maximum_without_scaling_limited_is_broken():
    saturation_broken("hpa data-platform/trino-hpa: at maxReplicas 5 with no ScalingLimited condition",
                      hpas=[sat_hpa(current=5, limited=None)])


def test_saturation_what_could_not_be_judged_is_named_beside_what_failed():
    blind = sat_hpa(current=5, active=("False", "FailedGetResourceMetric"))
    message = saturation_failed("node w1: cpu 91%", "could not evaluate: hpa: hpa data-platform/trino-hpa: "
                                "ScalingActive False", hpas=[blind],
                                metrics=[sat_usage("w1", cpu="14500m"), sat_usage("w2")])
    assert message.index("node w1") < message.index("could not evaluate")


@pytest.mark.row("P6-SATURATION", "stale-node-usage")
def test_saturation_node_usage_twenty_minutes_old_is_broken():
    saturation_broken("node w1: its usage from metrics.k8s.io is 20m old (timestamp ", "window 15.2s), expected at "
                      "most 2m old", metrics=[sat_usage("w1", age_s=20 * MINUTE), sat_usage("w2")])


def test_saturation_node_usage_a_minute_old_is_judged():
    assert saturation(metrics=[sat_usage("w1", age_s=MINUTE), sat_usage("w2")]) == ("passed", "")
    saturation_failed("node w1: memory 94% of allocatable in use (60Gi of 64Gi), expected at most 85%",
                      metrics=[sat_usage("w1", memory="60Gi", age_s=MINUTE), sat_usage("w2")])


@pytest.mark.row("P6-SATURATION", "undated-node-usage")
def test_saturation_node_usage_without_a_timestamp_is_broken():
    saturation_broken("node w1: its usage from metrics.k8s.io carries no readable timestamp (None), so how old it "
                      "is cannot be told", metrics=[sat_usage("w1", age_s=None), sat_usage("w2")])


@pytest.mark.row("P6-SATURATION", "node-usage-from-future")
def test_saturation_node_usage_dated_an_hour_ahead_is_broken():
    saturation_broken("node w1: its usage from metrics.k8s.io is dated 60m in the future",
                      metrics=[sat_usage("w1", age_s=-HOUR), sat_usage("w2")])


def test_saturation_node_usage_seconds_ahead_of_this_clock_is_judged():
    assert saturation(metrics=[sat_usage("w1", age_s=-5), sat_usage("w2")]) == ("passed", "")


def test_saturation_node_usage_that_is_not_a_number_is_broken():
    saturation_broken("node w1: cpu used 'NaN' of allocatable '16' cannot be read as a share",
                      metrics=[sat_usage("w1", cpu="NaN"), sat_usage("w2")])


def test_saturation_a_ready_node_without_usage_is_broken_and_a_not_ready_one_is_not_judged():
    saturation_broken("node w2: Ready but metrics.k8s.io has no usage for it", metrics=[sat_usage("w1")])
    assert saturation(nodes=[sat_worker("w1"), {**node("w2", ready=False)}], metrics=[sat_usage("w1")]) \
        == ("passed", "")


@pytest.mark.row("P6-SATURATION", "oom-init-container")
def test_saturation_an_init_container_oom_killed_minutes_ago_fails():
    migrate = sat_container("migrate", restarts=2, state={"terminated": {"reason": "Completed", "exitCode": 0,
                                                                         "finishedAt": stamp(4 * MINUTE)}},
                            last=terminated("OOMKilled", 5 * MINUTE))
    sidecar = sat_container("log-shipper", restarts=1, state={"running": {"startedAt": stamp(3 * MINUTE)}},
                            last=terminated("OOMKilled", 3 * MINUTE + 2))
    message = saturation_failed("pod data-platform/trino-0 init container migrate: OOMKilled 5m ago (restarts 2), "
                                "its last termination, expected none within 10m",
                                pods=[sat_pod(init=[migrate, sidecar])])
    assert "init container log-shipper: OOMKilled 3m ago (restarts 1" in message


def test_saturation_an_init_container_oom_killed_before_the_window_passes():
    migrate = sat_container("migrate", restarts=1, state={"terminated": {"reason": "Completed", "exitCode": 0,
                                                                         "finishedAt": stamp(2 * HOUR)}},
                            last=terminated("OOMKilled", 2 * HOUR + 30))
    assert saturation(pods=[sat_pod(init=[migrate])]) == ("passed", "")


@pytest.mark.row("P6-SATURATION", "oom-current-state")
def test_saturation_a_replaced_job_pod_oom_killed_in_its_current_state_fails():
    killed = sat_container("load", state=terminated("OOMKilled", 5 * MINUTE))
    retried = sat_container("load", state={"terminated": {"reason": "Completed", "exitCode": 0,
                                                           "finishedAt": stamp(MINUTE)}})
    saturation_failed("pod data-platform/nightly-load-abcde container load: OOMKilled 5m ago (restarts 0), its "
                      "current state, not restarted since",
                      pods=[sat_pod("nightly-load-abcde", [killed], phase="Failed"),
                            sat_pod("nightly-load-fghij", [retried], phase="Succeeded")])


def test_saturation_a_replaced_job_pod_that_failed_for_another_reason_passes():
    failed = sat_container("load", state=terminated("Error", 5 * MINUTE, exit_code=1))
    assert saturation(pods=[sat_pod("nightly-load-abcde", [failed], phase="Failed")]) == ("passed", "")


@pytest.mark.row("P6-SATURATION", "oom-undated")
def test_saturation_an_oom_kill_without_finished_at_fails():
    placed = sat_container(restarts=1, state={"running": {"startedAt": stamp(3 * MINUTE)}},
                           last=terminated("OOMKilled", None))
    saturation_failed("pod data-platform/trino-0 container app: OOMKilled 3m ago (restarts 1), its last "
                      "termination, undated: placed by the restart after it", pods=[sat_pod(containers=[placed])])
    nothing = sat_container(restarts=1, state={"waiting": {"reason": "CrashLoopBackOff"}},
                            last=terminated("OOMKilled", None))
    saturation_failed("pod data-platform/trino-0 container app: OOMKilled at a time the pod does not record",
                      pods=[sat_pod(containers=[nothing])])


def test_saturation_an_undated_oom_kill_whose_restart_was_hours_ago_passes():
    old = sat_container(restarts=1, state={"running": {"startedAt": stamp(2 * HOUR)}},
                        last=terminated("OOMKilled", None))
    assert saturation(pods=[sat_pod(containers=[old])]) == ("passed", "")


@pytest.mark.row("P6-SATURATION", "restart-reason-lost")
def test_saturation_a_recent_restart_with_no_record_of_why_is_broken():
    lost = sat_container(restarts=4, state={"running": {"startedAt": stamp(2 * MINUTE)}})
    saturation_broken("pod data-platform/trino-0 container app: restarted 4 times, the latest 2m ago, and the pod "
                      "keeps no record of why (no lastState): an OOM kill cannot be ruled out",
                      pods=[sat_pod(containers=[lost])])


def test_saturation_a_restart_for_a_known_reason_or_long_ago_passes():
    known = sat_container(restarts=4, state={"running": {"startedAt": stamp(2 * MINUTE)}},
                          last=terminated("Error", 2 * MINUTE + 5, exit_code=1))
    old = sat_container("sidecar", restarts=4, state={"running": {"startedAt": stamp(2 * HOUR)}})
    assert saturation(pods=[sat_pod(containers=[known, old])]) == ("passed", "")


EVICTED_MEMORY = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 64Mi. Container "
                  "app was using 2Gi, request is 512Mi, has larger consumption of memory. ")


def evicted_pod(s_ago: float) -> dict:
    return sat_pod("trino-worker-7d9f-x2x", [sat_container(state=terminated("ContainerStatusUnknown", s_ago))],
                   phase="Failed", reason="Evicted", message=EVICTED_MEMORY,
                   conditions=[{**cond("DisruptionTarget", True, "TerminationByKubelet"),
                                "lastTransitionTime": stamp(s_ago)}, cond("Ready", False)])


@pytest.mark.row("P6-SATURATION", "memory-eviction")
def test_saturation_a_pod_evicted_for_memory_minutes_ago_fails():
    saturation_failed("pod data-platform/trino-worker-7d9f-x2x: evicted 5m ago because its node was low on memory "
                      "(The node was low on resource: memory. Threshold quantity: 100Mi", "expected none within 10m",
                      pods=[evicted_pod(5 * MINUTE), sat_pod()])


def test_saturation_a_pod_evicted_before_the_window_passes():
    assert saturation(pods=[evicted_pod(2 * HOUR), sat_pod()]) == ("passed", "")


def rejected_pod(s_ago: float) -> dict:
    pod = sat_pod("trino-worker-7d9f-r2d", [], phase="Failed", reason="OutOfmemory", conditions=[],
                  message="Pod was rejected: Node didn't have enough resource: memory, requested: 4294967296, used: "
                          "66571993088, capacity: 68719476736")
    pod["metadata"]["creationTimestamp"] = stamp(s_ago)
    return pod


@pytest.mark.row("P6-SATURATION", "rejected-by-node")
def test_saturation_a_pod_its_node_refused_for_want_of_memory_fails():
    saturation_failed("pod data-platform/trino-worker-7d9f-r2d: refused by its node 3m ago for want of memory "
                      "(OutOfmemory) (Pod was rejected: Node didn't have enough resource: memory",
                      pods=[rejected_pod(3 * MINUTE), sat_pod()])


def test_saturation_a_pod_refused_before_the_window_or_failed_otherwise_passes():
    other = sat_pod("trino-worker-7d9f-z9z", [], phase="Failed", reason="UnexpectedAdmissionError", conditions=[],
                    message="Allocate failed due to can't allocate unhealthy devices")
    assert saturation(pods=[rejected_pod(2 * HOUR), other, sat_pod()]) == ("passed", "")


NO_ROOM = ("0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption "
           "victims found for incoming pod.")
TAINTED = "0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}."


def pending_pod(s_ago: float, message: str = NO_ROOM) -> dict:
    return sat_pod("trino-worker-7d9f-q8r", [], phase="Pending",
                   conditions=[{**cond("PodScheduled", False, "Unschedulable"), "message": message,
                                "lastTransitionTime": stamp(s_ago)}])


@pytest.mark.row("P6-SATURATION", "unschedulable-for-resources")
def test_saturation_a_pod_waiting_twenty_minutes_for_room_fails_while_usage_is_low():
    saturation_failed("pod data-platform/trino-worker-7d9f-q8r: Pending for 20m, no node has room for it (0/2 nodes "
                      "are available: 2 Insufficient memory.", "expected scheduled within 10m",
                      pods=[pending_pod(20 * MINUTE), sat_pod()])


def test_saturation_a_pod_waiting_briefly_or_for_a_taint_passes():
    assert saturation(pods=[pending_pod(2 * MINUTE), sat_pod()]) == ("passed", "")
    assert saturation(pods=[pending_pod(20 * MINUTE, TAINTED), sat_pod()]) == ("passed", "")
