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

This runs in a thread of its own, every second, on metadata-only lists: however long the agent's other work
takes at a large node count, a stopped kubelet stays stopped.
"""
from __future__ import annotations

import threading
import time

from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.components import KWOK_MANAGED_LABEL
from sandbox.rawapi import TIMEOUT_S, get_json, list_metadata

LEASE_NAMESPACE = "kube-node-lease"
STOPPED_HOLDER = "sandbox-kubelet-stopped"
HOLD_SECONDS = 24 * 3600
INTERVAL_S = 1.0


def simulated(labels: dict) -> bool:
    return labels.get("type") == "kwok"


def kubelet_running(labels: dict) -> bool:
    return labels.get(KWOK_MANAGED_LABEL) == "true"


def sync_leases(api: client.ApiClient) -> None:
    coordination = client.CoordinationV1Api(api)
    leases = {lease["metadata"]["name"]: lease
              for lease in get_json(api, f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases")["items"]}
    for node in list_metadata(api, "/api/v1/nodes"):
        labels, name = node["metadata"].get("labels") or {}, node["metadata"]["name"]
        if not simulated(labels):
            continue
        lease = leases.get(name)
        held_by_us = lease is not None and lease["spec"].get("holderIdentity") == STOPPED_HOLDER
        try:
            if not kubelet_running(labels) and lease is not None and not held_by_us:
                coordination.patch_namespaced_lease(name, LEASE_NAMESPACE, {"spec": {
                    "holderIdentity": STOPPED_HOLDER, "leaseDurationSeconds": HOLD_SECONDS}},
                    _request_timeout=TIMEOUT_S)
            elif kubelet_running(labels) and held_by_us:
                coordination.delete_namespaced_lease(name, LEASE_NAMESPACE, _request_timeout=TIMEOUT_S)
        except ApiException as exc:
            if exc.status not in (404, 409):       # gone or changed meanwhile: the next round looks again
                raise


def start(api: client.ApiClient) -> threading.Thread:
    def loop() -> None:
        while True:
            try:
                sync_leases(api)
            except Exception as exc:  # keep holding; the next round retries
                print(f"agent: leases: {exc.__class__.__name__}: {exc}", flush=True)
            time.sleep(INTERVAL_S)
    thread = threading.Thread(target=loop, name="leases", daemon=True)
    thread.start()
    return thread
