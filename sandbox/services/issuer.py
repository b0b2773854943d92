"""The platform's certificate issuer: cert-manager's controllers with a CA ClusterIssuer.

cert-manager (v1.21.2, Apache-2.0) is built from its main module's controller registry (sandbox/build/cert_manager)
and runs outside the cluster against the sandbox API server with the kubeconfig, as Velero does. It issues each
Certificate into its Secret, renews it, and writes every status; the sandbox only does what an operator does: put
the platform CA's key pair in a Secret and apply the ClusterIssuer and the Certificates.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

from sandbox.manifests import platform
from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.run.pki import ensure_platform_ca
from sandbox.run.processes import ProcessSpec

NAMESPACE = "cert-manager"          # ClusterIssuers read their Secrets from cert-manager's own namespace
CA_SECRET = "platform-ca"


def spec(layout: Layout) -> ProcessSpec:
    return ProcessSpec("cert-manager", [str(layout.bin / "cert-manager-controller"),
                                        f"--kubeconfig={layout.kubeconfig}",
                                        f"--cluster-resource-namespace={NAMESPACE}"])


def ca_secret(crt: Path, key: Path) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": CA_SECRET, "namespace": NAMESPACE},
            "data": {"tls.crt": base64.b64encode(crt.read_bytes()).decode(),
                     "tls.key": base64.b64encode(key.read_bytes()).decode()}}


def objects(layout: Layout) -> list[dict]:
    """The CA's Secret and the ClusterIssuer that signs with it."""
    return [ca_secret(*ensure_platform_ca(layout.pki)),
            {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
             "metadata": {"name": platform.CLUSTER_ISSUER}, "spec": {"ca": {"secretName": CA_SECRET}}}]


def renew(layout: Layout, namespace: str, name: str) -> None:
    """What ``cmctl renew`` does: add the Issuing condition, which makes cert-manager issue the Certificate now."""
    issuing = {"type": "Issuing", "status": "True", "reason": "ManuallyTriggered",
               "message": "Certificate re-issuance manually triggered",
               "lastTransitionTime": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    kube.kubectl(layout, "-n", namespace, "patch", "certificate", name, "--subresource=status", "--type=json",
                 "-p", json.dumps([{"op": "add", "path": "/status/conditions/-", "value": issuing}]))


def not_ready_reason(cert: dict) -> str | None:
    """Why cert-manager has not issued ``cert`` for its current spec, or None once it has."""
    ready = [c for c in (cert.get("status") or {}).get("conditions", []) if c["type"] == "Ready"]
    if not ready:
        return "no Ready condition"
    if ready[0]["status"] != "True":
        return f"Ready={ready[0]['status']} ({ready[0].get('reason')})"
    if ready[0].get("observedGeneration") != cert["metadata"]["generation"]:
        return "Ready for an earlier spec"
    return None


def days_left(cert: dict) -> float | None:
    not_after = (cert.get("status") or {}).get("notAfter")
    if not not_after:
        return None
    when = dt.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return round((when - dt.datetime.now(dt.timezone.utc)).total_seconds() / 86400, 2)


def not_ready(layout: Layout) -> list[str]:
    """Every Certificate, in any namespace, that cert-manager has not issued for its current spec."""
    return [f"{c['metadata']['namespace']}/{c['metadata']['name']}"
            for c in kube.get_json(layout, "certificates", "-A")["items"] if not_ready_reason(c)]
