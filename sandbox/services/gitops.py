"""A stand-in for Argo CD's application controller: the sandbox's Applications' liveness, nothing more.

Argo CD cannot be built on these machines, so the sandbox writes its Applications with the status the
controller writes (sandbox/manifests/platform.py ``application``). What a running controller adds is that this status is
current: every ``timeout.reconciliation`` it compares each Application with git and stamps
``status.reconciledAt``, records what it compared (``status.sync.comparedTo``, from the spec), and finishes the
operations it runs. This process does that for the Applications of the ``argocd`` namespace, every few seconds
(Argo CD: 120 s plus jitter), so a stopped controller shows as it does in life: the status stays Synced and
Healthy while ``reconciledAt`` ages (the ``argocd-controller-stopped`` fault stops this process).

It does not compare with git or sync anything: the sync and health status and the resources stay as the sandbox
and its faults write them (a drifted Application stays OutOfSync). A Running operation is finished as Succeeded
and a Terminating one as Failed, as the controller's sync does. Each change is a JSON patch of the fields it
owns, through the Kubernetes client and the sandbox's kubeconfig (a kubectl process per Application every few
seconds would cost a tenth of a core on two shared cores).

    python -m sandbox.services.gitops --root STATE_DIR [--interval S]
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from kubernetes import client, config

from sandbox.run.layout import Layout
from sandbox.manifests.platform import GITOPS_NS, compared_to, stamp

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
TIMEOUT_S = 15
FINISHED = {"Running": ("Succeeded", "successfully synced (all tasks run)"),
            "Terminating": ("Failed", "Operation terminated")}


def refresh(app: dict, now: dt.datetime) -> list[dict]:
    """The JSON patch a reconciliation at ``now`` makes to ``app``."""
    status = app.get("status")
    if status is None:
        return [{"op": "add", "path": "/status", "value": {
            "reconciledAt": stamp(now), "controllerNamespace": GITOPS_NS,
            "sync": {"status": "Unknown", "comparedTo": compared_to(app.get("spec") or {})}}}]
    patch = [{"op": "add", "path": "/status/reconciledAt", "value": stamp(now)},
             {"op": "add", "path": "/status/controllerNamespace", "value": GITOPS_NS}]
    compared = compared_to(app.get("spec") or {})
    if "sync" in status:
        patch.append({"op": "add", "path": "/status/sync/comparedTo", "value": compared})
    else:
        patch.append({"op": "add", "path": "/status/sync", "value": {"status": "Unknown", "comparedTo": compared}})
    operation = status.get("operationState") or {}
    if operation.get("phase") in FINISHED:
        phase, message = FINISHED[operation["phase"]]
        patch += [{"op": "add", "path": "/status/operationState/phase", "value": phase},
                  {"op": "add", "path": "/status/operationState/message", "value": message},
                  {"op": "add", "path": "/status/operationState/finishedAt", "value": stamp(now)}]
    return patch


def one_round(api: client.CustomObjectsApi) -> tuple[int, list[str]]:
    """Reconcile every Application once: (how many there are, the patches refused, each named)."""
    apps = api.list_namespaced_custom_object(GROUP, VERSION, GITOPS_NS, PLURAL, _request_timeout=TIMEOUT_S)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    refused = []
    for app in apps.get("items") or []:
        name = app["metadata"]["name"]
        try:                            # changed since listed (a fault's patch): the next round sees it
            api.patch_namespaced_custom_object(GROUP, VERSION, GITOPS_NS, PLURAL, name, refresh(app, now),
                                               _request_timeout=TIMEOUT_S,
                                               _content_type="application/json-patch+json")
        except client.ApiException as exc:
            refused.append(f"{GITOPS_NS}/{name}: HTTP {exc.status} {exc.reason}")
    return len(apps.get("items") or []), refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    config.load_kube_config(str(Layout(args.root).kubeconfig))
    api, last_count = client.CustomObjectsApi(), None
    while True:
        try:
            count, refused = one_round(api)
            if count != last_count:
                print(f"argocd-controller: reconciling {count} Applications in {GITOPS_NS}", flush=True)
                last_count = count
            for line in refused:
                print(f"argocd-controller: not reconciled: {line}", flush=True)
        except Exception as exc:        # the API server restarting or slow: the next round tries again
            print(f"argocd-controller: round failed: {exc.__class__.__name__}: {exc}", flush=True)
            last_count = None
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
