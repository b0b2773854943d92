"""The reference platform's Kubernetes objects, as the sandbox deploys them onto kwok nodes.

A miniature of the 254Carbon data platform: its 16 services with requests,
limits and anti-affinity, the HPAs and PDBs of the roadmap, quotas, limit
ranges, network policies, a log-agent DaemonSet and the custom resources that
later phases read, each with the status its controller would write.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sandbox.build.go import KUBERNETES, VELERO as VELERO_RELEASE

# The nodes kwok keeps alive; a failed node loses the label (sandbox/faults/phase3.py).
KWOK_MANAGED_LABEL = "sandbox.platform-readiness.io/kwok-managed"


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    kind: str = "Deployment"
    replicas: int = 2
    cpu: str = "500m"
    memory: str = "512Mi"
    usage_cpu: str = "150m"      # simulated steady-state use, read by kwok's ClusterResourceUsage
    port: int = 8080
    monitored: bool = True       # has a ServiceMonitor and a scrape job
    critical: bool = False       # has an alert rule of its own and counts for service HA


SERVICES = [
    Service("trino", "data-platform", critical=True),
    Service("superset", "data-platform", critical=True),
    Service("datahub", "data-platform", critical=True),
    Service("portal", "data-platform", cpu="250m", memory="256Mi", usage_cpu="50m", critical=True),
    Service("kafka", "data-platform", "StatefulSet", 3, memory="1Gi", port=9092, critical=True),
    Service("zookeeper", "data-platform", "StatefulSet", 3, cpu="250m", port=2181),
    Service("schema-registry", "data-platform", cpu="250m", usage_cpu="40m"),
    Service("elasticsearch", "data-platform", "StatefulSet", 3, memory="2Gi", port=9200, critical=True),
    Service("postgresql", "data-platform", "StatefulSet", 2, memory="1Gi", port=5432, critical=True),
    Service("redis", "data-platform", "StatefulSet", 2, cpu="250m", port=6379),
    Service("minio", "data-platform", "StatefulSet", 2, port=9000),
    Service("mlflow", "data-platform", cpu="250m", usage_cpu="30m"),
    Service("vault", "vault-prod", "StatefulSet", 3, cpu="250m", port=8200, critical=True),
    Service("cloudflared", "cloudflare-tunnel", cpu="100m", memory="128Mi", usage_cpu="10m", port=2000,
            critical=True),
    Service("ingress-nginx-controller", "ingress-nginx", cpu="250m", usage_cpu="40m", port=10254),
    Service("cert-manager", "cert-manager", cpu="100m", memory="128Mi", usage_cpu="5m", port=9402),
]
MONITORING_NS = "monitoring"
PLATFORM_NAMESPACES = sorted({s.namespace for s in SERVICES} | {MONITORING_NS})
HPAS = {"trino": (2, 5, 70), "superset": (2, 4, 75)}
PDBS = {"datahub": "datahub-pdb", "portal": "portal-pdb"}
CERTIFICATES = ["portal", "superset", "trino", "datahub", "grafana", "vault", "minio", "mlflow", "api"]
SERVED_HOSTS = [f"{name}.254carbon.com" for name in ("portal", "superset", "datahub")]   # behind the TLS edge
NODE_CPU, NODE_MEMORY, NODE_PODS = "16", "64Gi", "110"


def node(name: str, control_plane: bool = False) -> dict:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "type": "kwok", KWOK_MANAGED_LABEL: "true"}
    spec: dict = {}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    else:
        labels["node-role.kubernetes.io/worker"] = ""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels, "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "metrics.k8s.io/resource-metrics-path": f"/metrics/nodes/{name}/metrics/resource"}},
            "spec": spec,
            "status": {"allocatable": {"cpu": NODE_CPU, "memory": NODE_MEMORY, "pods": NODE_PODS},
                       "capacity": {"cpu": NODE_CPU, "memory": NODE_MEMORY, "pods": NODE_PODS},
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                     {"type": "Hostname", "address": name}],
                       # kwok keeps a kubelet version the node registers with (else it reports its own)
                       "nodeInfo": {"kubeletVersion": KUBERNETES, "kubeProxyVersion": KUBERNETES,
                                    "containerRuntimeVersion": "containerd://1.7.24", "operatingSystem": "linux",
                                    "architecture": "amd64"}}}


def nodes(workers: int) -> list[dict]:
    return [node("sandbox-control-plane", control_plane=True)] + [
        node(f"sandbox-worker-{i}") for i in range(1, workers + 1)]


def _meta(name: str, namespace: str | None = None, **labels: str) -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    return meta


# What Pod Security Admission's "restricted" level asks of every container.
RESTRICTED = {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
              "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def container(name: str, image: str, cpu: str, memory: str, port: int) -> dict:
    return {"name": name, "image": image, "ports": [{"name": "http", "containerPort": port}],
            "securityContext": dict(RESTRICTED),
            "resources": {"requests": {"cpu": cpu, "memory": memory},
                          "limits": {"cpu": cpu, "memory": memory}}}


# The Argo CD Application that deploys each namespace's workloads (its tracking label is on what it manages).
APP_OF_NAMESPACE = {"data-platform": "data-platform", "monitoring": "monitoring", "vault-prod": "vault",
                    "cloudflare-tunnel": "cloudflare-tunnel", "ingress-nginx": "ingress-nginx",
                    "cert-manager": "cert-manager"}
TRACKING_LABEL = "app.kubernetes.io/instance"


def pod_spec(*containers: dict, **fields) -> dict:
    """A pod spec that runs on the simulated (kwok) nodes, whose taint it tolerates."""
    return {"containers": list(containers), "nodeSelector": {"type": "kwok"},
            "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}], **fields}


def workload(svc: Service) -> list[dict]:
    labels = {"app.kubernetes.io/name": svc.name, "app": svc.name, "app.kubernetes.io/part-of": "254carbon",
              TRACKING_LABEL: APP_OF_NAMESPACE[svc.namespace]}
    template = {
        "metadata": {"labels": labels, "annotations": {"kwok.x-k8s.io/usage-cpu": svc.usage_cpu,
                                                       "kwok.x-k8s.io/usage-memory": "200Mi"}},
        "spec": pod_spec(
            container(svc.name, f"registry.local/254carbon/{svc.name}:1.0", svc.cpu, svc.memory, svc.port),
            affinity={"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                   "labelSelector": {"matchLabels": {"app": svc.name}}}}]}})}
    spec = {"replicas": svc.replicas, "selector": {"matchLabels": {"app": svc.name}}, "template": template}
    if svc.kind == "StatefulSet":
        spec["serviceName"] = svc.name
        spec["podManagementPolicy"] = "Parallel"
    objs = [{"apiVersion": "apps/v1", "kind": svc.kind, "metadata": _meta(svc.name, svc.namespace, **labels),
             "spec": spec},
            {"apiVersion": "v1", "kind": "Service", "metadata": _meta(svc.name, svc.namespace, **labels),
             "spec": {"selector": {"app": svc.name},
                      "ports": [{"name": "http", "port": svc.port, "targetPort": svc.port}]}}]
    if svc.monitored:
        objs.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                     "metadata": _meta(svc.name, svc.namespace, release="kube-prometheus-stack"),
                     "spec": {"selector": {"matchLabels": {"app": svc.name}},
                              "endpoints": [{"port": "http", "interval": "15s", "path": "/metrics"}]}})
    return objs


def monitoring_stack() -> list[dict]:
    ns = MONITORING_NS
    log_agent = {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": _meta("promtail", ns, app="promtail", **{TRACKING_LABEL: APP_OF_NAMESPACE[ns]}),
        "spec": {"selector": {"matchLabels": {"app": "promtail"}}, "template": {
            "metadata": {"labels": {"app": "promtail", "app.kubernetes.io/name": "promtail"}},
            "spec": {"containers": [{**container("promtail", "registry.local/grafana/promtail:2.2.1", "50m",
                                                  "64Mi", 3101),
                                     "volumeMounts": [{"name": "pods", "mountPath": "/var/log/pods",
                                                       "readOnly": True}]}],
                     # A log agent reads the node's log files: the one hostPath the profile exempts.
                     "volumes": [{"name": "pods", "hostPath": {"path": "/var/log/pods"}}],
                     "nodeSelector": {"type": "kwok"},
                     "tolerations": [{"operator": "Exists"}]}}}}
    operator = Service("prometheus-operator", ns, cpu="100m", memory="128Mi", usage_cpu="10m", replicas=1)
    return [log_agent, *workload(operator)[:2]]


def policies(namespace: str, daemon_pods: int = 0) -> list[dict]:
    """Quota, defaults and network policies of a platform namespace; a namespace that runs a DaemonSet has
    room for one of its pods per node, and a quarter more, on top (as a platform team sizes it for the cluster
    it runs on: P3-RESOURCES fails a quota used above 90%)."""
    room = -(-daemon_pods * 5 // 4)
    cpu, memory = f"{40_000 + 50 * room}m", f"{80 * 1024 + 64 * room}Mi"     # the log agent's requests
    return [
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta(f"{namespace}-quota", namespace),
         "spec": {"hard": {"requests.cpu": cpu, "requests.memory": memory, "limits.cpu": cpu,
                           "limits.memory": memory, "pods": str(100 + room)}}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta(f"{namespace}-limits", namespace),
         "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
                              "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": _meta("default-deny-ingress", namespace),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": _meta("allow-same-namespace", namespace),
         "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}},
    ]


def hpa(name: str, minimum: int, maximum: int, target: int) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(f"{name}-hpa", "data-platform"),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": minimum, "maxReplicas": maximum,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]}}


def pdb(app: str, name: str) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(name, "data-platform"),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}}


def alert_rules() -> dict:
    """A PrometheusRule object mirroring the rules the sandbox's Prometheus really loads."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": _meta("platform-alerts", MONITORING_NS, release="kube-prometheus-stack"),
            "spec": {"groups": [{"name": "platform-availability", "rules": [
                {"alert": "ServiceDown", "expr": 'up{tier="platform"} == 0', "for": "1m",
                 "labels": {"severity": "critical"}}]}]}}


CLUSTER_ISSUER = "platform-ca"         # cert-manager's CA ClusterIssuer (sandbox/services/issuer.py)


def certificates(namespace: str = "data-platform") -> list[dict]:
    """The platform's Certificates in ``namespace``, issued by the platform CA's ClusterIssuer for cert-manager's
    default 90 days."""
    return [{"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": _meta(f"{name}-tls", namespace),
             "spec": {"secretName": f"{name}-tls", "dnsNames": [f"{name}.254carbon.com"],
                      "issuerRef": {"name": CLUSTER_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"}}}
            for name in CERTIFICATES]


BACKUP_NS, GITOPS_NS = "velero", "argocd"
GIT_REVISION = "4f2a9c1"            # the GitOps repository's commit every Application is synced to
ARGO_APPS = ["data-platform", "monitoring", "vault", "cloudflare-tunnel", "ingress-nginx", "cert-manager"]


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


VELERO = "velero.io/v1"
# The platform's backups are taken by a real Velero (sandbox/services/backups.py), which writes every status:
# the sandbox applies only what an operator does, the location, its credentials and the schedules.
SCHEDULES = {"daily-platform": "0 2 * * *", "weekly-full": "0 3 * * 0"}
BACKUP_BUCKET, BACKUP_REGION = "254carbon-backups", "us-east-1"
CLOUD_CREDENTIALS = "cloud-credentials"       # the Secret (key ``cloud``) Velero's AWS plugin signs requests with
LOCATION_VALIDATION = "10s"                   # Velero validates the location this often (its default: 1m)


def backup_storage_location(s3_url: str) -> dict:
    return {"apiVersion": VELERO, "kind": "BackupStorageLocation", "metadata": _meta("default", BACKUP_NS),
            "spec": {"provider": "aws", "default": True, "accessMode": "ReadWrite",
                     "objectStorage": {"bucket": BACKUP_BUCKET},
                     "config": {"region": BACKUP_REGION, "s3ForcePathStyle": "true", "s3Url": s3_url},
                     "credential": {"name": CLOUD_CREDENTIALS, "key": "cloud"},
                     "validationFrequency": LOCATION_VALIDATION}}


def cloud_credentials(access_key: str, secret_key: str) -> dict:
    """The AWS shared-credentials file Velero's AWS plugin reads, as ``velero install --secret-file`` stores it."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(CLOUD_CREDENTIALS, BACKUP_NS),
            "type": "Opaque", "stringData": {"cloud": f"[default]\naws_access_key_id={access_key}\n"
                                                      f"aws_secret_access_key={secret_key}\n"}}


def schedule_template() -> dict:
    return {"includedNamespaces": list(PLATFORM_NAMESPACES), "ttl": "720h0m0s"}


def schedule(name: str) -> dict:
    return {"apiVersion": VELERO, "kind": "Schedule", "metadata": _meta(name, BACKUP_NS),
            "spec": {"schedule": SCHEDULES[name], "template": schedule_template()}}


def velero_server() -> dict:
    """The Deployment ``velero install`` creates. The server itself runs outside the cluster, as a sandbox process
    (kwok runs no containers); Velero reads this Deployment for its image when it restores."""
    labels = {"component": "velero", "deploy": "velero"}
    spec = pod_spec(container("velero", f"velero/velero:{VELERO_RELEASE}", "500m", "128Mi", 8085))
    spec["containers"][0]["args"] = ["server", "--uploader-type=kopia", "--default-volumes-to-fs-backup"]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta("velero", BACKUP_NS, **labels),
            "spec": {"replicas": 1, "selector": {"matchLabels": {"deploy": "velero"}},
                     "template": {"metadata": {"labels": labels}, "spec": spec}}}


DRILL_MODIFIERS = "restore-drill-scaled-to-zero"


def drill_modifiers(namespace: str) -> dict:
    """Velero resource modifiers (``velero restore create --resource-modifier-configmap``) the restore drill uses:
    the restored copies of ``namespace``'s Deployments and StatefulSets get 0 replicas and its CronJobs are
    suspended, so a drill restores the objects without running a second platform against the live one's data
    stores. Velero matches a rule's namespaces before it maps them (restore.go applies modifiers, then the
    namespace mapping)."""
    patches = {"deployments.apps": ("/spec/replicas", "0"), "statefulsets.apps": ("/spec/replicas", "0"),
               "cronjobs.batch": ("/spec/suspend", "true")}
    rules = [{"conditions": {"groupResource": resource, "namespaces": [namespace]},
              "patches": [{"operation": "add", "path": path, "value": value}]}
             for resource, (path, value) in patches.items()]
    modifiers = {"version": "v1", "resourceModifierRules": rules}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(DRILL_MODIFIERS, BACKUP_NS),
            "data": {"modifiers.yaml": json.dumps(modifiers)}}


def velero_objects(s3_url: str, access_key: str, secret_key: str, drilled: str) -> list[dict]:
    """What an operator applies after ``velero install``: the credentials, the location, the schedules and the
    restore drill's resource modifiers (for ``drilled``)."""
    return [cloud_credentials(access_key, secret_key), backup_storage_location(s3_url), velero_server(),
            *(schedule(name) for name in SCHEDULES), drill_modifiers(drilled)]


def compared_to(spec: dict) -> dict:
    """What Argo CD's controller records as compared (ApplicationSpec.BuildComparedToStatus): the destination,
    the ignored differences, and the sources, or the one source (a source hydrator's sync source)."""
    compared = {"destination": spec.get("destination") or {}}
    if spec.get("ignoreDifferences"):
        compared["ignoreDifferences"] = spec["ignoreDifferences"]
    if spec.get("sources") and not spec.get("sourceHydrator"):
        compared["sources"] = spec["sources"]
    elif spec.get("sourceHydrator"):
        hydrator = spec["sourceHydrator"]
        sync, dry = hydrator.get("syncSource") or {}, hydrator.get("drySource") or {}
        compared["source"] = {"repoURL": sync.get("repoURL") or dry.get("repoURL"), "path": sync.get("path"),
                              "targetRevision": sync.get("targetBranch")}
    else:
        compared["source"] = spec.get("source") or {}
    return compared


def application(app: str, now: dt.datetime) -> dict:
    """The Application deploying ``app``'s namespace, with the status Argo CD's controller writes after a
    successful automated sync and its last comparison at ``now``."""
    spec = {"project": "default", "destination": {"server": "https://kubernetes.default.svc", "namespace": app},
            "source": {"repoURL": "https://git.254carbon.local/platform/deploy.git", "path": f"apps/{app}",
                       "targetRevision": "main"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": _meta(app, GITOPS_NS),
            "spec": spec,
            "status": {"sync": {"status": "Synced", "revision": GIT_REVISION, "comparedTo": compared_to(spec)},
                       "health": {"status": "Healthy"}, "reconciledAt": stamp(now),
                       "controllerNamespace": GITOPS_NS,
                       "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)",
                                          "operation": {"sync": {"revision": GIT_REVISION},
                                                        "initiatedBy": {"automated": True}},
                                          "syncResult": {"revision": GIT_REVISION, "source": spec["source"]},
                                          "startedAt": stamp(now - dt.timedelta(minutes=2)),
                                          "finishedAt": stamp(now)}}}


def gitops(now: dt.datetime) -> list[dict]:
    """Argo CD's Applications with the status its controller writes (Argo CD cannot be built here: a stand-in,
    sandbox/services/gitops.py, keeps it current; the CRD has no status subresource)."""
    return [application(app, now) for app in ARGO_APPS]


PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_LEVELS = {MONITORING_NS: "privileged"}      # the log agent's hostPath needs it; the profile exempts it


def namespaces() -> list[dict]:
    return [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": _meta(ns, None, **{"platform": "254carbon", PSA_ENFORCE: PSA_LEVELS.get(ns, "restricted")})}
            for ns in PLATFORM_NAMESPACES] + [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns)} for ns in (BACKUP_NS, GITOPS_NS)]


def platform_objects(workers: int = 3) -> list[dict]:
    objs: list[dict] = namespaces()
    for ns in PLATFORM_NAMESPACES:
        objs += policies(ns, workers + 1 if ns == MONITORING_NS else 0)
    for svc in SERVICES:
        objs += workload(svc)
    objs += monitoring_stack()
    objs += [hpa(n, *v) for n, v in HPAS.items()]
    objs += [pdb(app, name) for app, name in PDBS.items()]
    objs.append(alert_rules())
    return objs
