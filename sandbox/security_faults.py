"""Phase 2 faults whose objects look fine: each breaks the platform the way it slips through a review in life."""
from __future__ import annotations

from sandbox import kube, platform
from sandbox.fault import Fault, apply, delete, kubectl
from sandbox.layout import Layout

NS = "data-platform"
PRIVILEGED_JOB = "adhoc-migration"
ALLOW_ALL = "allow-all"
SECRET_READER = "secret-reader"


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


SECURITY_FAULTS = [
    Fault("privileged-job-pod", "P2-POD-SECURITY", f"{NS}/{PRIVILEGED_JOB}: a privileged Job pod admitted while the "
          "namespace was relaxed, the namespace restricted again", _privileged_job_pod, _remove_privileged_job),
    Fault("netpol-allow-all", "P2-NETPOL", f"{NS}/{ALLOW_ALL}: a policy allowing all ingress beside the default deny",
          apply(_allow_all), delete("networkpolicy", NS, ALLOW_ALL)),
    Fault("rbac-group-secrets", "P2-RBAC", f"{NS}/{SECRET_READER}: secret reads bound to the group "
          f"system:serviceaccounts:{NS}", apply(_secret_reader),
          kubectl("-n", NS, "delete", "rolebinding,role", SECRET_READER, "--ignore-not-found")),
]
