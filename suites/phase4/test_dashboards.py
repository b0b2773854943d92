"""P4-DASHBOARDS and P4-SLO: dashboards are there, datasources answer, and SLOs are tracked."""
from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_query, attach_table
from readiness.verdict import fail, require_data


@criterion("P4-DASHBOARDS", 4, "6+ Grafana dashboards active", severity="normal",
           requirement="Grafana is healthy, has at least the profile's minimum of dashboards (6) including the "
                       "required ones, and its Prometheus and Loki datasources pass their health checks.",
           next_step="Import the dashboards (provisioning ConfigMaps); fix the datasource URL named in the "
                     "health message.", needs=("grafana",))
def test_dashboards_present_and_datasources_healthy(grafana, profile):
    spec = profile.phase4.dashboards
    health = grafana.health()
    problems = []
    if health.get("database") not in (None, "ok"):
        problems.append(f"grafana: database {health.get('database')}")
    boards = grafana.dashboards()
    attach_table("dashboards", ["uid", "title", "tags"], [[b.get("uid"), b.get("title"), " ".join(b.get("tags", []))]
                                                         for b in boards])
    if len(boards) < spec.minimum:
        problems.append(f"grafana: {len(boards)} dashboards, expected at least {spec.minimum}")
    uids = {b.get("uid") for b in boards}
    problems += [f"dashboard {uid}: not found in Grafana" for uid in spec.required if uid not in uids]
    sources = grafana.datasources()
    for ds_type in spec.datasources:
        matching = [d for d in sources if d.get("type") == ds_type]
        if not matching:
            problems.append(f"grafana: no {ds_type} datasource")
        for ds in matching:
            result = grafana.datasource_health(ds["uid"])
            attach_json(f"datasource {ds['name']} health", result)
            if str(result.get("status")).upper() != "OK":
                problems.append(f"datasource {ds['name']} ({ds_type}): {result.get('status')} "
                                f"({result.get('message', 'no message')})")
    fail(problems)


@criterion("P4-SLO", 4, "SLO tracking dashboard active", severity="critical",
           requirement="The profile's SLO recording rule returns a value for each critical service, and the SLO "
                       "dashboard exists in Grafana.",
           next_step="Load the SLO recording rules (PrometheusRule) and import the SLO dashboard.",
           needs=("prometheus", "grafana"))
def test_slo_recorded_for_critical_services_and_dashboard_exists(prometheus, grafana, profile):
    spec = profile.phase4.slo
    result = prometheus.query(spec.record)
    attach_query("SLO recording rule", "PromQL", spec.record, result)
    covered = {series["metric"].get(spec.service_label): float(series["value"][1]) for series in result}
    problems = [f"service {w.ref}: no {spec.record} series with {spec.service_label}={w.name}"
                for w in profile.platform.critical if w.name not in covered]
    boards = grafana.dashboards()
    require_data(boards, "grafana dashboards", "/api/search")
    if spec.dashboard not in {b.get("uid") for b in boards}:
        problems.append(f"dashboard {spec.dashboard}: SLO dashboard not found in Grafana")
    fail(problems)
