"""P3-HPA-METRICS and P3-HPA-CONFIG: autoscaling works on real metrics and is configured as planned."""
from fixtures.kube import by_ref, condition
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import fail
from readiness.per_profile import per_profile
from suites.workloads import KIND_LIST

# Where each metric type keeps its name in spec.metrics[] and status.currentMetrics[].
METRIC_KEYS = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
               "Object": "object", "External": "external"}


def _find(snapshot, hpa):
    hpas = by_ref(snapshot.items("hpas"))
    obj = hpas.get(hpa.ref)
    if obj is None:
        attach_json(f"HorizontalPodAutoscalers in {hpa.namespace}",
                    sorted(r for r in hpas if r.startswith(hpa.namespace + "/")))
        fail(f"{hpa.ref}: HorizontalPodAutoscaler not found")
    attach_json(f"{hpa.ref} (spec and status)", {"spec": obj["spec"], "status": obj.get("status", {})})
    return obj


def _cond(obj, name):
    cond = condition(obj, name) or {}
    return cond.get("status", "missing"), cond.get("reason", "no reason")


def _metric_id(metric: dict) -> tuple | None:
    """What identifies one metric of an HPA, the same in its spec and in its status."""
    kind = metric.get("type")
    body = metric.get(METRIC_KEYS.get(kind, ""), {}) or {}
    if kind == "Resource":
        return kind, body.get("name")
    if kind == "ContainerResource":
        return kind, body.get("name"), body.get("container")
    if kind in ("Pods", "Object", "External"):
        described = body.get("describedObject") or {}
        return (kind, (body.get("metric") or {}).get("name"), described.get("kind"), described.get("name"))
    return None


def _describe(mid: tuple) -> str:
    kind, name = mid[0], mid[1]
    if kind == "Resource":
        return f"{name.upper()} metric"
    if kind == "ContainerResource":
        return f"{name.upper()} metric of container {mid[2]}"
    target = f" of {mid[2]}/{mid[3]}" if kind == "Object" else ""
    return f"{kind} metric {name}{target}"


def _has_value(metric: dict) -> bool:
    current = (metric.get(METRIC_KEYS.get(metric.get("type"), ""), {}) or {}).get("current") or {}
    return any(current.get(k) is not None for k in ("value", "averageValue", "averageUtilization"))


@criterion("P3-HPA-METRICS", 3, "Auto-scaling functional with real metrics", severity="critical",
           requirement="Every HPA of the profile reports a current value for each metric of its spec (Resource, "
                       "ContainerResource, Pods, Object and External alike), and its AbleToScale and "
                       "ScalingActive conditions are True.",
           next_step="kubectl describe hpa: a FailedGetResourceMetric reason points at metrics-server or at "
                     "missing resource requests on the target's containers; a custom or external metric needs "
                     "its adapter (prometheus-adapter, KEDA).", profile_keys=("phase3.hpas",))
@per_profile("hpa", "phase3.hpas", "HPAs")
def test_hpa_has_current_metrics_and_is_active(snapshot, hpa):
    obj = _find(snapshot, hpa)
    problems = []
    active, active_reason = _cond(obj, "ScalingActive")
    able, able_reason = _cond(obj, "AbleToScale")
    current = {_metric_id(m) for m in obj.get("status", {}).get("currentMetrics") or [] if _has_value(m)}
    wanted = [_metric_id(m) for m in obj["spec"].get("metrics") or []]
    if not wanted:
        problems.append(f"{hpa.ref}: no metrics in its spec")
    for mid in wanted:
        if mid is None:
            problems.append(f"{hpa.ref}: a metric of an unknown type in its spec")
        elif mid not in current:
            problems.append(f"{hpa.ref}: no current {_describe(mid)} (ScalingActive={active}, {active_reason})")
    if active != "True" and not problems:
        problems.append(f"{hpa.ref}: ScalingActive={active} ({active_reason})")
    if able != "True":
        problems.append(f"{hpa.ref}: AbleToScale={able} ({able_reason})")
    fail(problems)


@criterion("P3-HPA-CONFIG", 3, "Auto-scaling configured as planned", severity="normal",
           requirement="Each HPA of the profile exists with the profile's minimum and maximum replicas and CPU "
                       "utilization target, and its scale target exists.",
           next_step="Apply the HPA manifest from the platform repository; check scaleTargetRef.",
           profile_keys=("phase3.hpas",))
@per_profile("hpa", "phase3.hpas", "HPAs")
def test_hpa_matches_profile(snapshot, hpa):
    obj = _find(snapshot, hpa)
    spec, problems = obj["spec"], []
    if spec.get("minReplicas", 1) != hpa.min_replicas:
        problems.append(f"{hpa.ref}: minReplicas {spec.get('minReplicas', 1)}, expected {hpa.min_replicas}")
    if spec.get("maxReplicas") != hpa.max_replicas:
        problems.append(f"{hpa.ref}: maxReplicas {spec.get('maxReplicas')}, expected {hpa.max_replicas}")
    cpu = [m["resource"]["target"].get("averageUtilization") for m in spec.get("metrics") or []
           if m.get("type") == "Resource" and m["resource"]["name"] == "cpu"]
    if cpu != [hpa.cpu_target_percent]:
        seen = f"{cpu[0]}%" if cpu else "no CPU utilization target"
        problems.append(f"{hpa.ref}: CPU target {seen}, expected {hpa.cpu_target_percent}%")
    ref = spec.get("scaleTargetRef", {})
    if (ref.get("kind"), ref.get("name")) != (hpa.target_kind, hpa.target_name):
        problems.append(f"{hpa.ref}: scales {ref.get('kind')}/{ref.get('name')}, expected "
                        f"{hpa.target_kind}/{hpa.target_name}")
    elif ref.get("kind") in KIND_LIST and f"{hpa.namespace}/{hpa.target_name}" not in by_ref(
            snapshot.items(KIND_LIST[ref["kind"]])):
        problems.append(f"{hpa.ref}: scale target {ref['kind']} {hpa.namespace}/{hpa.target_name} not found")
    fail(problems)
