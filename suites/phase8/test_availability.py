"""P8-AVAILABILITY: each critical service met its availability objective over the long window."""
import math

from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.timing import prom_duration_s, shown
from readiness.verdict import fail, require_data, require_listed

SUBQUERY_POINTS = 500      # resolution of the first-sample search: the window in this many steps


def queries(spec) -> tuple[str, str]:
    label, window = spec.service_label, spec.window
    window_s = prom_duration_s(window) or 0
    step = max(int(window_s / SUBQUERY_POINTS), 1)
    return (f"avg by ({label}) (avg_over_time({spec.series}[{window}]))",
            f"max by ({label}) (time() - min_over_time(timestamp({spec.series})[{window}:{step}s]))")


@criterion("P8-AVAILABILITY", 8, "Availability objective demonstrated", severity="blocker",
           requirement="Each critical service's availability over the profile's window (or as much of it as "
                       "Prometheus holds, at least the profile's minimum coverage), as its probes saw it, is at "
                       "least the objective; the figure and the error budget left are reported per service.",
           next_step="Open the SLO dashboard for the service below objective: the probe failures in the window "
                     "name the outages; a short coverage means Prometheus' retention or the probes are too new.",
           needs=("prometheus",), profile_keys=("phase8.availability", "platform.workloads"))
def test_critical_services_meet_availability_objective(prometheus, profile):
    spec = profile.phase8.availability
    critical = profile.platform.critical
    require_listed(critical, "platform.workloads[].critical", "critical workloads", "P8-AVAILABILITY")
    ratio_query, coverage_query = queries(spec)
    ratios, coverage = prometheus.query(ratio_query), prometheus.query(coverage_query)
    attach_query("availability over the window", "PromQL", ratio_query, ratios)
    attach_query("data coverage of the window (seconds)", "PromQL", coverage_query, coverage)
    require_data(ratios, f"availability of {spec.series}", "Prometheus")
    by_service = {s["metric"].get(spec.service_label): float(s["value"][1]) for s in ratios}
    covered = {s["metric"].get(spec.service_label): float(s["value"][1]) for s in coverage}
    problems, rows = [], []
    for w in critical:
        value, span = by_service.get(w.name), covered.get(w.name, 0.0)
        if value is None or math.isnan(value):
            problems.append(f"service {w.ref}: no {spec.series} series with {spec.service_label}={w.name}")
            continue
        budget = 1 - (1 - value) / (1 - spec.objective) if spec.objective < 1 else (1.0 if value >= 1 else 0.0)
        rows.append([w.ref, f"{value:.5%}", f"{spec.objective:.3%}", f"{budget:.1%}", shown(span)])
        if span < spec.min_coverage_s:
            problems.append(f"service {w.ref}: only {shown(span)} of probe data in the {spec.window} window, "
                            f"expected at least {shown(spec.min_coverage_s)}")
        elif value < spec.objective:
            problems.append(f"service {w.ref}: availability {value:.4%} over {shown(span)}, below the objective "
                            f"{spec.objective:.3%} (error budget left {budget:.0%})")
    attach_table("availability per critical service",
                 ["service", "availability", "objective", "error budget left", "data covers"], rows)
    fail(problems)
