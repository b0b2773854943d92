"""P3-HPA-METRICS and P3-HPA-CONFIG: autoscaling works on real metrics and is configured as planned."""
from fixtures.kube import by_ref, condition
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import fail
from suites.parametrize import per_profile_objects
from suites.workloads import KIND_LIST


def pytest_generate_tests(metafunc):
    per_profile_objects(metafunc, "hpa", lambda profile: profile.phase3.hpas)


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


@criterion("P3-HPA-METRICS", 3, "Auto-scaling functional with real metrics", severity="critical",
           requirement="Every HPA reports a current value for each of its metrics, and its AbleToScale and "
                       "ScalingActive conditions are True.",
           next_step="kubectl describe hpa: a FailedGetResourceMetric reason points at metrics-server or at "
                     "missing resource requests on the target's containers.")
def test_hpa_has_current_metrics_and_is_active(snapshot, hpa):
    obj = _find(snapshot, hpa)
    problems = []
    active, active_reason = _cond(obj, "ScalingActive")
    able, able_reason = _cond(obj, "AbleToScale")
    current = obj.get("status", {}).get("currentMetrics") or []
    for metric in obj["spec"].get("metrics") or []:
        if metric.get("type") != "Resource":
            continue
        name = metric["resource"]["name"]
        values = [m for m in current if m.get("type") == "Resource" and m["resource"].get("name") == name
                  and (m["resource"].get("current") or {})]
        if not values:
            problems.append(f"{hpa.ref}: no current {name.upper()} metric (ScalingActive={active}, {active_reason})")
    if active != "True" and not problems:
        problems.append(f"{hpa.ref}: ScalingActive={active} ({active_reason})")
    if able != "True":
        problems.append(f"{hpa.ref}: AbleToScale={able} ({able_reason})")
    fail(problems)


@criterion("P3-HPA-CONFIG", 3, "Auto-scaling configured as planned", severity="normal",
           requirement="Each HPA of the profile exists with the profile's minimum and maximum replicas and CPU "
                       "utilization target, and its scale target exists.",
           next_step="Apply the HPA manifest from the platform repository; check scaleTargetRef.")
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
