"""Helpers the phase suites share to read workloads and their pods out of the snapshot."""
from __future__ import annotations

from fixtures.kube import Snapshot, by_ref
from readiness import ready
from readiness.profile import Workload
from readiness.rollout import rollout
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
    """Why a workload is not fully available, or None: it must want at least one pod, be rolled out as
    ``kubectl rollout status`` judges it, and have every desired replica available (readiness.rollout)."""
    if desired_replicas(obj) == 0:
        return ("runs on no node (desiredNumberScheduled 0)" if obj.get("kind") == "DaemonSet"
                else "scaled to zero replicas")
    state = rollout(obj)
    return None if state.done else state.why


def service_slices(snapshot: Snapshot, namespace: str, service: str) -> list[dict]:
    """The EndpointSlices of a Service."""
    return [piece for piece in snapshot.items("endpointslices") if piece["metadata"].get("namespace") == namespace
            and (piece["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == service]


def carries(piece: dict, port: dict) -> bool:
    """Whether an EndpointSlice's endpoints serve a Service port: the slice's ``ports`` name it (an unnamed
    Service port is the name ""), or one of them has no port number, which the API defines as every port; a
    slice with no ports defines none."""
    name = port.get("name") or ""
    return any((p.get("name") or "") == name or p.get("port") is None for p in piece.get("ports") or [])


def ready_endpoints(snapshot: Snapshot, namespace: str, service: str, port: dict | None = None) -> list[str]:
    """The pods (or addresses) behind a Service's endpoints that take traffic (on ``port``, a Service port, when
    given), from its EndpointSlices, each once (an endpoint may sit in two slices while they are rebalanced).
    Conditions by the API's meaning: ``ready`` and ``serving`` unset mean true, ``terminating`` unset means
    false. A Service publishing not-ready addresses marks every endpoint ready, so ``serving`` (the pod's own
    readiness) counts too; a terminating endpoint is on its way out."""
    found: dict[str, None] = {}
    for piece in service_slices(snapshot, namespace, service):
        if port is not None and not carries(piece, port):
            continue
        for endpoint in piece.get("endpoints") or []:
            conditions = endpoint.get("conditions") or {}
            if (conditions.get("ready") is not False and conditions.get("serving") is not False
                    and conditions.get("terminating") is not True):
                found[(endpoint.get("targetRef") or {}).get("name")
                      or ",".join(endpoint.get("addresses") or [])] = None
    return list(found)

