"""Configuration files of the sandbox's real servers (Prometheus, Alertmanager, Loki, blackbox, kwok).

Prometheus discovers the simulated platform pods from the endpoint slices of
each Service that has a ServiceMonitor, the way the Prometheus Operator's
generated configuration does; the agent serves both the discovery (http_sd)
and the pods' metrics endpoints.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import requests
import yaml

from sandbox.manifests import dashboards
from sandbox.services import data_services
from sandbox.run.layout import Layout
from sandbox.manifests.platform import SERVICES

KWOK_USAGE = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterResourceUsage
metadata:
  name: usage-from-annotation
spec:
  usages:
  - usage:
      cpu:
        expression: |
          "kwok.x-k8s.io/usage-cpu" in pod.metadata.annotations
          ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-cpu"])
          : Quantity("1m")
      memory:
        expression: |
          "kwok.x-k8s.io/usage-memory" in pod.metadata.annotations
          ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-memory"])
          : Quantity("1Mi")
"""


# kwok's own files, as its repository ships them. The node stages are given explicitly because kwok v0.7.0
# inverts its default: with a lease duration set it picks the heartbeat stage meant for clusters without
# leases (``getDefaultNodeStages(NodeLeaseDurationSeconds == 0)`` in pkg/kwok/cmd/root.go), which patched every
# node's status every 20-45 s on top of its lease (45 patches a second at 1,000 nodes). With leases a kubelet
# reports status only now and then, as the lease variant does.
# The pods' stages are kwok's fast ones, but for completion: its general stage reads a pod's run time from
# the annotations pod-complete.stage.kwok.x-k8s.io/delay and jitter-delay (default 1-6 s), so a Job that in
# life runs for an hour can be given that hour.
KWOK_UPSTREAM = ("metrics-resource", "node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete",
                 "pod-delete")


def kwok_options(workers: int) -> str:
    """kwok renews every node's lease with 4 workers by default: at 1,000 nodes, while 20,000 pods were being
    created, leases went 145 s without renewal and 200 nodes NotReady, and with one worker per 50 nodes still
    56-145 s late (a renewal takes a second or more on a busy API server, and 1,000 nodes need 25 a second).
    One lease worker per 10 nodes (at least 4; kwok's client has no rate limit, goroutines are cheap).
    The pods' stages likewise: 8 workers, each waiting on a status patch that took about 0.35 s on that busy
    API server, marked about 23 pods a second Running, which alone made a 20,000-pod fill take a quarter of
    an hour; one per 20 nodes past 160."""
    return yaml.safe_dump({"apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "KwokConfiguration",
                           "options": {"nodeLeaseParallelism": max(4, workers // 10),
                                       "podPlayStageParallelism": max(8, workers // 20)}})


def _https_job(name: str, port: int, layout: Layout, path: str = "/metrics") -> dict:
    return {"job_name": name, "scheme": "https", "metrics_path": path,
            "tls_config": {"insecure_skip_verify": True, "cert_file": str(layout.pki / "admin.crt"),
                           "key_file": str(layout.pki / "admin.key")},
            "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}


def _job(name: str, port: int, path: str = "/metrics") -> dict:
    return {"job_name": name, "metrics_path": path, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}


def service_monitor_job(namespace: str, service: str, layout: Layout) -> dict:
    """What the operator generates for a ServiceMonitor, pointed at the sandbox agent.

    Debian's Prometheus is built without kubernetes_sd, so the agent serves the
    Service's endpoint slices through http_sd with the same __meta labels.
    """
    meta = "__meta_kubernetes_"
    return {
        "job_name": f"serviceMonitor/{namespace}/{service}/0", "scrape_interval": "5s",
        "http_sd_configs": [{"url": f"{layout.url('agent')}/sd/{namespace}/{service}", "refresh_interval": "5s"}],
        "relabel_configs": [
            {"source_labels": [f"{meta}namespace"], "target_label": "namespace"},
            {"source_labels": [f"{meta}pod_name"], "target_label": "pod"},
            {"source_labels": [f"{meta}pod_node_name"], "target_label": "node"},
            {"source_labels": [f"{meta}service_name"], "target_label": "service"},
            {"source_labels": [f"{meta}service_name"], "target_label": "job"},
            {"source_labels": [f"{meta}pod_name"], "target_label": "instance"},
            {"replacement": "platform", "target_label": "tier"},
            {"source_labels": [f"{meta}namespace", f"{meta}pod_name"], "separator": "/", "regex": "(.+)",
             "target_label": "__metrics_path__", "replacement": "/pods/${1}/metrics"},
        ]}


def prometheus_config(layout: Layout, monitors: list[tuple[str, str]]) -> dict:
    p = layout.ports
    probes = [layout.url(n) + path for n, path in
              (("loki", "/ready"), ("grafana", "/api/health"), ("alertmanager", "/-/healthy"),
               ("sinks_http", "/healthz"))]
    return {
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s",
                   "external_labels": {"cluster": "platform-sandbox"}},
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{p.alertmanager}"]}]}]},
        "rule_files": [str(layout.config / "rules" / "*.yml")],
        "scrape_configs": [
            _job("prometheus", p.prometheus), _job("alertmanager", p.alertmanager),
            _job("node-exporter", p.node_exporter), _job("postgres-exporter", p.postgres_exporter),
            _job("kafka-exporter", p.kafka_exporter), _job("elasticsearch-exporter", p.elasticsearch_exporter),
            {**_job("pushgateway", p.pushgateway), "honor_labels": True},    # pushed groups keep their job
            _job("loki", p.loki), _job("etcd", p.etcd),
            _job("grafana", p.grafana), _job("blackbox-exporter", p.blackbox_exporter),
            _https_job("kube-apiserver", p.apiserver, layout),
            _https_job("kube-controller-manager", p.controller_manager, layout),
            _https_job("kube-scheduler", p.scheduler, layout),
            _https_job("kwok", p.kwok, layout),
            _https_job("metrics-server", p.metrics_server, layout),
            {"job_name": "blackbox-http", "metrics_path": "/probe", "params": {"module": ["http_2xx"]},
             "static_configs": [{"targets": probes}],
             "relabel_configs": [
                 {"source_labels": ["__address__"], "target_label": "__param_target"},
                 {"source_labels": ["__param_target"], "target_label": "instance"},
                 {"replacement": f"127.0.0.1:{p.blackbox_exporter}", "target_label": "__address__"}]},
            service_probe_job(layout),
            *[service_monitor_job(ns, name, layout) for ns, name in monitors],
        ]}


def service_probe_job(layout: Layout) -> dict:
    """Blackbox probes of each critical Service, as its users reach it (through the agent's Service answer):
    the measure of availability the SLO rules record."""
    p = layout.ports
    groups = [{"targets": [f"{layout.url('agent')}/services/{s.namespace}/{s.name}"],
               "labels": {"namespace": s.namespace, "service": s.name}} for s in SERVICES if s.critical]
    return {"job_name": "service-probes", "metrics_path": "/probe", "params": {"module": ["http_2xx"]},
            "scrape_interval": "5s", "static_configs": groups,
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"replacement": f"127.0.0.1:{p.blackbox_exporter}", "target_label": "__address__"}]}


def alert_rules(critical: list[str]) -> dict:
    rules = [{"alert": "ServiceDown", "expr": 'up{tier="platform"} == 0', "for": "1m",
              "labels": {"severity": "warning"},
              "annotations": {"summary": "{{ $labels.namespace }}/{{ $labels.pod }} is not answering scrapes"}}]
    for name in critical:
        title = "".join(part.capitalize() for part in name.split("-"))
        rules.append({"alert": f"{title}Unavailable", "expr": f'avg(up{{job="{name}"}}) < 0.5', "for": "2m",
                      "labels": {"severity": "critical", "service": name},
                      "annotations": {"summary": f"Less than half of {name}'s pods answer scrapes"}})
    return {"groups": [{"name": "platform-availability", "rules": rules},
                       {"name": "monitoring-stack", "rules": [
                           {"alert": "PrometheusTargetMissing", "expr": "up == 0", "for": "5m",
                            "labels": {"severity": "warning"}},
                           {"alert": "Watchdog", "expr": "vector(1)", "labels": {"severity": "none"},
                            "annotations": {"summary": "Always firing: proves alerts reach Alertmanager"}}]}]}


def slo_rules() -> dict:
    return {"groups": [{"name": "slo-availability", "interval": "10s", "rules": [
        # Availability as users see it: the share of successful probes of each Service.
        {"record": "slo:service_availability:ratio_rate5m",
         "expr": 'avg by (namespace, service) (avg_over_time(probe_success{job="service-probes"}[5m]))'},
        {"record": "slo:service_availability:ratio_rate1h",
         "expr": 'avg by (namespace, service) (avg_over_time(probe_success{job="service-probes"}[1h]))'},
        {"record": "slo:service_error_budget_remaining:ratio",
         "expr": "1 - ((1 - slo:service_availability:ratio_rate1h) / (1 - 0.999))"},
    ]}]}


def alertmanager_config(layout: Layout, with_pagerduty_route: bool = True) -> dict:
    sinks = layout.url("sinks_http")
    # The always-firing Watchdog proves the alerting pipeline works; like kube-prometheus, it notifies nobody.
    routes = [{"receiver": "null", "matchers": ['alertname="Watchdog"']}]
    if with_pagerduty_route:
        routes.append({"receiver": "pagerduty-critical", "matchers": ['severity="critical"'], "continue": True})
    routes += [{"receiver": "slack-platform", "matchers": ['severity=~"critical|warning"'], "continue": True},
               {"receiver": "email-oncall", "matchers": ['severity="critical"']}]
    return {
        "global": {"resolve_timeout": "5m", "smtp_smarthost": f"127.0.0.1:{layout.ports.sinks_smtp}",
                   "smtp_from": "alertmanager@sandbox.local", "smtp_require_tls": False},
        "route": {"receiver": "email-platform-team", "group_by": ["alertname", "namespace"],
                  "group_wait": "1s", "group_interval": "5s", "repeat_interval": "4h", "routes": routes},
        "receivers": [
            {"name": "null"},
            {"name": "email-platform-team", "email_configs": [{"to": "platform-team@254carbon.local"}]},
            {"name": "email-oncall", "email_configs": [{"to": "oncall@254carbon.local"}]},
            {"name": "pagerduty-critical", "pagerduty_configs": [
                {"routing_key": "sandbox-routing-key-0000000000000000", "url": f"{sinks}/pagerduty/v2/enqueue"}]},
            {"name": "slack-platform", "slack_configs": [
                {"api_url": f"{sinks}/slack/webhook", "channel": "#platform-alerts", "send_resolved": True}]},
        ]}


def loki_config(layout: Layout) -> dict:
    """Loki 2.2.1 in one process (target all) on loopback, ready in well under a second."""
    base = layout.data / "loki"
    ring = {"kvstore": {"store": "inmemory"}}
    return {
        "auth_enabled": False,
        "server": {"http_listen_address": "127.0.0.1", "http_listen_port": layout.ports.loki,
                   "grpc_listen_address": "127.0.0.1", "grpc_listen_port": layout.ports.loki_grpc,
                   "log_level": "warn"},
        "ingester": {"lifecycler": {"address": "127.0.0.1", "ring": {**ring, "replication_factor": 1},
                                    "final_sleep": "0s", "min_ready_duration": "0s"},
                     "chunk_idle_period": "5m", "chunk_retain_period": "30s", "max_transfer_retries": 0},
        "schema_config": {"configs": [{"from": "2020-10-24", "store": "boltdb-shipper", "object_store": "filesystem",
                                       "schema": "v11", "index": {"prefix": "index_", "period": "24h"}}]},
        "storage_config": {"boltdb_shipper": {"active_index_directory": str(base / "index"),
                                              "cache_location": str(base / "index-cache"), "cache_ttl": "24h",
                                              "shared_store": "filesystem"},
                           "filesystem": {"directory": str(base / "chunks")}},
        "compactor": {"working_directory": str(base / "compactor"), "shared_store": "filesystem"},
        "limits_config": {"reject_old_samples": False, "ingestion_rate_mb": 64, "ingestion_burst_size_mb": 128,
                          "max_streams_per_user": 0, "max_global_streams_per_user": 0},
        "ruler": {"storage": {"type": "local", "local": {"directory": str(base / "rules")}},
                  "rule_path": str(base / "rules-temp"), "ring": ring},
        # Per-tenant limits an operator changes at run time (Loki re-reads the file): the logs-missing fault.
        "runtime_config": {"file": str(layout.config / "loki-overrides.yaml"), "period": "2s"},
    }


def loki_overrides(refuse_pushes: bool = False) -> dict:
    """Loki's runtime overrides; refusing pushes sets the tenant's ingestion rate so low that every push is
    rejected (HTTP 429), as a mis-sized limit does in production."""
    if not refuse_pushes:
        return {"overrides": {}}
    return {"overrides": {"fake": {"ingestion_rate_mb": 0.000001, "ingestion_burst_size_mb": 0.000001}}}


BLACKBOX = {"modules": {"http_2xx": {"prober": "http", "timeout": "3s", "http": {"preferred_ip_protocol": "ip4"}}}}


def critical_services() -> list[str]:
    return [s.name for s in SERVICES if s.critical]


def monitored() -> list[tuple[str, str]]:
    return [(s.namespace, s.name) for s in SERVICES if s.monitored]


def dump(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    tmp.replace(path)


def reload_prometheus(layout: Layout) -> None:
    requests.post(layout.url("prometheus") + "/-/reload", timeout=10).raise_for_status()


def prometheus_value(layout: Layout, promql: str) -> float | None:
    """The first value an instant query answers, or None when it answers no series."""
    result = requests.get(layout.url("prometheus") + "/api/v1/query", params={"query": promql},
                          timeout=5).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def write_prometheus(layout: Layout, monitors: list[tuple[str, str]]) -> None:
    dump(layout.config / "prometheus.yml", prometheus_config(layout, monitors))


def write_alertmanager(layout: Layout, config: dict) -> None:
    dump(layout.config / "alertmanager.yml", config)


def write_all(layout: Layout) -> None:
    cfg = layout.config
    (cfg / "rules").mkdir(parents=True, exist_ok=True)
    write_prometheus(layout, monitored())
    dump(cfg / "rules" / "platform-alerts.yml", alert_rules(critical_services()))
    dump(cfg / "rules" / "slo.yml", slo_rules())
    write_alertmanager(layout, alertmanager_config(layout))
    dump(cfg / "loki.yaml", loki_config(layout))
    dump(cfg / "loki-overrides.yaml", loki_overrides())
    dump(cfg / "kafka-exporter.yaml", data_services.kafka_exporter_config(layout))
    dump(cfg / "blackbox.yml", BLACKBOX)
    (cfg / "kwok.yaml").write_text("---\n".join([kwok_options(layout.workers), KWOK_USAGE, *(
        (layout.bin / f"kwok-{name}.yaml").read_text() for name in KWOK_UPSTREAM)]))
    board_dir = cfg / "dashboards"
    if board_dir.exists():
        shutil.rmtree(board_dir)
    board_dir.mkdir()
    for board in dashboards.all_dashboards():
        (board_dir / f"{board['uid']}.json").write_text(json.dumps(board, indent=1))
