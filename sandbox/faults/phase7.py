"""Faults of phase 7 (GitOps).

There is no Argo CD controller in the sandbox: its Applications carry the status the controller writes
(sandbox/manifests/platform.py), and a stand-in for its application controller keeps that status current
(sandbox/services/gitops.py). A fault therefore writes what the controller would write when the thing breaks (an
Application that drifts), stops the stand-in as the controller stops, or does what an operator does (deploy by
hand). The Application CRD has no status subresource (``subresources: {}``), so a merge patch of the object writes
its status too.
"""
from __future__ import annotations

from typing import Callable

from sandbox.faults.fault import Expect, Fault, delete, merge_patch, start, stop
from sandbox.manifests import platform
from sandbox.run import kube
from sandbox.run.layout import Layout

ARGO = platform.GITOPS_NS
DRIFTED_APP, DRIFTED = "data-platform", ("Deployment", "data-platform", "superset")
UNMANAGED = "debug-toolbox"
CONTROLLER = "argocd-controller"    # the stand-in for Argo CD's application controller (sandbox/services/gitops.py)


def _drift(on: bool) -> Callable[[Layout], None]:
    kind, namespace, name = DRIFTED
    resource = {"group": "apps", "version": "v1", "kind": kind, "namespace": namespace, "name": name,
                "status": "OutOfSync" if on else "Synced", "health": {"status": "Healthy"}}
    return merge_patch("application", ARGO, DRIFTED_APP, {"status": {
        "sync": {"status": "OutOfSync" if on else "Synced", "revision": platform.GIT_REVISION},
        "resources": [resource]}})


def _unmanaged(layout: Layout) -> None:
    labels = {"app": UNMANAGED}
    kube.apply(layout, [{"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": UNMANAGED, "namespace": "data-platform", "labels": labels},
                         "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                             "metadata": {"labels": labels},
                             "spec": platform.pod_spec(platform.container(
                                 UNMANAGED, "registry.local/254carbon/toolbox:1.0", "50m", "64Mi", 8080))}}}])


FAULTS = [
    Fault("application-out-of-sync", "P7-SYNCED", f"argocd/{DRIFTED_APP}: {DRIFTED[0]} {DRIFTED[2]} drifted "
          "from git", _drift(True), _drift(False),
          Expect("application argocd/data-platform: OutOfSync at 4f2a9c1 (Deployment "
                 "data-platform/superset out of sync)", 30)),
    Fault("argocd-controller-stopped", "P7-SYNCED", "Argo CD's application controller stopped: every "
          "Application still says Synced and Healthy while its reconciledAt ages",
          stop(CONTROLLER), start(CONTROLLER),
          Expect("application argocd/data-platform: last reconciled", 90)),
    Fault("unmanaged-workload", "P7-NO-DRIFT", f"data-platform/{UNMANAGED} deployed by hand, outside any "
          "Application", _unmanaged,
          delete("deployment", "data-platform", UNMANAGED),
          Expect("Deployment data-platform/debug-toolbox: not managed by any Argo CD Application", 30)),
]
