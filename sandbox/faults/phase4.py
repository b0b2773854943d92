"""Faults of phase 4 (observability): each breaks the monitoring, logging or alerting as it goes wrong in life:
a target or exporter down, an agent missing from a node, rules that fail, routes and receivers that lose alerts."""
from __future__ import annotations

from typing import Callable

import requests
import yaml

from sandbox.faults.fault import Expect, Fault, delete, merge_patch, reapply, scale, start, stop
from sandbox.manifests import platform
from sandbox.run import configs, kube
from sandbox.run.layout import Layout
from sandbox.services import data_services


def _reload_alertmanager(layout: Layout) -> None:
    requests.post(layout.url("alertmanager") + "/-/reload", timeout=10).raise_for_status()


def _write_prometheus(layout: Layout, monitors: list[tuple[str, str]]) -> None:
    configs.write_prometheus(layout, monitors)
    configs.reload_prometheus(layout)


def _unmonitor(layout: Layout) -> None:
    delete("servicemonitor", "data-platform", "superset")(layout)
    _write_prometheus(layout, [m for m in configs.monitored() if m != ("data-platform", "superset")])


def _remonitor(layout: Layout) -> None:
    reapply(("ServiceMonitor", "superset"))(layout)
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


def _log_agent_gap(present: bool) -> Callable[[Layout], None]:
    affinity = None if present else {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["sandbox-worker-2"]}]}]}}}
    return merge_patch("daemonset", platform.MONITORING_NS, "promtail", {"spec": {"template": {"spec": {
        "affinity": affinity}}}})


def _loki_refuses(refuse: bool) -> Callable[[Layout], None]:
    return lambda layout: configs.dump(layout.config / "loki-overrides.yaml", configs.loki_overrides(refuse))


FAULTS = [
    Fault("operator-down", "P4-OPERATOR", "monitoring/prometheus-operator scaled to zero",
          scale(platform.MONITORING_NS, "prometheus-operator", 0),
          scale(platform.MONITORING_NS, "prometheus-operator", 1),
          Expect("monitoring/prometheus-operator: 0 ready replicas", 60)),
    Fault("servicemonitor-missing", "P4-SERVICEMONITORS", "data-platform/superset: ServiceMonitor and job removed",
          _unmonitor, _remonitor,
          Expect("data-platform/superset: no ServiceMonitor or PodMonitor selects it", 60)),
    Fault("scrape-target-down", "P4-TARGETS", "pushgateway stopped: its target is down",
          stop("pushgateway"), start("pushgateway"),
          Expect("job pushgateway target", 60)),
    Fault("exporter-down", "P4-EXPORTERS", "postgres-exporter stopped: its target is down",
          stop("postgres-exporter"), start("postgres-exporter"),
          Expect("exporter PostgreSQL target 127.0.0.1:19187: down", 60)),
    Fault("exporter-backend-down", "P4-EXPORTERS", "PostgreSQL stopped: the exporter reports pg_up 0",
          stop("postgres"), start("postgres"),
          Expect("exporter PostgreSQL (127.0.0.1:19187): pg_up=0", 60)),
    Fault("kafka-broker-down", "P4-EXPORTERS", "the Kafka broker stopped; its exporter keeps answering",
          stop("kafka"), start("kafka"),
          Expect("exporter Kafka target 127.0.0.1:19308: up but has no kafka_brokers series", 60)),
    Fault("kafka-exporter-down", "P4-EXPORTERS", "the Kafka exporter stopped: its target is down",
          stop("kafka-exporter"), start("kafka-exporter"),
          Expect("exporter Kafka target 127.0.0.1:19308: down", 60)),
    Fault("opensearch-red", "P4-EXPORTERS", "an OpenSearch index whose primary cannot be allocated: cluster red",
          data_services.make_red, data_services.heal_red,
          Expect("exporter Elasticsearch (127.0.0.1:19114): elasticsearch_cluster_health_status=0", 60)),
    Fault("opensearch-down", "P4-EXPORTERS", "OpenSearch stopped; its exporter keeps answering",
          stop("opensearch"), start("opensearch"),
          Expect("exporter Elasticsearch target 127.0.0.1:19114: up but has no", 60)),
    Fault("elasticsearch-exporter-down", "P4-EXPORTERS", "the Elasticsearch exporter stopped: its target is down",
          stop("elasticsearch-exporter"), start("elasticsearch-exporter"),
          Expect("exporter Elasticsearch target 127.0.0.1:19114: down", 60)),
    Fault("logs-missing", "P4-LOKI", "Loki's ingestion limit lowered at run time: every push is refused (429)",
          _loki_refuses(True), _loki_refuses(False),
          Expect("cloudflare-tunnel/cloudflared-", 120)),
    Fault("log-agent-gap", "P4-LOG-AGENT", "monitoring/promtail excluded from sandbox-worker-2",
          _log_agent_gap(False), _log_agent_gap(True),
          Expect("node sandbox-worker-2: no ready monitoring/promtail pod", 60)),
    Fault("alert-rules-broken", "P4-ALERT-RULES", "a rule group that fails at every evaluation",
          lambda layout: _rules(layout, "broken", BROKEN_RULES), lambda layout: _rules(layout, "broken", None),
          Expect("rule group broken-capacity rule capacity:broken:sum: health err", 60)),
    Fault("pagerduty-route-removed", "P4-ALERT-ROUTES", "critical alerts no longer routed to PagerDuty",
          _pagerduty(False), _pagerduty(True),
          Expect("routed to slack-platform, email-oncall, expected pagerduty-critical", 30)),
    Fault("slack-webhook-broken", "P4-ALERT-DELIVERY", "the Slack receiver posts to a webhook that rejects it",
          _broken_slack, _pagerduty(True),
          Expect("integration slack: a notification failed", 90, ("--allow-alert-delivery",))),
    Fault("dashboards-missing", "P4-DASHBOARDS", "all dashboards but the two required ones removed from Grafana",
          _dashboards_missing, _dashboards_back,
          Expect("grafana: 2 dashboards, expected at least 6", 30)),
    Fault("slo-rules-missing", "P4-SLO", "SLO recording rules unloaded",
          lambda layout: _rules(layout, "slo", None), lambda layout: _rules(layout, "slo", configs.slo_rules()),
          Expect("no slo:service_availability:ratio_rate5m series", 90)),
]
