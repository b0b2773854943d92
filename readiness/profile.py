"""The profile: every expectation of the suite (names, thresholds, receivers), validated on load.

A wrong key or type is reported as one line naming the file, the line and the fix::

    profiles/x.yaml:42: phase3.hpas[0].max_replicas: Input should be a valid integer (got 'five')
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator,
                      model_validator)

from readiness.pod_security import CONTROLS
from readiness.timing import prom_duration_s

Severity = Literal["blocker", "critical", "normal", "minor"]
SEVERITIES: tuple[Severity, ...] = ("blocker", "critical", "normal", "minor")    # most severe first


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Workload(Strict):
    namespace: str
    name: str
    kind: Literal["Deployment", "StatefulSet", "DaemonSet"] = "Deployment"
    critical: bool = False

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


class Endpoints(Strict):
    prometheus: str | None = None
    alertmanager: str | None = None
    loki: str | None = None
    grafana: str | None = None
    vault: str | None = None


ENDPOINTS: tuple[str, ...] = tuple(Endpoints.model_fields)     # the monitoring endpoints, in the order shown


class Platform(Strict):
    namespaces: list[str] = Field(min_length=1)
    workloads: list[Workload] = Field(min_length=1)

    @property
    def critical(self) -> list[Workload]:
        return [w for w in self.workloads if w.critical]


class Nodes(Strict):
    min_ready_workers: int = Field(3, ge=1)
    control_plane_label: str = "node-role.kubernetes.io/control-plane"


class Hpa(Strict):
    namespace: str
    name: str
    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1)
    cpu_target_percent: int = Field(ge=1, le=1000)
    target_kind: str = "Deployment"
    target_name: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


class Ref(Strict):
    namespace: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


class NodeFailure(Strict):
    recovery_deadline_s: int = Field(240, ge=10)
    sample_interval_s: float = Field(2.0, gt=0)
    drain_deadline_s: int = Field(120, ge=10)
    # P3-DRAIN drains at most this many workers: the riskiest half first, then a sample of the others that
    # changes daily (every worker over the days). None: every worker, one after another.
    max_drains: int | None = Field(None, ge=1)


class Phase3(Strict):
    nodes: Nodes = Nodes()
    hpas: list[Hpa] = []
    pdbs: list[Ref] = []
    quota_max_used_percent: int = Field(90, ge=1, le=100)
    metrics_grace_s: int = Field(150, ge=0)    # pods running for less than this may not have metrics yet
    node_failure: NodeFailure = NodeFailure()


class Operator(Strict):
    crds: list[str] = ["servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com",
                       "prometheusrules.monitoring.coreos.com", "alertmanagers.monitoring.coreos.com"]
    deployment: Ref


class MonitoredService(Strict):
    namespace: str
    name: str
    job: str | None = None     # the job label Prometheus gives its targets (default: the service name)

    @property
    def job_name(self) -> str:
        return self.job or self.name


class Targets(Strict):
    minimum_up: int = Field(15, ge=1)
    required_jobs: list[str] = []


Comparison = Literal["==", "!=", ">=", ">", "<=", "<"]


class Exporter(Strict):
    """An exporter, and the reading of its backend that means healthy: ``metric op value`` on every target of
    its job (e.g. ``pg_up == 1``, ``kafka_brokers >= 3``). A target without the series fails."""
    name: str
    job: str
    metric: str
    labels: dict[str, str] = {}     # label matchers of the series, e.g. {color: green}
    op: Comparison
    value: float

    @property
    def selector(self) -> str:
        matchers = [f'job="{self.job}"'] + [f'{k}="{v}"' for k, v in self.labels.items()]
        return f"{self.metric}{{{','.join(matchers)}}}"

    @property
    def expectation(self) -> str:
        shown = self.metric + (f"{{{','.join(f'{k}={v!r}' for k, v in self.labels.items())}}}" if self.labels else "")
        return f"{shown} {self.op} {self.value:g}"


class Loki(Strict):
    namespaces: list[str] | None = None    # default: the platform's namespaces
    lookback_s: int = Field(900, ge=10)
    new_pod_grace_s: int = Field(120, ge=0)    # pods running for less than this are not expected to have logs yet
    pod_label: str = "pod"
    namespace_label: str = "namespace"
    container_label: str = "container"
    # Loki refuses a query that would answer more series than its max_query_series (500 by default): the
    # containers are asked for in queries of at most this many.
    max_series_per_query: int = Field(250, ge=1)


class RoutingCase(Strict):
    name: str
    labels: dict[str, str]
    receivers: list[str] = Field(min_length=1)


class Alerting(Strict):
    critical_rule_label: str = "service"   # an alert rule names the service it covers with this label
    routing: list[RoutingCase] = []
    integrations: list[Literal["email", "pagerduty", "slack", "webhook", "opsgenie"]] = [
        "email", "pagerduty", "slack"]
    failed_notifications_lookback_s: int = Field(900, ge=10)
    delivery_labels: dict[str, str] = {"severity": "critical"}
    delivery_receivers: list[str] = []
    delivery_deadline_s: int = Field(60, ge=5)
    sinks_url: str | None = None           # where delivered notifications can be observed (the sandbox)


class Dashboards(Strict):
    minimum: int = Field(6, ge=1)          # reference platform: 6
    required: list[str] = []               # dashboard uids
    datasources: list[str] = ["prometheus", "loki"]  # datasource types that must be healthy


class Slo(Strict):
    """The SLO recording rule (an availability ratio per service, 0 to 1) and the raw series it reads: both must
    be current for each critical service."""
    record: str = "slo:service_availability:ratio_rate5m"
    series: str = 'probe_success{job="service-probes"}'   # what the rule reads (its expression's selector)
    service_label: str = "service"
    dashboard: str = "slo-tracking"


class Phase4(Strict):
    operator: Operator
    monitored_services: list[MonitoredService] = []
    targets: Targets = Targets()
    exporters: list[Exporter] = []
    loki: Loki = Loki()
    log_agent: Ref
    alerting: Alerting = Alerting()
    dashboards: Dashboards = Dashboards()
    slo: Slo = Slo()


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MINOR = re.compile(r"^1\.\d+$")


class KubernetesVersion(Strict):
    minimum: str = "1.27"                  # reference platform: "Kubernetes 1.27+"
    end_of_support: dict[str, dt.date] = {}   # minor ("1.33") -> the day its upstream support ends
    max_kubelet_skew: int = Field(3, ge=0, le=3)   # minors a kubelet may lag the API server (upstream policy)

    @field_validator("minimum")
    @classmethod
    def _minor(cls, value: str) -> str:
        if not MINOR.match(value):
            raise ValueError(f"expected a minor version such as '1.27', got {value!r}")
        return value

    @field_validator("end_of_support")
    @classmethod
    def _minors(cls, value: dict) -> dict:
        bad = [k for k in value if not MINOR.match(str(k))]
        if bad:
            raise ValueError(f"keys must be minor versions such as '1.33', got {bad}")
        return value


class NodeHealth(Strict):
    allowed_cordoned: dict[str, Reason] = {}      # node name -> why it may be cordoned
    # A kubelet with a node lease still posts its status at least every nodeStatusReportFrequency (5 minutes by
    # default); the node lifecycle controller gives it node-monitor-grace-period (50 s) more.
    max_heartbeat_age_s: int = Field(360, ge=60)


SYSTEM_NAMESPACE = "kube-system"


class SystemExemption(Strict):
    namespace: str
    name: str
    # a Pod: one no workload controller runs (a static pod's mirror, named <name>-<node>, or a bare pod)
    kind: Literal["Deployment", "StatefulSet", "DaemonSet", "Pod"] = "Deployment"
    reason: Reason                         # why it may be unavailable (a workload is never left out silently)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


class System(Strict):
    dns: Ref = Ref(namespace=SYSTEM_NAMESPACE, name="coredns")          # the DNS Deployment
    dns_service: Ref = Ref(namespace=SYSTEM_NAMESPACE, name="kube-dns")
    metrics_apiservice: str = "v1beta1.metrics.k8s.io"
    # Every Deployment, StatefulSet and DaemonSet of kube-system is judged; these namespaces too (a CNI's own
    # namespace, such as calico-system)
    extra_namespaces: list[str] = []
    workloads: list[Workload] = []         # workloads that must exist (and be available), wherever they are
    exempt: list[SystemExemption] = []     # judged workloads (or static pods) that may be unavailable, with why

    @property
    def namespaces(self) -> list[str]:
        return [SYSTEM_NAMESPACE, *(n for n in self.extra_namespaces if n != SYSTEM_NAMESPACE)]

    @model_validator(mode="after")
    def _exemptions_are_of_judged_workloads(self) -> "System":
        required = {(w.kind, w.ref) for w in self.workloads} | {("Deployment", self.dns.ref)}
        for e in self.exempt:
            if (e.kind, e.ref) in required:
                raise ValueError(f"{e.kind} {e.ref} is both required and exempt")
            if e.namespace not in self.namespaces:
                raise ValueError(f"exempt {e.kind} {e.ref}: namespace {e.namespace} is not judged (kube-system "
                                 "or extra_namespaces), so there is nothing to exempt")
        return self


class Services(Strict):
    min_health_percent: float = Field(99.0, gt=0, le=100)   # ready of desired replicas, platform-wide


class Storage(Strict):
    max_failed_or_released_pvs: int = Field(0, ge=0)


class Tunnel(Strict):
    deployment: Ref = Ref(namespace="cloudflare-tunnel", name="cloudflared")
    metric: str = "cloudflared_tunnel_ha_connections"
    job: str = "cloudflared"               # the Prometheus job of the tunnel's metrics endpoint
    pod_label: str = "pod"                 # the label of its series (and up) holding each connector's pod name
    min_connections: int = Field(4, ge=1)  # per connector; cloudflared opens 4 by default


class Ingress(Strict):
    tunnel: Tunnel = Tunnel()
    ingresses: list[Ref] = []


class Events(Strict):
    lookback_s: int = Field(3600, ge=10)
    reasons: list[str] = Field(["FailedScheduling", "BackOff", "OOMKilling", "FailedMount", "Unhealthy", "Evicted",
                                "FailedCreate", "FailedAttachVolume"], min_length=1)
    max_restarts: int = Field(3, ge=0)     # container restarts allowed within the lookback


class Phase1(Strict):
    kubernetes: KubernetesVersion = KubernetesVersion()
    nodes: NodeHealth = NodeHealth()
    system: System = System()
    services: Services = Services()
    storage: Storage = Storage()
    ingress: Ingress = Ingress()
    events: Events = Events()


class ServedCertificate(Strict):
    host: str                              # the name the certificate must be valid for (sent as SNI)
    address: str | None = None             # host:port to connect to (default: host:443)

    @property
    def connect(self) -> tuple[str, int]:
        host, _, port = (self.address or f"{self.host}:443").rpartition(":")
        return host, int(port)

    @property
    def ref(self) -> str:
        return self.host


class Certificates(Strict):
    minimum: int = Field(9, ge=1)          # reference platform: 9 certificates
    # every certificate, served chains too; a platform on short-lived certificates (days, renewed daily) sets
    # fewer days than their lifetime, as the criterion cannot tell a short lifetime from a renewal gone wrong
    min_days_left: int = Field(14, ge=0)
    served: list[ServedCertificate] = []   # endpoints whose served chain is checked with a TLS handshake
    ca_bundle: str | None = None           # PEM file of trusted roots (default: the system's)


class SecretsStore(Strict):
    standby_ok: bool = True                # a standby node (429) counts as healthy in an HA cluster


class Exemption(Strict):
    namespace: str
    name: str                              # workload name
    reason: Reason


PsaLevel = Literal["privileged", "baseline", "restricted"]


class PsaExemption(Strict):
    """One Pod Security control a workload may fail, with the reason (one entry per control)."""
    namespace: str
    kind: str                              # the workload at the top of its pods' owner chain: DaemonSet, ...
    name: str
    control: str                           # an upstream check ID, e.g. hostPathVolumes, runAsNonRoot
    reason: Reason

    @field_validator("control")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CONTROLS:
            raise ValueError(f"unknown Pod Security control {value!r}; expected one of {', '.join(sorted(CONTROLS))}")
        return value


class PodSecurity(Strict):
    level: Literal["baseline", "restricted"] = "restricted"   # every platform pod is judged at this level
    namespace_levels: dict[str, PsaLevel] = {}   # the enforce label a namespace needs, if lower (a log agent's)
    exemptions: list[PsaExemption] = []


class Subject(Strict):
    kind: Literal["User", "Group", "ServiceAccount"]
    name: str
    namespace: str | None = None
    reason: Reason


RbacPower = Literal["admin", "read-secrets-everywhere", "read-secrets-elsewhere", "read-secrets", "write-secrets",
                   "exec", "create-pods", "escalate", "bind", "impersonate", "create-tokens"]


class Permission(Strict):
    """A platform service account allowed one of the powers P2-RBAC asks about, with the reason."""
    namespace: str
    name: str                              # the service account
    may: list[RbacPower] = Field(min_length=1)
    reason: Reason

    @model_validator(mode="after")
    def _not_default(self) -> "Permission":
        if self.name == "default":
            raise ValueError(f"{self.namespace}/default: a namespace's default service account is used by every pod "
                             "that names none, so it may not be given powers; give the workload its own account")
        return self


class Rbac(Strict):
    admin_subjects: list[Subject] = [Subject(kind="Group", name="system:masters",
                                             reason="kubeadm's break-glass administrators")]
    allowed: list[Permission] = []


class Images(Strict):
    allowed_registries: list[str] = []     # registry hosts (and optional path prefixes) images may come from
    require_digest: bool = False           # images pinned by @sha256 digest


class OpenTraffic(Strict):
    """A workload a NetworkPolicy may open to every source (ingress) or destination (egress), with the reason."""
    namespace: str
    kind: str                              # the workload at the top of its pods' owner chain: Deployment, ...
    name: str
    direction: Literal["ingress", "egress"] = "ingress"
    reason: Reason


class NetworkPolicies(Strict):
    egress: bool = False                   # also require every pod isolated for egress, open nowhere
    open: list[OpenTraffic] = []


class Phase2(Strict):
    certificates: Certificates = Certificates()
    network_policies: NetworkPolicies = NetworkPolicies()
    secrets_store: SecretsStore = SecretsStore()
    pod_security: PodSecurity = PodSecurity()
    rbac: Rbac = Rbac()
    images: Images = Images()


class Phase5(Strict):
    namespaces: list[str] | None = None           # to be covered by backup schedules (default: the platform's)
    location_max_age_s: int = Field(3600, ge=60)  # a storage location validated at most this long ago
    min_ttl_hours: float = Field(720, gt=0)       # backups kept at least this long (30 days)
    backup_max_age_s: int = Field(86400, ge=60)   # each namespace's newest whole backup completed within this
    restore_max_age_days: float = Field(30, gt=0)  # a restore from a scheduled backup completed within this
    excludable_resources: list[str] = []          # a backup or restore test may leave these out (e.g. events) and
    #                                              still take a namespace whole; Velero's own exclusions always may
    reviewed_resource_policies: list[str] = []    # Velero resource-policy ConfigMaps (names, in Velero's namespace)
    #                                              reviewed as leaving nothing of the platform out
    db_backups: list[Ref] = []                     # database backup CronJobs
    db_backup_max_age_s: int = Field(86400, ge=60)  # each one's last successful Job finished within this


class Phase7(Strict):
    projects: list[str] = ["default"]              # Argo CD projects whose Applications are checked
    # The application controller compares every Application each timeout.reconciliation (120 s in Argo CD 3) plus
    # up to timeout.reconciliation.jitter (60 s): 180 s at most. 600 s leaves a busy controller three more rounds;
    # an older status.reconciledAt means it stopped. Raise it with timeout.reconciliation (0s: webhooks only).
    max_reconcile_age_s: int = Field(600, ge=1)
    max_sync_running_s: int = Field(1800, ge=1)    # a sync running longer waits on something (no timeout by default)
    require_prune: bool = True
    require_self_heal: bool = True
    tracking_method: Literal["annotation", "label", "annotation+label"] = "annotation"
    # argocd-cm's application.resourceTrackingMethod (annotation when unset, Argo CD 3)
    namespace: str = "argocd"                      # Argo CD's own namespace: Applications elsewhere are tracked as
    #                                                <namespace>_<name>
    unmanaged: list[Exemption] = []                # workloads allowed outside GitOps, each with a reason


def _prom_window(value: str) -> str:
    if not prom_duration_s(value):
        raise ValueError(f"expected a Prometheus duration such as 90s, 1h or 30d, got {value!r}")
    return value


PromWindow = Annotated[str, AfterValidator(_prom_window)]


class ApiLatency(Strict):
    """Kubernetes' API call latency SLO (as its scalability tests measure it): per resource and verb, the
    quantile of non-streaming requests over the window, bounded by the kind of call."""
    selector: str = '{job="apiserver"}'           # the API server's series (the label set of its scrape job)
    window: PromWindow = "1h"                     # PromQL range
    quantile: float = Field(0.99, gt=0, lt=1)
    mutating_s: float = Field(1.0, gt=0)          # POST, PUT, PATCH, DELETE of one object
    read_s: float = Field(1.0, gt=0)              # GET of one object
    namespace_list_s: float = Field(5.0, gt=0)    # LIST within a namespace
    cluster_list_s: float = Field(30.0, gt=0)     # LIST across the cluster


class Saturation(Strict):
    node_cpu_max: float = Field(0.8, gt=0, le=1)      # share of a node's allocatable CPU in use
    node_memory_max: float = Field(0.85, gt=0, le=1)  # share of its allocatable memory
    hpa_at_max_s: int = Field(1800, ge=0)             # an HPA may want more than its maxReplicas this long
    oom_window_s: int = Field(3600, ge=60)            # no container OOM-killed (no pod evicted) within this
    max_metrics_age_s: int = Field(180, ge=1)         # node usage from metrics.k8s.io older than this: broken
    pending_max_s: int = Field(600, ge=0)             # a pod may wait this long for a node with room for it


class Threshold(Strict):
    """A PromQL query with a bound: every series it returns must be within it, on current data.

    ``series`` is the raw series the query reads: its newest sample must be recent (prometheus.max_sample_age_s).
    With ``per``, the query answers one series per value of that label, and each of ``expected`` (or, when
    none are listed, each value the raw series carries) must have an answer. A NaN answer (0/0: nothing counted
    in the window) is "no traffic", not a violation, only where ``requests`` (a query by the same labels)
    shows no requests; anywhere else it is broken, since a histogram without its +Inf bucket answers NaN too."""
    name: str
    query: str
    series: str
    per: str | None = None
    expected: list[str] = []
    requests: str | None = None
    max: float | None = None
    min: float | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _bounded(self) -> "Threshold":
        if self.max is None and self.min is None:
            raise ValueError(f"threshold {self.name!r}: give max, min or both")
        return self


class Benchmark(Strict):
    """The latest load-test result: when it was produced (a Prometheus series of Unix times, such as the
    Pushgateway's push_time_seconds) and what it measured."""
    timestamp_query: str                        # a series selector: its value is the result's Unix time
    max_age_s: int = Field(7 * 86400, ge=60)
    thresholds: list[Threshold] = Field(min_length=1)


class PrometheusData(Strict):
    """How current the samples a Prometheus-based check judges must be."""
    max_sample_age_s: int = Field(120, ge=1)     # a few scrape intervals: older data is not judged (broken)


class Phase6(Strict):
    api_latency: ApiLatency = ApiLatency()
    saturation: Saturation = Saturation()
    service_latency: list[Threshold] = []
    benchmark: Benchmark | None = None


class Availability(Strict):
    """Availability of each critical service over a long window, as its probes saw it."""
    series: str = 'probe_success{job="service-probes"}'   # 1 when a probe succeeded, 0 when not
    service_label: str = "service"
    window: PromWindow = "30d"                             # or as much of it as Prometheus retains
    min_coverage_s: int = Field(86400, ge=30)             # data must span at least this much of the window
    objective: float = Field(0.999, gt=0, le=1)
    interval: PromWindow = "30s"                           # the probes' scrape interval: a step of the window
    gaps: Literal["down", "excluded"] = "down"             # steps without a probe result count as down, or not
    min_coverage: float | None = Field(None, gt=0, le=1)  # share of steps with a result; default: objective


class Attestation(Strict):
    """A human sign-off: who, by whom, when, until when (like a waiver)."""
    person: str
    trained_by: str
    on: dt.date
    expires: dt.date
    runbooks: str = ""


class Training(Strict):
    rotation: list[str] = []                       # on-call members who must be trained
    attestations: list[Attestation] = []
    configmap: Ref | None = None    # or kept in the cluster: this ConfigMap's attestations.yaml lists them

    @model_validator(mode="after")
    def _one_source(self) -> "Training":
        if self.attestations and self.configmap:
            raise ValueError("phase8.training: give attestations or configmap, not both")
        return self


class AuditRecord(Strict):
    date: dt.date
    auditor: str
    report: str                                    # a link to the report
    valid_days: int = Field(365, ge=1)


class Phase8(Strict):
    availability: Availability = Availability()
    alert_severities: list[str] = ["critical"]     # firing alerts of these severities fail P8-NO-CRITICAL-ALERTS
    heartbeat_alert: str = "Watchdog"   # always firing while alerts reach Alertmanager (kube-prometheus' name)
    # Prometheus sends a firing alert again every resend_delay (1m; with a 1m evaluation interval, every 2m):
    # a heartbeat Alertmanager has not received for longer means alerts no longer reach it.
    heartbeat_max_age_s: int = Field(300, ge=30)
    max_silence_s: int = Field(86400, ge=60)   # a silence of an alert of alert_severities may last this long
    security_audit: AuditRecord | None = None
    training: Training = Training()


class Chaos(Strict):
    allowed_contexts: list[str] = []
    min_ready_nodes: int = Field(2, ge=1)


class CarryOver(Strict):
    """Verdicts of opt-in criteria (chaos, real notifications) that a later run may use as its own, when they
    come from the same cluster (its identity, not the context's name) and are at most ``max_age_days`` old."""
    max_age_days: float = Field(gt=0)
    criteria: list[str] = Field(min_length=1)


class Gate(Strict):
    enabled: bool = False                  # like --gate: the exit code follows the policy below
    severities: list[Severity] = ["blocker", "critical"]   # failed, broken or unevaluated ones fail the gate
    carry_over: CarryOver | None = None

    @field_validator("severities")
    @classmethod
    def _from_the_top(cls, value: list[Severity]) -> list[Severity]:
        """A gate stops on blockers, and on every severity above the lowest it names: an empty list, or one
        that leaves blocker out, would let any failure pass."""
        wanted = SEVERITIES[:max((SEVERITIES.index(v) for v in value), default=0) + 1]
        if set(value) != set(wanted):
            fix = ", ".join(wanted) if value else "blocker, critical"
            raise ValueError(f"the gate must stop on blocker and every severity down to the lowest it names; "
                             f"write severities: [{fix}]")
        return list(wanted)


class SeverityOverride(Strict):
    """A criterion's severity for this platform; lowering it below the catalog's needs a reason."""
    severity: Severity
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ChecklistLine(Strict):
    line: str                                       # in the roadmap's words
    criteria: list[str] = []                        # the criteria that decide it; none: listed as not checked


class ChecklistSection(Strict):
    title: str
    lines: list[ChecklistLine] = Field(min_length=1)


class Profile(Strict):
    name: str
    description: str = ""
    endpoints: Endpoints = Endpoints()
    platform: Platform
    phase1: Phase1 = Phase1()
    phase2: Phase2 = Phase2()
    phase3: Phase3 = Phase3()
    phase4: Phase4
    phase5: Phase5 = Phase5()
    phase6: Phase6 = Phase6()
    phase7: Phase7 = Phase7()
    phase8: Phase8 = Phase8()
    prometheus: PrometheusData = PrometheusData()
    chaos: Chaos = Chaos()
    gate: Gate = Gate()
    severity: dict[str, Severity | SeverityOverride] = {}
    # criterion ID -> severity (or {severity, reason}), overrides the criterion's own; lowering needs a reason
    runbooks: dict[str, str] = {}           # criterion ID -> runbook URL, overrides the default
    roadmap: list[ChecklistSection] = []     # the roadmap's checklists, each line mapped to criteria
    skip: dict[str, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = {}
    # criterion ID -> why it does not apply to this platform; the only way a criterion is left out

    @model_validator(mode="after")
    def _hpa_bounds(self) -> "Profile":
        for i, h in enumerate(self.phase3.hpas):
            if h.min_replicas > h.max_replicas:
                raise ValueError(f"phase3.hpas[{i}] ({h.ref}): min_replicas {h.min_replicas} "
                                 f"is above max_replicas {h.max_replicas}")
        return self

    def severity_override(self, criterion_id: str) -> SeverityOverride | None:
        value = self.severity.get(criterion_id)
        if value is None or isinstance(value, SeverityOverride):
            return value
        return SeverityOverride.model_construct(severity=value, reason="")

    def severity_of(self, meta) -> str:
        """A criterion's severity on this platform: the profile's override, else the criterion's own."""
        override = self.severity_override(meta.id)
        return override.severity if override else meta.severity

    def runbook_of(self, meta) -> str:
        """A criterion's runbook on this platform: the profile's link, else the generated page."""
        return self.runbooks.get(meta.id, meta.runbook)

    @property
    def backup_namespaces(self) -> list[str]:
        return self.phase5.namespaces or self.platform.namespaces

    @property
    def log_namespaces(self) -> list[str]:
        return self.phase4.loki.namespaces or self.platform.namespaces

    def at(self, path: str) -> Any:
        """The setting at a dotted path (``phase3.hpas``), or None where the profile has none."""
        value: Any = self
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def show(self, path: str) -> Any:
        """The setting at ``path`` as plain data, for the report."""
        value = self.at(path)
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", exclude_none=True)
        if isinstance(value, list):
            return [v.model_dump(mode="json", exclude_none=True) if isinstance(v, BaseModel) else v for v in value]
        return value


class ProfileError(Exception):
    """A profile that cannot be used; the message is one line that says what to fix."""


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping key, so errors can point at the file's line."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    lines = {}
    for key_node, _ in node.value:
        lines[key_node.value] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(data):
    if isinstance(data, dict):
        return {k: _strip_lines(v) for k, v in data.items() if k != "__lines__"}
    if isinstance(data, list):
        return [_strip_lines(v) for v in data]
    return data


def _line_of(data, loc: tuple) -> int | None:
    line = None
    for part in loc:
        if isinstance(data, dict):
            line = data.get("__lines__", {}).get(part, line)
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            break
    return line


def load_profile(path: str | Path) -> Profile:
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(), Loader=_LineLoader)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc.strerror}); pass --profile PATH") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ProfileError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: the profile must be a YAML mapping with keys such as name, platform, phase4")
    try:
        return Profile.model_validate(_strip_lines(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _line_of(raw, loc)
        dotted = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        hint = {"extra_forbidden": "unknown key; check its spelling against profiles/254carbon.yaml",
                "missing": "required key is missing"}.get(err["type"], err["msg"])
        got = f" (got {err['input']!r})" if err["type"] not in ("missing", "extra_forbidden") else ""
        more = f"; {len(exc.errors()) - 1} more error(s)" if len(exc.errors()) > 1 else ""
        raise ProfileError(f"{path}:{line or 1}: {dotted or '(top level)'}: {hint}{got}{more}") from None
