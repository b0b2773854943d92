"""Helpers the phase suites share to read workloads and their pods out of the snapshot."""
from __future__ import annotations

from fixtures.kube import Snapshot, by_ref
from readiness import ready
from readiness.profile import Workload
from readiness.ready import is_ready_pod, ready_replicas, desired_replicas, running_longer_than  # noqa: F401

KIND_LIST = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


def find_workload(snapshot: Snapshot, workload: Workload) -> dict | None:
    return by_ref(snapshot.items(KIND_LIST[workload.kind])).get(workload.ref)


def pods_of(snapshot: Snapshot, obj: dict) -> list[dict]:
    return ready.pods_of(obj, snapshot.items("pods"))


def node_roles(node: dict) -> set[str]:
    return {k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {})
            if k.startswith("node-role.kubernetes.io/")}
