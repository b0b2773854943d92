"""P4-DASHBOARDS and P4-SLO: dashboards are there, datasources answer, and SLOs are tracked."""
import math

from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_query, attach_table
from readiness.verdict import CouldNotLook, fail, fail_first, require_data, require_listed


@criterion("P4-DASHBOARDS", 4, "Grafana dashboards active", severity="normal",
           requirement="Grafana is healthy (its health answer says database ok), has at least the profile's "
                       "minimum of dashboards including the required ones, and its datasources of the profile's "
                       "types pass their health checks.",
           next_step="Import the dashboards (provisioning ConfigMaps); fix the datasource URL named in the "
                     "health message.", needs=("grafana",), profile_keys=("phase4.dashboards",))
def test_dashboards_present_and_datasources_healthy(grafana, profile):
    spec = profile.phase4.dashboards
    health = grafana.health()
    attach_json("grafana /api/health", health)
    if not isinstance(health, dict) or "database" not in health:
        raise CouldNotLook("grafana", f"{grafana.url}/api/health has no 'database' field (is this really "
                                      f"Grafana?): {str(health)[:120]}", "invalid")
    problems = []
    if health["database"] != "ok":
        problems.append(f"grafana: database {health['database']!r}, expected 'ok'")
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
           requirement="The profile's SLO recording rule returns a number for each critical service, and the SLO "
                       "dashboard exists in Grafana (whether the objective is met is P8-AVAILABILITY's question, "
                       "over its longer window).",
           next_step="Load the SLO recording rules (PrometheusRule) and import the SLO dashboard; a NaN means the "
                     "rule's window holds no probe or request at all.",
           needs=("prometheus", "grafana"), profile_keys=("phase4.slo",))
def test_slo_recorded_for_critical_services_and_dashboard_exists(prometheus, grafana, profile):
    spec = profile.phase4.slo
    critical = profile.platform.critical
    require_listed(critical, "platform.workloads[].critical", "critical workloads", "P4-SLO")
    result = prometheus.query(spec.record)
    attach_query("SLO recording rule", "PromQL", spec.record, result)
    values: dict[str, list[float]] = {}
    for series in result:
        values.setdefault(series["metric"].get(spec.service_label), []).append(float(series["value"][1]))
    problems = []
    for w in critical:
        seen = values.get(w.name)
        if not seen:
            problems.append(f"service {w.ref}: no {spec.record} series with {spec.service_label}={w.name}")
            continue
        for value in seen:
            if math.isnan(value):
                problems.append(f"service {w.ref}: {spec.record} is NaN (no requests counted in its window)")
    try:
        boards = grafana.dashboards()
        require_data(boards, "grafana dashboards", "/api/search")
    except CouldNotLook as exc:
        fail_first(problems, exc)
    if spec.dashboard not in {b.get("uid") for b in boards}:
        problems.append(f"dashboard {spec.dashboard}: SLO dashboard not found in Grafana")
    fail(problems)
