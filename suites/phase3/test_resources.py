"""P3-RESOURCES: requests and limits everywhere, and quotas with room left in every platform namespace."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.quantity import quantity
from readiness.verdict import fail, require_data

RESOURCES = ("cpu", "memory")


def _missing_resources(pod: dict) -> list[str]:
    """Every container, init containers included: an init container without limits can exhaust a node too."""
    missing = []
    for field, what in (("initContainers", "init container"), ("containers", "container")):
        for container in pod["spec"].get(field) or []:
            res = container.get("resources") or {}
            for kind in ("requests", "limits"):
                lacking = [r for r in RESOURCES if r not in (res.get(kind) or {})]
                if lacking:
                    missing.append(f"{what} {container['name']} has no {kind} for {', '.join(lacking)}")
    return missing


@criterion("P3-RESOURCES", 3, "Resource management applied", severity="critical",
           requirement="Every container (init containers included) in the platform's namespaces sets CPU and "
                       "memory requests and limits; every platform namespace has a ResourceQuota and a "
                       "LimitRange, each quota enforced (its status has hard limits); no quota is used above the "
                       "profile's threshold.",
           next_step="Add resources to the manifests, apply quota and limit range per namespace, raise or "
                     "rebalance an exhausted quota.", profile_keys=("platform.namespaces",
                                                                    "phase3.quota_max_used_percent"))
def test_requests_limits_quotas_and_headroom(snapshot, profile):
    namespaces = set(profile.platform.namespaces)
    pods = [p for p in snapshot.items("pods", sorted(namespaces))
            if p.get("status", {}).get("phase") in ("Running", "Pending")]
    require_data(pods, "platform pods", f"pods in {', '.join(sorted(namespaces))}")
    problems = []
    for pod in pods:
        for gap in _missing_resources(pod):
            problems.append(f"pod {pod['metadata']['namespace']}/{pod['metadata']['name']}: {gap}")
    quotas = [q for q in snapshot.items("resourcequotas") if q["metadata"]["namespace"] in namespaces]
    ranges = {r["metadata"]["namespace"] for r in snapshot.items("limitranges")}
    rows, limit = [], profile.phase3.quota_max_used_percent
    for ns in sorted(namespaces):
        if ns not in {q["metadata"]["namespace"] for q in quotas}:
            problems.append(f"namespace {ns}: no ResourceQuota")
        if ns not in ranges:
            problems.append(f"namespace {ns}: no LimitRange")
    for quota in quotas:
        ref = f"{quota['metadata']['namespace']}/{quota['metadata']['name']}"
        status = quota.get("status") or {}
        if not status.get("hard"):
            problems.append(f"quota {ref}: no status.hard (the quota controller has not enforced it; is "
                            "kube-controller-manager running?)")
        for resource, hard in (status.get("hard") or {}).items():
            used = quantity((status.get("used") or {}).get(resource, "0"))
            percent = 100.0 * used / quantity(hard) if quantity(hard) else 100.0
            rows.append([ref, resource, (status.get("used") or {}).get(resource, "0"), hard, f"{percent:.0f}%"])
            if percent > limit:
                problems.append(f"quota {ref}: {resource} {percent:.0f}% used "
                                f"({status['used'].get(resource)} of {hard}), expected at most {limit}%")
    attach_table("quota usage", ["quota", "resource", "used", "hard", "used %"], rows)
    fail(problems)
