"""A stopped simulated kubelet renews no lease.

A simulated node's kubelet runs while the node carries kwok's managed label. Removing the label should stop
kwok's heartbeat, but kwok v0.7.0 can take the node back: when its lease controller re-queues a node that has
left its (label-selected) cache, it lists the node by name alone, sees it as managed again and goes on
renewing its Lease (``nodeLeaseSyncWorker`` in ``pkg/kwok/controllers/controller.go``). The node then stays
Ready, and a node-failure test waits for ever on pods no controller will move.

So the agent makes a stopped kubelet's silence real: for a simulated node without the label, it takes the
node's Lease under a holder of its own, with the old renew time kept and a duration kwok must respect, so no
renewal happens and the node lifecycle controller sees the heartbeat stop. When the label is back, it deletes
that Lease; kwok creates a fresh one, as a restarted kubelet does.
"""
from __future__ import annotations

from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.components import KWOK_MANAGED_LABEL

LEASE_NAMESPACE = "kube-node-lease"
STOPPED_HOLDER = "sandbox-kubelet-stopped"
HOLD_SECONDS = 24 * 3600


def simulated(node: client.V1Node) -> bool:
    return (node.metadata.labels or {}).get("type") == "kwok"


def kubelet_running(node: client.V1Node) -> bool:
    return (node.metadata.labels or {}).get(KWOK_MANAGED_LABEL) == "true"


def sync_leases(coordination: client.CoordinationV1Api, nodes: list[client.V1Node]) -> None:
    leases = {lease.metadata.name: lease for lease in coordination.list_namespaced_lease(LEASE_NAMESPACE).items}
    for node in nodes:
        if not simulated(node):
            continue
        name = node.metadata.name
        lease = leases.get(name)
        held_by_us = lease is not None and lease.spec.holder_identity == STOPPED_HOLDER
        try:
            if not kubelet_running(node) and lease is not None and not held_by_us:
                coordination.patch_namespaced_lease(name, LEASE_NAMESPACE, {"spec": {
                    "holderIdentity": STOPPED_HOLDER, "leaseDurationSeconds": HOLD_SECONDS}})
            elif kubelet_running(node) and held_by_us:
                coordination.delete_namespaced_lease(name, LEASE_NAMESPACE)
        except ApiException as exc:
            if exc.status not in (404, 409):       # gone or changed meanwhile: the next round looks again
                raise
