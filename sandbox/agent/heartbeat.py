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

This runs in a thread of its own, every second, on a metadata-only list of the stopped nodes (empty while no
chaos runs) and every lease only each 30 s: however long the agent's other work takes at a large node count, a
stopped kubelet stays stopped, and a thousand nodes cost it nothing.
"""
from __future__ import annotations

import threading
import time

from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.manifests.platform import KWOK_MANAGED_LABEL
from sandbox.agent.rawapi import TIMEOUT_S, get_json, list_metadata

LEASE_NAMESPACE = "kube-node-lease"
STOPPED_HOLDER = "sandbox-kubelet-stopped"
HOLD_SECONDS = 24 * 3600
INTERVAL_S = 1.0
FULL_SCAN_S = 30.0


def sync_leases(api: client.ApiClient, held: set[str], full: bool) -> None:
    """Hold the lease of every simulated node whose kubelet is stopped, and give back those whose kubelet runs
    again. ``held``: the leases this agent holds, kept between rounds; ``full``: read every lease (the first
    round, and now and then), else only the stopped nodes (an empty list while no chaos runs)."""
    coordination = client.CoordinationV1Api(api)
    stopped = {n["metadata"]["name"] for n in list_metadata(
        api, "/api/v1/nodes", labelSelector=f"type=kwok,{KWOK_MANAGED_LABEL}!=true")}
    if full:
        leases = get_json(api, f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases")["items"] or []
        held.clear()
        held.update(l["metadata"]["name"] for l in leases if l["spec"].get("holderIdentity") == STOPPED_HOLDER)
    for name in sorted(stopped - held):
        try:
            coordination.patch_namespaced_lease(name, LEASE_NAMESPACE, {"spec": {
                "holderIdentity": STOPPED_HOLDER, "leaseDurationSeconds": HOLD_SECONDS}}, _request_timeout=TIMEOUT_S)
            held.add(name)
        except ApiException as exc:
            if exc.status != 404:       # no lease yet: the next round looks again
                raise
    for name in sorted(held - stopped):
        try:
            coordination.delete_namespaced_lease(name, LEASE_NAMESPACE, _request_timeout=TIMEOUT_S)
        except ApiException as exc:
            if exc.status != 404:
                raise
        held.discard(name)


def start(api: client.ApiClient) -> threading.Thread:
    def loop() -> None:
        held: set[str] = set()
        last_full = 0.0
        while True:
            full = time.monotonic() - last_full >= FULL_SCAN_S
            try:
                sync_leases(api, held, full)
                last_full = time.monotonic() if full else last_full
            except Exception as exc:  # keep holding; the next round retries
                print(f"agent: leases: {exc.__class__.__name__}: {exc}", flush=True)
            time.sleep(INTERVAL_S)
    thread = threading.Thread(target=loop, name="leases", daemon=True)
    thread.start()
    return thread
