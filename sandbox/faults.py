"""Named faults: each breaks exactly one success criterion; ``heal`` undoes every active one.

Active faults are recorded in ``<state>/faults.json`` before they are applied,
so ``heal`` works from any later process, in reverse order of application.
"""
from __future__ import annotations

import json
import time
from typing import Callable

import requests
import yaml

from sandbox import configs, data_services, kube, platform
from sandbox.cluster import apply_certificates
from sandbox.fault import Fault, delete, merge_patch, restart, scale, stop, wait_rollout
from sandbox.audit_faults import AUDIT_FAULTS
from sandbox.security_faults import SECURITY_FAULTS
from sandbox.infra_faults import INFRA_FAULTS
from sandbox.ops_faults import OPS_FAULTS
from sandbox.layout import Layout
from sandbox.rebalance import rebalance

FAILED_WORKER = "sandbox-worker-3"
SPREAD_APP = "datahub"
DEGRADED = ("cloudflare-tunnel", "cloudflared")
QUOTA_NS = "vault-prod"






def _reapply(*kinds_names: tuple[str, str]) -> Callable[[Layout], None]:
    """Heal by re-applying the platform's own definition of these objects."""
    def heal(layout: Layout) -> None:
        wanted = [o for o in platform.platform_objects() if (o["kind"], o["metadata"]["name"]) in kinds_names]
        kube.apply(layout, wanted)
    return heal


def _label_worker(value: str | None) -> Callable[[Layout], None]:
    from sandbox.components import KWOK_MANAGED_LABEL
    suffix = f"={value}" if value else "-"

    def act(layout: Layout) -> None:
        kube.kubectl(layout, "label", "node", FAILED_WORKER, f"{KWOK_MANAGED_LABEL}{suffix}", "--overwrite")
    return act


def _spread_break(layout: Layout) -> None:
    kube.kubectl(layout, "-n", "data-platform", "patch", "deployment", SPREAD_APP, "--type=json", "-p", json.dumps([
        {"op": "remove", "path": "/spec/template/spec/affinity"},
        {"op": "add", "path": "/spec/template/spec/nodeSelector/kubernetes.io~1hostname",
         "value": "sandbox-worker-1"}]))
    wait_rollout(layout, "data-platform", f"deployment/{SPREAD_APP}", 60)


def _spread_heal(layout: Layout) -> None:
    kube.kubectl(layout, "-n", "data-platform", "patch", "deployment", SPREAD_APP, "--type=json", "-p", json.dumps([
        {"op": "remove", "path": "/spec/template/spec/nodeSelector/kubernetes.io~1hostname"}]), check=False)
    _reapply(("Deployment", SPREAD_APP))(layout)
    wait_rollout(layout, "data-platform", f"deployment/{SPREAD_APP}", 60)


def _reload_alertmanager(layout: Layout) -> None:
    requests.post(layout.url("alertmanager") + "/-/reload", timeout=10).raise_for_status()


def _write_prometheus(layout: Layout, monitors: list[tuple[str, str]]) -> None:
    configs.write_prometheus(layout, monitors)
    configs.reload_prometheus(layout)


def _unmonitor(layout: Layout) -> None:
    delete("servicemonitor", "data-platform", "superset")(layout)
    _write_prometheus(layout, [m for m in configs.monitored() if m != ("data-platform", "superset")])


def _remonitor(layout: Layout) -> None:
    _reapply(("ServiceMonitor", "superset"))(layout)
    _write_prometheus(layout, configs.monitored())


def _pagerduty(present: bool) -> Callable[[Layout], None]:
    def act(layout: Layout) -> None:
        configs.write_alertmanager(layout, configs.alertmanager_config(layout, with_pagerduty_route=present))
        _reload_alertmanager(layout)
    return act


def _broken_slack(layout: Layout) -> None:
    cfg = configs.alertmanager_config(layout)
    for receiver in cfg["receivers"]:
        for slack in receiver.get("slack_configs", []):
            slack["api_url"] = layout.url("sinks_http") + "/slack/no-such-webhook"
    configs.write_alertmanager(layout, cfg)
    _reload_alertmanager(layout)


def _rules(layout: Layout, name: str, content: dict | None) -> None:
    """Write (or remove) a rule file and wait until Prometheus has loaded (or dropped) its groups."""
    path = layout.config / "rules" / f"{name}.yml"
    before = yaml.safe_load(path.read_text()) if path.exists() else None
    groups = {g["name"] for g in (content or before or {}).get("groups", [])}
    if content is None:
        path.unlink(missing_ok=True)
    else:
        configs.dump(path, content)
    configs.reload_prometheus(layout)

    def loaded() -> tuple[bool, str]:
        seen = {g["name"] for g in requests.get(layout.url("prometheus") + "/api/v1/rules", timeout=5)
                .json()["data"]["groups"]}
        return (groups <= seen) if content else not (groups & seen), f"rule groups loaded: {sorted(seen)}"
    kube.wait_for(f"Prometheus to {'load' if content else 'drop'} rules/{name}.yml", loaded, 30, 1)


BROKEN_RULES = {"groups": [{"name": "broken-capacity", "rules": [
    # Valid PromQL that fails at every evaluation: many-to-many matching.
    {"record": "capacity:broken:sum", "expr": "up + on() group_left() up"}]}]}


KEPT_DASHBOARDS = {"platform-overview", "slo-tracking"}   # the required ones stay: only the count falls short


def _dashboards_missing(layout: Layout) -> None:
    for path in (layout.config / "dashboards").glob("*.json"):
        if path.stem not in KEPT_DASHBOARDS:
            path.rename(path.with_suffix(".removed"))


def _dashboards_back(layout: Layout) -> None:
    for path in (layout.config / "dashboards").glob("*.removed"):
        path.rename(path.with_suffix(".json"))


def _quota_full(layout: Layout) -> None:
    pods = kube.get_json(layout, "pods", "-n", QUOTA_NS)["items"]
    merge_patch("resourcequota", QUOTA_NS, f"{QUOTA_NS}-quota", {"spec": {"hard": {"pods": str(len(pods))}}})(layout)


def _node_metrics_path(present: bool) -> Callable[[Layout], None]:
    def act(layout: Layout) -> None:
        key = "metrics.k8s.io/resource-metrics-path"
        node = "sandbox-worker-2"
        value = f"{key}=/metrics/nodes/{node}/metrics/resource" if present else f"{key}=/metrics/nodes/gone"
        kube.kubectl(layout, "annotate", "node", node, value, "--overwrite")
    return act


def _log_agent_gap(present: bool) -> Callable[[Layout], None]:
    affinity = None if present else {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["sandbox-worker-2"]}]}]}}}
    return merge_patch("daemonset", platform.MONITORING_NS, "promtail", {"spec": {"template": {"spec": {
        "affinity": affinity}}}})


def _loki_refuses(refuse: bool) -> Callable[[Layout], None]:
    return lambda layout: configs.dump(layout.config / "loki-overrides.yaml", configs.loki_overrides(refuse))


FAULTS = {f.name: f for f in [
    Fault("worker-notready", "P3-NODES", f"{FAILED_WORKER} stops heartbeating and turns NotReady",
          _label_worker(None), _label_worker("true")),
    Fault("replicas-one-node", "P3-SPREAD", f"data-platform/{SPREAD_APP}: all replicas pinned to one node, "
          "anti-affinity removed", _spread_break, _spread_heal),
    Fault("node-metrics-missing", "P3-METRICS-API", "metrics-server cannot scrape sandbox-worker-2",
          _node_metrics_path(False), _node_metrics_path(True)),
    Fault("hpa-no-metrics", "P3-HPA-METRICS", "metrics-server stopped: HPAs have no CPU metric",
          stop("metrics-server"), lambda layout: restart(layout, "metrics-server")),
    Fault("hpa-misconfigured", "P3-HPA-CONFIG", "data-platform/trino-hpa: maxReplicas lowered to 3",
          merge_patch("hpa", "data-platform", "trino-hpa", {"spec": {"maxReplicas": 3}}),
          _reapply(("HorizontalPodAutoscaler", "trino-hpa"))),
    Fault("pdb-deleted", "P3-PDB", "data-platform/datahub-pdb deleted",
          delete("pdb", "data-platform", "datahub-pdb"), _reapply(("PodDisruptionBudget", "datahub-pdb"))),
    Fault("pdb-blocks-drain", "P3-DRAIN", "data-platform/portal-pdb: minAvailable equals replicas (no disruption)",
          merge_patch("pdb", "data-platform", "portal-pdb", {"spec": {"minAvailable": 2}}),
          _reapply(("PodDisruptionBudget", "portal-pdb"))),
    Fault("service-degraded", "P3-SERVICE-HA", f"{DEGRADED[0]}/{DEGRADED[1]} scaled to one replica",
          scale(*DEGRADED, 1), scale(*DEGRADED, 2)),
    Fault("quota-exhausted", "P3-RESOURCES", f"{QUOTA_NS}/{QUOTA_NS}-quota: pods quota 100% used",
          _quota_full, _reapply(("ResourceQuota", f"{QUOTA_NS}-quota"))),
    Fault("operator-down", "P4-OPERATOR", "monitoring/prometheus-operator scaled to zero",
          scale(platform.MONITORING_NS, "prometheus-operator", 0),
          scale(platform.MONITORING_NS, "prometheus-operator", 1)),
    Fault("servicemonitor-missing", "P4-SERVICEMONITORS", "data-platform/superset: ServiceMonitor and job removed",
          _unmonitor, _remonitor),
    Fault("scrape-target-down", "P4-TARGETS", "pushgateway stopped: its target is down",
          stop("pushgateway"), lambda layout: restart(layout, "pushgateway")),
    Fault("exporter-down", "P4-EXPORTERS", "postgres-exporter stopped: its target is down",
          stop("postgres-exporter"), lambda layout: restart(layout, "postgres-exporter")),
    Fault("exporter-backend-down", "P4-EXPORTERS", "PostgreSQL stopped: the exporter reports pg_up 0",
          stop("postgres"), lambda layout: restart(layout, "postgres")),
    Fault("kafka-broker-down", "P4-EXPORTERS", "the Kafka broker stopped; its exporter keeps answering",
          stop("kafka"), lambda layout: restart(layout, "kafka")),
    Fault("kafka-exporter-down", "P4-EXPORTERS", "the Kafka exporter stopped: its target is down",
          stop("kafka-exporter"), lambda layout: restart(layout, "kafka-exporter")),
    Fault("opensearch-red", "P4-EXPORTERS", "an OpenSearch index whose primary cannot be allocated: cluster red",
          data_services.make_red, data_services.heal_red),
    Fault("opensearch-down", "P4-EXPORTERS", "OpenSearch stopped; its exporter keeps answering",
          stop("opensearch"), lambda layout: restart(layout, "opensearch")),
    Fault("elasticsearch-exporter-down", "P4-EXPORTERS", "the Elasticsearch exporter stopped: its target is down",
          stop("elasticsearch-exporter"), lambda layout: restart(layout, "elasticsearch-exporter")),
    Fault("logs-missing", "P4-LOKI", "Loki's ingestion limit lowered at run time: every push is refused (429)",
          _loki_refuses(True), _loki_refuses(False)),
    Fault("log-agent-gap", "P4-LOG-AGENT", "monitoring/promtail excluded from sandbox-worker-2",
          _log_agent_gap(False), _log_agent_gap(True)),
    Fault("alert-rules-broken", "P4-ALERT-RULES", "a rule group that fails at every evaluation",
          lambda layout: _rules(layout, "broken", BROKEN_RULES), lambda layout: _rules(layout, "broken", None)),
    Fault("pagerduty-route-removed", "P4-ALERT-ROUTES", "critical alerts no longer routed to PagerDuty",
          _pagerduty(False), _pagerduty(True)),
    Fault("slack-webhook-broken", "P4-ALERT-DELIVERY", "the Slack receiver posts to a webhook that rejects it",
          _broken_slack, _pagerduty(True)),
    Fault("dashboards-missing", "P4-DASHBOARDS", "all dashboards but the two required ones removed from Grafana",
          _dashboards_missing, _dashboards_back),
    Fault("slo-rules-missing", "P4-SLO", "SLO recording rules unloaded",
          lambda layout: _rules(layout, "slo", None), lambda layout: _rules(layout, "slo", configs.slo_rules())),
    Fault("cert-expiring", "P2-CERTIFICATES", "data-platform/portal-tls expires in 5 days",
          lambda layout: apply_certificates(layout, {"portal": 5}), lambda layout: apply_certificates(layout)),
    *INFRA_FAULTS,
    *OPS_FAULTS,
    *AUDIT_FAULTS,
    *SECURITY_FAULTS,
]}


def _through(name: str, fault: str, criterion: str, description: str) -> Fault:
    """A criterion made of other criteria's verdicts breaks through one of them."""
    return Fault(name, criterion, description, FAULTS[fault].apply, FAULTS[fault].heal)


FAULTS.update({f.name: f for f in [
    _through("audit-finding", "vault-sealed", "P8-SECURITY-AUDIT", "a phase 2 finding: Vault sealed"),
    _through("phase-incomplete", "pvc-pending", "P8-ALL-PHASES", "a phase 1 finding: a claim Pending"),
]})


def active(layout: Layout) -> dict[str, dict]:
    try:
        return json.loads(layout.faults.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _record(layout: Layout, records: dict[str, dict]) -> None:
    tmp = layout.faults.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=1))
    tmp.replace(layout.faults)


def inject(layout: Layout, name: str) -> Fault:
    fault = FAULTS[name]
    records = active(layout)
    record = {"criterion": fault.criterion, "at": time.time()}
    records[name] = record
    _record(layout, records)        # recorded before it is applied, so a crash mid-way still heals
    fault.apply(layout)
    return fault


def heal(layout: Layout, progress=print) -> list[str]:
    """Undo every active fault, newest first; returns the errors (empty when all healed)."""
    records = active(layout)
    errors = []
    for name in sorted(records, key=lambda n: records[n].get("at", 0), reverse=True):
        try:
            FAULTS[name].heal(layout)
            progress(f"healed {name}")
            del records[name]
        except Exception as exc:  # keep healing the others; every failure is reported
            errors.append(f"{name}: {exc}")
        _record(layout, records)
    if not errors:
        try:       # chaos and faults leave replicas piled up: spread them again, as a descheduler would
            rebalance(layout, progress)
        except Exception as exc:
            errors.append(f"rebalance: {exc}")
    return errors
