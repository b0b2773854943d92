"""P4-DASHBOARDS and P4-SLO: dashboards are there, datasources answer, and SLOs are tracked.

P4-SLO judges the SLO recording rule on current data, per critical service: the raw series the rule reads
(``phase4.slo.series``) must hold a sample for the service in the last hour (else failed: the SLO has no input)
that is at most ``prometheus.max_sample_age_s`` old (else broken: nothing is known about the present); with its
input current, the record itself must be current too (a rule that is not loaded, or no longer evaluated, fails).
Its value must be an availability ratio: NaN (nothing counted in the rule's window, or a NaN input) is no SLO
figure and fails, as does anything outside 0 to 1, ±Inf included. A closed gap inside the rule's window is not
P4-SLO's question (the record is live); P8-AVAILABILITY counts gaps against the objective over its long window.
"""
import dataclasses
import math

from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_query, attach_table
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_data, require_listed
from suites.prometheus_data import AGE_HORIZON, Source, freshness
from suites.scraped import value_shown


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


def _slo_problems(prometheus, spec, critical, max_age_s: float) -> tuple[list[str], CouldNotLook | None]:
    """Each critical service's SLO record, current and a ratio, on current input; and the input's staleness."""
    label, names = spec.service_label, tuple(w.name for w in critical)
    raw = freshness(prometheus, Source(spec.series, label, names), AGE_HORIZON, max_age_s, "SLO input")
    raw = dataclasses.replace(raw, ages={g: age for g, age in raw.ages.items() if g in names})
    try:
        recorded = freshness(prometheus, Source(spec.record, label), AGE_HORIZON, max_age_s, "SLO record").ages
    except CouldNotLook as exc:
        if exc.kind != "empty":
            raise
        recorded = {}       # the input is there: no record at all is the rule's failure, not blindness
    result = prometheus.query(spec.record)
    attach_query("SLO recording rule", "PromQL", spec.record, result)
    values: dict[str, list[float]] = {}
    for series in result:
        values.setdefault(series["metric"].get(label, ""), []).append(float(series["value"][1]))
    problems, rows = [], []
    for w in critical:
        record = f"{spec.record} series with {label}={w.name}"
        input_age, record_age = raw.ages.get(w.name), recorded.get(w.name)
        rows.append([w.ref, "none" if input_age is None else f"{shown(input_age)} ago",
                     "none" if record_age is None else f"{shown(record_age)} ago",
                     " ".join(value_shown(v) for v in values.get(w.name, [])) or "-"])
        if input_age is None:
            problems.append(f"service {w.ref}: no {spec.series} sample with {label}={w.name} in the last "
                            f"{AGE_HORIZON}: its SLO has no input")
        elif input_age > max_age_s:
            continue            # stale input: broken unless something else fails (raw.stale() names it)
        elif record_age is None:
            problems.append(f"service {w.ref}: no {record} in the last {AGE_HORIZON}, although its "
                            f"{spec.series} is current (the recording rule is not loaded, or drops {label})")
        elif record_age > max_age_s or w.name not in values:
            problems.append(f"service {w.ref}: no {record} within {shown(max_age_s)} (newest sample "
                            f"{shown(record_age)} old), although its {spec.series} is current: the recording rule "
                            "is no longer evaluated")
        else:
            for value in values[w.name]:
                if math.isnan(value):
                    problems.append(f"service {w.ref}: {spec.record} is NaN (nothing counted in its window, or "
                                    "its input is NaN), expected an availability ratio")
                elif not 0 <= value <= 1:
                    problems.append(f"service {w.ref}: {spec.record} is {value_shown(value)}, expected an availability "
                                    "ratio between 0 and 1")
    attach_table("SLO per critical service", ["service", "newest input", "newest record", "record"], rows)
    return problems, raw.stale()


@criterion("P4-SLO", 4, "SLO tracking dashboard active", severity="critical",
           requirement="For each critical service, the raw series the profile's SLO recording rule reads is "
                       "current, and the rule's record is current and an availability ratio (a number from 0 to "
                       "1, not NaN); the SLO dashboard exists in Grafana (whether the objective is met is "
                       "P8-AVAILABILITY's question, over its longer window).",
           next_step="Load the SLO recording rules (PrometheusRule) and import the SLO dashboard; a stale input "
                     "means the probes (or Prometheus' scraping) stopped; a NaN means the rule's window holds no "
                     "probe or request at all.",
           needs=("prometheus", "grafana"), profile_keys=("phase4.slo", "prometheus.max_sample_age_s"))
def test_slo_recorded_for_critical_services_and_dashboard_exists(prometheus, grafana, profile):
    spec = profile.phase4.slo
    critical = profile.platform.critical
    require_listed(critical, "platform.workloads[].critical", "critical workloads", "P4-SLO")
    try:
        problems, blind = _slo_problems(prometheus, spec, critical, profile.prometheus.max_sample_age_s)
    except CouldNotLook as exc:
        problems, blind = [], exc
    try:
        boards = grafana.dashboards()
        require_data(boards, "grafana dashboards", "/api/search")
        if spec.dashboard not in {b.get("uid") for b in boards}:
            problems.append(f"dashboard {spec.dashboard}: SLO dashboard not found in Grafana")
    except CouldNotLook as exc:
        blind = blind or exc
    if blind:
        fail_first(problems, blind)
    fail(problems)
