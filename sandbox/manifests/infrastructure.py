"""What phases 1 and 2 read, as a well-run cluster's own controllers would present it.

Cluster DNS (CoreDNS and the kube-dns Service), a default StorageClass with statically created volumes that the
real PV binder binds to the StatefulSets' claims, the Ingresses of the portal, Superset and DataHub with the
address their controller writes, the tunnel's credentials, RBAC for the monitoring operator, and the on-call
rotation's training attestations (P8-TEAM-TRAINED).
"""
from __future__ import annotations

import datetime as dt

import yaml

from sandbox.manifests.platform import _meta, container, pod_spec

KUBE_SYSTEM = "kube-system"
STORAGE_CLASS = "standard"
CLAIMS = {"postgresql": 2, "kafka": 3, "elasticsearch": 3}     # StatefulSet -> claims data-<name>-<i>
CLAIM_SIZE = "10Gi"
INGRESSES = {"portal": 8080, "superset": 8080, "datahub": 8080}
INGRESS_ADDRESS = "127.0.0.1"
TUNNEL_NS, TUNNEL_SECRET = "cloudflare-tunnel", "tunnel-credentials"
DOMAIN = "254carbon.com"


def dns() -> list[dict]:
    labels = {"k8s-app": "kube-dns"}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta("coredns", KUBE_SYSTEM, **labels),
         "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {
             "metadata": {"labels": labels, "annotations": {"kwok.x-k8s.io/usage-cpu": "5m"}},
             "spec": pod_spec(container("coredns", "registry.k8s.io/coredns/coredns:v1.12.0", "100m", "70Mi",
                                        53))}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta("kube-dns", KUBE_SYSTEM, **labels),
         "spec": {"selector": labels, "ports": [{"name": "dns-tcp", "port": 53, "protocol": "TCP",
                                                 "targetPort": 53}]}},
    ]


def storage() -> list[dict]:
    objs: list[dict] = [{
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": STORAGE_CLASS, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "Immediate",
        "reclaimPolicy": "Retain"}]
    for name, count in CLAIMS.items():
        for i in range(count):
            objs.append({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{name}-{i}"},
                         "spec": {"capacity": {"storage": CLAIM_SIZE}, "accessModes": ["ReadWriteOnce"],
                                  "storageClassName": STORAGE_CLASS, "persistentVolumeReclaimPolicy": "Retain",
                                  "hostPath": {"path": f"/var/lib/sandbox-volumes/{name}-{i}"}}})
            objs.append(claim(f"data-{name}-{i}", CLAIM_SIZE))
    return objs


def claim(name: str, size: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": _meta(name, "data-platform"),
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": STORAGE_CLASS,
                     "resources": {"requests": {"storage": size}}}}


def ingresses() -> tuple[list[dict], list[dict]]:
    """The Ingress objects, and the status their controller writes (applied to the status subresource)."""
    objs, statuses = [], []
    for name, port in INGRESSES.items():
        meta = _meta(name, "data-platform")
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
                     "spec": {"ingressClassName": "nginx",
                              "tls": [{"hosts": [f"{name}.{DOMAIN}"], "secretName": f"{name}-tls"}],
                              "rules": [{"host": f"{name}.{DOMAIN}", "http": {"paths": [{
                                  "path": "/", "pathType": "Prefix",
                                  "backend": {"service": {"name": name, "port": {"number": port}}}}]}}]}})
        statuses.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
                         "status": {"loadBalancer": {"ingress": [{"ip": INGRESS_ADDRESS}]}}})
    return objs, statuses


def tunnel_secret() -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(TUNNEL_SECRET, TUNNEL_NS),
            "type": "Opaque", "stringData": {"credentials.json": '{"AccountTag": "sandbox", "TunnelID": "sandbox"}'}}


def rbac() -> list[dict]:
    ns, name = "monitoring", "prometheus-operator"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, ns)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
         "rules": [{"apiGroups": ["monitoring.coreos.com"], "resources": ["*"], "verbs": ["*"]},
                   {"apiGroups": [""], "resources": ["services", "endpoints", "pods", "secrets", "configmaps"],
                    "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]},
    ]


DB_BACKUP = "postgresql-backup"
DB_BACKUP_DEADLINE_S = 30       # a backup Job that cannot finish in this time fails (DeadlineExceeded)


def db_backup() -> dict:
    """The database backup CronJob; the real CronJob and Job controllers run it, kwok completes its pods."""
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": _meta(DB_BACKUP, "data-platform",
                                                                           app=DB_BACKUP),
            "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                     "failedJobsHistoryLimit": 3, "jobTemplate": {"spec": {
                         "backoffLimit": 0, "activeDeadlineSeconds": DB_BACKUP_DEADLINE_S,
                         "template": {"metadata": {"labels": {"app": DB_BACKUP}}, "spec": pod_spec(
                             container("pg-dump", "registry.local/254carbon/pg-backup:1.0", "100m", "128Mi", 8080),
                             restartPolicy="Never")}}}}}


TRAINING = ("monitoring", "oncall-training")           # the ConfigMap of the sandbox profile's phase8.training
ON_CALL = ("alice", "bikram", "chen")


def training(expired: str | None = None) -> dict:
    """Training attestations of the on-call rotation, a month old and valid for a year; ``expired`` names one
    member whose attestation ran out yesterday."""
    today = dt.date.today()
    listed = [{"person": p, "trained_by": "dana", "runbooks": "docs/runbooks",
               "on": str(today - dt.timedelta(days=400 if p == expired else 30)),
               "expires": str(today - dt.timedelta(days=1) if p == expired else today + dt.timedelta(days=335))}
              for p in ON_CALL]
    namespace, name = TRAINING
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"attestations.yaml": yaml.safe_dump(listed, sort_keys=False)}}


def objects() -> list[dict]:
    """Every object of this module, Ingress statuses aside."""
    return dns() + storage() + ingresses()[0] + [tunnel_secret()] + rbac() + [db_backup(), training()]
