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
    return ready.pods_of(obj, snapshot.items("pods", [obj["metadata"]["namespace"]]))


def node_roles(node: dict) -> set[str]:
    return {k.split("/", 1)[1] for k in (node["metadata"].get("labels") or {})
            if k.startswith("node-role.kubernetes.io/")}


def shortfall(obj: dict) -> str | None:
    """Why a workload is not fully available (scaled to zero, replicas not ready), or None."""
    desired, have = desired_replicas(obj), ready_replicas(obj)
    if desired == 0:
        return "scaled to zero replicas"
    if have < desired:
        return f"{have}/{desired} replicas ready"
    return None


def ready_endpoints(snapshot: Snapshot, namespace: str, service: str) -> list[str]:
    """The pods (or addresses) behind a Service's ready endpoints, from its EndpointSlices."""
    found = []
    for piece in snapshot.items("endpointslices"):
        meta = piece["metadata"]
        if meta.get("namespace") != namespace or (meta.get("labels") or {}).get(
                "kubernetes.io/service-name") != service:
            continue
        for endpoint in piece.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready"):
                found.append((endpoint.get("targetRef") or {}).get("name") or ",".join(endpoint.get("addresses", [])))
    return found


def platform_pod_specs(snapshot, namespaces: set[str]):
    """(kind, namespace, name, pod spec) of every workload template and bare pod in ``namespaces``."""
    for kind, plural in KIND_LIST.items():
        for obj in snapshot.items(plural):
            if obj["metadata"].get("namespace") in namespaces:
                yield kind, obj["metadata"]["namespace"], obj["metadata"]["name"], obj["spec"]["template"]["spec"]
    for pod in snapshot.items("pods", sorted(namespaces)):
        if not pod["metadata"].get("ownerReferences"):
            yield "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"], pod["spec"]
