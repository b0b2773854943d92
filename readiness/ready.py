"""One definition of "ready" for workloads and pods, used by the checks, chaos and the sandbox.

Objects are plain dicts as the API server returns them. A workload's desired count is what its controller
is asked to run: ``spec.replicas`` (the API defaults it to 1) for Deployments and StatefulSets, and
``status.desiredNumberScheduled`` for a DaemonSet, which has no replicas field.
"""
from __future__ import annotations

import datetime as dt

from readiness import timing


def condition(obj: dict, cond_type: str) -> dict | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == cond_type:
            return cond
    return None


def is_true(obj: dict, cond_type: str) -> bool:
    cond = condition(obj, cond_type)
    return bool(cond) and cond.get("status") == "True"


def selects(selector: dict | None, labels: dict | None) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects ``labels``, as Kubernetes'
    LabelSelectorAsSelector reads it: a missing (null) selector selects nothing, an empty one ``{}`` selects
    everything (a policy/v1 PDB, a NetworkPolicy's podSelector, a ServiceMonitor's selector)."""
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and (key not in labels or labels[key] not in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"label selector operator {op!r} is not one Kubernetes knows")
    return True


def selects_everything(selector: dict | None) -> bool:
    """An empty selector (no matchLabels, no matchExpressions): every object; a missing one selects nothing."""
    return selector is not None and not selector.get("matchLabels") and not selector.get("matchExpressions")


def desired_replicas(obj: dict) -> int:
    if obj.get("kind") == "DaemonSet":
        return int((obj.get("status") or {}).get("desiredNumberScheduled") or 0)
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def ready_replicas(obj: dict) -> int:
    status = obj.get("status") or {}
    return int(status.get("numberReady" if obj.get("kind") == "DaemonSet" else "readyReplicas") or 0)


def is_ready_pod(pod: dict) -> bool:
    return ((pod.get("status") or {}).get("phase") == "Running" and is_true(pod, "Ready")
            and not pod["metadata"].get("deletionTimestamp"))


def _controlled_by(pod: dict, obj: dict) -> bool:
    """A pod with a controller belongs to ``obj`` only through it (a Deployment's pods through its
    ReplicaSets); a pod without one is judged by the selector alone."""
    owners = [o for o in pod["metadata"].get("ownerReferences") or [] if o.get("controller")]
    if not owners:
        return True
    owner, meta = owners[0], obj["metadata"]
    if owner.get("uid") and owner.get("uid") == meta.get("uid"):
        return True
    if obj.get("kind") == "Deployment" and owner.get("kind") == "ReplicaSet":
        return owner.get("name", "").startswith(meta["name"] + "-")
    return owner.get("kind") == obj.get("kind") and owner.get("name") == meta["name"]


def pods_of(obj: dict, pods: list[dict]) -> list[dict]:
    """The pods ``obj`` runs: same namespace, selected by its own selector, and controlled by it."""
    namespace, selector = obj["metadata"]["namespace"], (obj.get("spec") or {}).get("selector")
    return [p for p in pods if p["metadata"].get("namespace") == namespace
            and selects(selector, p["metadata"].get("labels")) and _controlled_by(p, obj)]


def started_at(pod: dict) -> dt.datetime:
    """When this incarnation of the pod started (a StatefulSet pod keeps its name across incarnations)."""
    stamp = (pod.get("status") or {}).get("startTime") or pod["metadata"]["creationTimestamp"]
    return timing.parse(stamp)


def running_longer_than(pod: dict, seconds: float, now: dt.datetime | None = None) -> bool:
    """Whether the pod has been running for at least ``seconds`` (new pods get a grace period)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return (pod.get("status") or {}).get("phase") == "Running" and now - started_at(pod) >= dt.timedelta(
        seconds=seconds)


def ready_for(obj: dict, now: dt.datetime | None = None) -> float | None:
    """Seconds since the object's Ready condition turned True, or None when it is not Ready."""
    cond = condition(obj, "Ready") or {}
    if cond.get("status") != "True":
        return None
    stamp = cond.get("lastTransitionTime")
    if not stamp:
        return float("inf")
    now = now or dt.datetime.now(dt.timezone.utc)
    return timing.age_s(stamp, now)
