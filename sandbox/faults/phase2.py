"""Faults of phase 2 (security): each breaks the platform as it goes wrong in life, several of them the way it
slips through a review (the objects look fine)."""
from __future__ import annotations

import base64
import json
from typing import Callable

from sandbox.faults.fault import Expect, Fault, apply, delete, kubectl, wait_rollout
from sandbox.manifests import platform
from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.run.pki import served_dir, serving_pair
from sandbox.services import issuer
from sandbox.services.secrets_store import seal, unseal

NS = "data-platform"
PRIVILEGED = ("ingress-nginx", "ingress-nginx-controller")
ADMIN_BINDING = "superset-cluster-admin"
UNLISTED_IMAGE = ("mlflow", "docker.io/mlflow/mlflow:latest")
PRIVILEGED_JOB = "adhoc-migration"
ALLOW_ALL = "allow-all"
SECRET_READER = "secret-reader"
PORTAL_TLS = "portal-tls"
HAND_MADE = "portal-tls-by-hand"
ISSUE_WAIT_S = 60


def _portal_tls_for(duration: str | None, days_left: tuple[float, float]) -> Callable[[Layout], None]:
    """Set portal-tls's spec.duration (None: cert-manager's default, 90 days), as a values change does, renew it
    (a new duration applies from the next issuance), and wait until cert-manager has issued it again with
    ``days_left`` (low, high) to run."""
    def act(layout: Layout) -> None:
        kube.kubectl(layout, "-n", NS, "patch", "certificate", PORTAL_TLS, "--type=merge",
                     "-p", json.dumps({"spec": {"duration": duration}}))
        issuer.renew(layout, NS, PORTAL_TLS)

        def issued() -> tuple[bool, str]:
            cert = kube.get_json(layout, "-n", NS, "certificate", PORTAL_TLS)
            left = issuer.days_left(cert)
            done = left is not None and days_left[0] <= left <= days_left[1] and not issuer.not_ready_reason(cert)
            return done, f"{issuer.not_ready_reason(cert) or 'Ready'}, {left} days left"
        kube.wait_for(f"cert-manager to issue {NS}/{PORTAL_TLS} for {duration or 'its default duration'}",
                      issued, ISSUE_WAIT_S)
    return act


def _issuer_ready(layout: Layout) -> None:
    """Put the platform CA's Secret back and wait until the ClusterIssuer is Ready again."""
    kube.apply(layout, issuer.objects(layout))
    kube.kubectl(layout, "wait", "--for=condition=Ready", f"clusterissuer/{platform.CLUSTER_ISSUER}",
                 f"--timeout={ISSUE_WAIT_S}s")


def _privileged_job_pod(layout: Layout) -> None:
    """What happens in life: the namespace is relaxed "for a minute" to run a one-off privileged Job, then put
    back. Admission never re-checks the pod that is now running, so the namespace label looks right again."""
    kube.kubectl(layout, "label", "namespace", NS, f"{platform.PSA_ENFORCE}=privileged", "--overwrite")
    try:
        container = platform.container("migrate", "registry.local/254carbon/migrate:1.0", "100m", "128Mi", 8080)
        container["securityContext"] = {"privileged": True, "runAsUser": 0}
        # kwok completes a Job's pod a few seconds after it runs; a migration runs for an hour (kwok's own
        # per-pod run time annotations), so the privileged pod is still running when the gate looks
        long_run = {f"pod-complete.stage.kwok.x-k8s.io/{key}": "1h" for key in ("delay", "jitter-delay")}
        template = {"metadata": {"labels": {"app": PRIVILEGED_JOB}, "annotations": long_run},
                    "spec": platform.pod_spec(container, restartPolicy="Never")}
        kube.apply(layout, [{"apiVersion": "batch/v1", "kind": "Job",
                             "metadata": {"name": PRIVILEGED_JOB, "namespace": NS},
                             "spec": {"backoffLimit": 0, "template": template}}])
        kube.wait_for(f"a pod of job {NS}/{PRIVILEGED_JOB}", lambda: (
            bool(kube.get_json(layout, "pods", "-n", NS, "-l", f"app={PRIVILEGED_JOB}")["items"]), "no pod yet"), 60)
    finally:
        kube.kubectl(layout, "label", "namespace", NS, f"{platform.PSA_ENFORCE}=restricted", "--overwrite")


def _allow_all() -> list[dict]:
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": ALLOW_ALL, "namespace": NS}, "spec": {"podSelector": {}, "ingress": [{}]}}]


def _secret_reader() -> list[dict]:
    """A Role that reads secrets, bound to the group of every service account of the namespace (default too)."""
    rbac = "rbac.authorization.k8s.io"
    return [{"apiVersion": f"{rbac}/v1", "kind": "Role", "metadata": {"name": SECRET_READER, "namespace": NS},
             "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]},
            {"apiVersion": f"{rbac}/v1", "kind": "RoleBinding", "metadata": {"name": SECRET_READER, "namespace": NS},
             "roleRef": {"apiGroup": rbac, "kind": "Role", "name": SECRET_READER},
             "subjects": [{"apiGroup": rbac, "kind": "Group", "name": f"system:serviceaccounts:{NS}"}]}]


def _remove_privileged_job(layout: Layout) -> None:
    kube.kubectl(layout, "-n", NS, "delete", "job", PRIVILEGED_JOB, "--ignore-not-found", "--cascade=foreground",
                 "--timeout=60s")
    # a run killed while the namespace was relaxed left it so: put the label back too
    kube.kubectl(layout, "label", "namespace", NS, f"{platform.PSA_ENFORCE}=restricted", "--overwrite")


def _ingress_tls_secret(secret: str, days: int | None) -> Callable[[Layout], None]:
    """Point the portal Ingress's TLS at ``secret``; with ``days``, first make that Secret by hand (openssl, the
    platform CA, valid ``days``), as an operator does to serve "just for now"; without, delete the hand-made one.
    Waits until the edge serves the Secret's certificate."""
    host = platform.SERVED_HOSTS[0]

    def act(layout: Layout) -> None:
        if days is not None:
            cert, key = serving_pair(layout.pki, host, days)
            kube.apply(layout, [{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                                 "metadata": {"name": secret, "namespace": NS},
                                 "data": {"tls.crt": base64.b64encode(cert).decode(),
                                          "tls.key": base64.b64encode(key).decode()}}])
        kube.kubectl(layout, "-n", NS, "patch", "ingress", "portal", "--type=json", "-p", json.dumps(
            [{"op": "replace", "path": "/spec/tls/0/secretName", "value": secret}]))
        want = base64.b64decode(kube.get_json(layout, "-n", NS, "secret", secret)["data"]["tls.crt"])
        served = served_dir(layout.pki) / f"{host}.crt"
        kube.wait_for(f"the edge to serve {NS}/{secret} for {host}", lambda: (
            served.exists() and served.read_bytes() == want, "the previous certificate"), ISSUE_WAIT_S)
        if days is None:
            kube.kubectl(layout, "-n", NS, "delete", "secret", HAND_MADE, "--ignore-not-found")
    return act


def _privileged(on: bool) -> Callable[[Layout], None]:
    namespace, name = PRIVILEGED

    def act(layout: Layout) -> None:
        if on:       # what it takes in life: relax the namespace first, or admission rejects the pods
            kube.kubectl(layout, "label", "namespace", namespace, f"{platform.PSA_ENFORCE}=privileged", "--overwrite")
        context = {"privileged": True, "allowPrivilegeEscalation": True} if on else \
            {"privileged": None, "allowPrivilegeEscalation": False}
        kube.kubectl(layout, "-n", namespace, "patch", "deployment", name, "--type=strategic", "-p", json.dumps(
            {"spec": {"template": {"spec": {"containers": [{"name": name, "securityContext": context}]}}}}))
        wait_rollout(layout, namespace, f"deployment/{name}")
        if not on:
            kube.kubectl(layout, "label", "namespace", namespace, f"{platform.PSA_ENFORCE}=restricted", "--overwrite")
    return act


def _admin_binding(layout: Layout) -> None:
    kube.apply(layout, [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                         "metadata": {"name": ADMIN_BINDING},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                     "name": "cluster-admin"},
                         "subjects": [{"kind": "ServiceAccount", "name": "superset", "namespace": "data-platform"}]}])


def _image(image: str) -> Callable[[Layout], None]:
    name = UNLISTED_IMAGE[0]

    def act(layout: Layout) -> None:
        kube.kubectl(layout, "-n", "data-platform", "set", "image", f"deployment/{name}", f"{name}={image}")
        wait_rollout(layout, "data-platform", f"deployment/{name}")
    return act


def _default_deny(namespace: str) -> list[dict]:
    return [o for o in platform.policies(namespace) if o["metadata"]["name"] == "default-deny-ingress"]


FAULTS = [
    Fault("cert-expiring", "P2-CERTIFICATES", "data-platform/portal-tls's duration set to 120h: cert-manager "
          "issues it again for 5 days", _portal_tls_for("120h", (4.9, 5.1)), _portal_tls_for(None, (89, 91)),
          Expect("certificate data-platform/portal-tls: expires in 5.0 days", 30)),
    Fault("issuer-ca-deleted", "P2-CERTIFICATES", f"the Secret {issuer.NAMESPACE}/{issuer.CA_SECRET} of the "
          f"ClusterIssuer {platform.CLUSTER_ISSUER} deleted: it cannot sign a renewal",
          delete("secret", issuer.NAMESPACE, issuer.CA_SECRET), _issuer_ready,
          Expect(f"issuer ClusterIssuer/{platform.CLUSTER_ISSUER} Ready=False", 30)),
    Fault("served-cert-expiring", "P2-CERTIFICATES", f"{platform.SERVED_HOSTS[0]}: the Ingress serves a Secret "
          f"made by hand ({NS}/{HAND_MADE}), expiring in 5 days; every Certificate is fine",
          _ingress_tls_secret(HAND_MADE, 5), _ingress_tls_secret(PORTAL_TLS, None),
          Expect("served certificate portal.254carbon.com (127.0.0.1:18443): expires in", 30)),
    Fault("vault-sealed", "P2-SECRETS-STORE", "the secrets store sealed (vault operator seal)", seal, unseal,
          Expect("sealed (HTTP 503", 30)),
    Fault("netpol-missing", "P2-NETPOL", "vault-prod/default-deny-ingress deleted",
          delete("networkpolicy", "vault-prod", "default-deny-ingress"),
          apply(lambda: _default_deny("vault-prod")),
          Expect("namespace vault-prod: no default-deny ingress NetworkPolicy", 30)),
    Fault("netpol-allow-all", "P2-NETPOL", f"{NS}/{ALLOW_ALL}: a policy allowing all ingress beside the default deny",
          apply(_allow_all), delete("networkpolicy", NS, ALLOW_ALL),
          Expect("ingress open to everyone (policy allow-all rule 1: every peer (the rule names none)", 30)),
    Fault("privileged-container", "P2-POD-SECURITY", f"{PRIVILEGED[0]}: namespace relaxed to privileged and "
          f"{PRIVILEGED[1]} made privileged", _privileged(True), _privileged(False),
          Expect("Deployment ingress-nginx/ingress-nginx-controller: violates restricted: privileged "
                 "(container \"ingress-nginx-controller\" must not set securityContext.privileged=true)", 60)),
    Fault("privileged-job-pod", "P2-POD-SECURITY", f"{NS}/{PRIVILEGED_JOB}: a privileged Job pod admitted while the "
          "namespace was relaxed, the namespace restricted again", _privileged_job_pod, _remove_privileged_job,
          Expect("Job data-platform/adhoc-migration: violates restricted: privileged (container \"migrate\" "
                 "must not set securityContext.privileged=true)", 60)),
    Fault("admin-bound", "P2-RBAC", "cluster-admin bound to the service account data-platform/superset",
          _admin_binding, kubectl("delete", "clusterrolebinding", ADMIN_BINDING, "--ignore-not-found"),
          Expect("ServiceAccount data-platform/superset: may admin (* * in every namespace", 30)),
    Fault("rbac-group-secrets", "P2-RBAC", f"{NS}/{SECRET_READER}: secret reads bound to the group "
          f"system:serviceaccounts:{NS}", apply(_secret_reader),
          kubectl("-n", NS, "delete", "rolebinding,role", SECRET_READER, "--ignore-not-found"),
          Expect("ServiceAccount data-platform/default: may read-secrets (get secrets in namespace "
                 "data-platform", 30)),
    Fault("image-unlisted", "P2-IMAGES", f"data-platform/{UNLISTED_IMAGE[0]} runs {UNLISTED_IMAGE[1]}",
          _image(UNLISTED_IMAGE[1]), _image(f"registry.local/254carbon/{UNLISTED_IMAGE[0]}:1.0"),
          Expect("Deployment data-platform/mlflow container mlflow: image 'docker.io/mlflow/mlflow:latest': "
                 "registry docker.io is not allowed; tag latest", 60)),
]
