"""Helpers the phase suites share to read workloads and their pods out of the snapshot."""
from __future__ import annotations

import datetime as dt

from fixtures.kube import Snapshot, by_ref, is_true, selects
from readiness.profile import Workload

KIND_LIST = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


def find_workload(snapshot: Snapshot, workload: Workload) -> dict | None:
    return by_ref(snapshot.items(KIND_LIST[workload.kind])).get(workload.ref)


def pods_of(snapshot: Snapshot, obj: dict) -> list[dict]:
    namespace = obj["metadata"]["namespace"]
    selector = obj["spec"].get("selector")
    return [p for p in snapshot.items("pods")
            if p["metadata"]["namespace"] == namespace and selects(selector, p["metadata"].get("labels"))]


def is_ready_pod(pod: dict) -> bool:
    return (pod.get("status", {}).get("phase") == "Running" and is_true(pod, "Ready")
            and not pod["metadata"].get("deletionTimestamp"))


def ready_replicas(obj: dict) -> int:
    status = obj.get("status", {})
    return status.get("numberReady", 0) if obj["kind"] == "DaemonSet" else status.get("readyReplicas", 0)


def node_roles(node: dict) -> set[str]:
    return {k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {})
            if k.startswith("node-role.kubernetes.io/")}


def running_longer_than(pod: dict, seconds: float) -> bool:
    """Whether the pod has been running for at least ``seconds`` (new pods get a grace period)."""
    stamp = pod.get("status", {}).get("startTime") or pod["metadata"]["creationTimestamp"]
    started = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (pod.get("status", {}).get("phase") == "Running"
            and dt.datetime.now(dt.timezone.utc) - started >= dt.timedelta(seconds=seconds))
