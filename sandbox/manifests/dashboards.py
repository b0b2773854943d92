"""Grafana dashboard JSON (schema 39) served by the sandbox's Grafana stand-in."""
from __future__ import annotations


def _panel(pid: int, title: str, expr: str, datasource: str = "prometheus", kind: str = "timeseries") -> dict:
    ds_type = "loki" if datasource == "loki" else "prometheus"
    return {"id": pid, "type": kind, "title": title, "datasource": {"type": ds_type, "uid": datasource},
            "gridPos": {"h": 8, "w": 12, "x": 12 * ((pid - 1) % 2), "y": 8 * ((pid - 1) // 2)},
            "targets": [{"refId": "A", "expr": expr, "datasource": {"type": ds_type, "uid": datasource}}]}


def dashboard(uid: str, title: str, tags: list[str], panels: list[tuple]) -> dict:
    return {"uid": uid, "title": title, "tags": tags, "schemaVersion": 39, "version": 1, "editable": False,
            "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
            "panels": [_panel(i, *p) for i, p in enumerate(panels, 1)]}


def all_dashboards() -> list[dict]:
    return [
        dashboard("platform-overview", "254Carbon Platform Overview", ["platform", "overview"], [
            ("Targets up", 'sum(up{tier="platform"})', "prometheus", "stat"),
            ("Pods per namespace", 'count by (namespace) (up{tier="platform"})')]),
        dashboard("kubernetes-cluster", "Kubernetes Cluster", ["kubernetes"], [
            ("API server requests", "sum(rate(apiserver_request_total[5m])) by (code)"),
            ("Scheduler attempts", "sum(rate(scheduler_schedule_attempts_total[5m])) by (result)")]),
        dashboard("trino-query-engine", "Trino Query Engine", ["trino", "data"], [
            ("Trino pods up", 'sum(up{job="trino"})', "prometheus", "stat"),
            ("Requests", 'sum(rate(http_requests_total{job="trino"}[5m]))')]),
        dashboard("kafka-streaming", "Kafka Streaming", ["kafka", "data"], [
            ("Brokers up", 'sum(up{job="kafka"})', "prometheus", "stat")]),
        dashboard("postgresql-database", "PostgreSQL", ["postgresql", "database"], [
            ("pg_up", "pg_up", "prometheus", "stat"),
            ("Connections", "sum(pg_stat_database_numbackends)")]),
        dashboard("logs-explorer", "Platform Logs", ["logs", "loki"], [
            ("Log lines per namespace", 'sum by (namespace) (count_over_time({namespace=~".+"}[5m]))', "loki")]),
        dashboard("slo-tracking", "SLO Tracking", ["slo", "availability"], [
            ("Availability (1h)", "slo:service_availability:ratio_rate1h", "prometheus", "table"),
            ("Error budget remaining", "slo:service_error_budget_remaining:ratio")]),
    ]
