"""P8-AVAILABILITY: each critical service met its availability objective over the long window, on probe data
that is current and covers the window.

The window is cut into steps of the probes' interval. A step counts as up when every probe series of the
service holds a sample within two intervals and all of them succeeded. Steps without a sample are gaps: they
count as down (``gaps: down``, the default) or are left out (``gaps: excluded``), and either way the share of
steps holding a sample must reach ``min_coverage`` (default: the objective), so a week-long hole or a probe that
stopped ten days ago is never read as 100%.

Adversarial table P8-AVAILABILITY:
- hole-in-window: ten days without probe data in the middle of the 30-day window; the average of the samples
  present is 100%
- vanished: the probe series ended ten days ago; its last 20 days were all up
- never-probed: a critical service has no probe series at all; every other service is at 100%
- unlabelled-probes: relabeling lost the service label: probes exist, none is the service's
- nan-results: the probe series holds NaN, which compares false with every objective
- outage-20h: a recorded 20-hour outage in 30 days (97.2%)
- short-history: six days of data when the profile asks for at least seven
- one-probe-failing: one of two probes of a service failed for a tenth of the window: averaging the two halves
  the outage
"""

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_listed
from suites.prometheus_data import Source, coverage, freshness


def judged(spec, steps, objective: float, min_coverage: float) -> tuple[float, str | None]:
    """(availability, the problem if any) of one service's steps."""
    availability = steps.total / (steps.steps if spec.gaps == "down" else max(steps.present, 1))
    covered = (f"{steps.share:.1%} of the {shown(steps.span_s)} window's {steps.steps} steps of "
               f"{spec.interval} hold a probe result")
    if steps.span_s < spec.min_coverage_s:
        return availability, (f"only {shown(steps.span_s)} of probe data in the {spec.window} window, expected at "
                              f"least {shown(spec.min_coverage_s)}")
    if steps.share < min_coverage:
        return availability, (f"{covered}, expected at least {min_coverage:.2%} (gaps in the probe data count "
                              f"{'as down' if spec.gaps == 'down' else 'as unknown'})")
    if availability < objective:
        budget = 1 - (1 - availability) / (1 - objective) if objective < 1 else 0.0
        return availability, (f"availability {availability:.4%} over {shown(steps.span_s)}, below the objective "
                              f"{objective:.3%} (error budget left {budget:.0%}; {covered})")
    return availability, None


@criterion("P8-AVAILABILITY", 8, "Availability objective demonstrated", severity="blocker",
           requirement="Each critical service's probe data is current and covers the profile's window (or at "
                       "least its minimum span of it) with at most the allowed share of gaps, and its availability "
                       "over that window, as its probes saw it, is at least the objective; the figure and the "
                       "error budget left are reported per service.",
           next_step="Open the SLO dashboard for the service below objective: the probe failures in the window "
                     "name the outages; gaps mean the probes or Prometheus were down; a short span means "
                     "Prometheus' retention or the probes are too new.",
           needs=("prometheus",), profile_keys=("phase8.availability", "platform.workloads",
                                                "prometheus.max_sample_age_s"))
def test_critical_services_meet_availability_objective(prometheus, profile):
    spec = profile.phase8.availability
    critical = profile.platform.critical
    require_listed(critical, "platform.workloads[].critical", "critical workloads", "P8-AVAILABILITY")
    source = Source(spec.series, spec.service_label, tuple(w.name for w in critical))
    fresh = freshness(prometheus, source, spec.window, profile.prometheus.max_sample_age_s, "probe data")
    by_service = coverage(prometheus, source, spec.window, spec.interval, "probe data")
    min_coverage = spec.min_coverage or spec.objective
    problems, rows, impossible = fresh.missing(), [], []
    for w in critical:
        steps = by_service.get(w.name)
        if w.name not in fresh.current() or steps is None:
            continue        # missing or stale: named above
        if not 0 <= steps.total <= steps.present <= steps.steps:     # NaN too
            impossible.append(f"service {w.ref}: {steps.total:g} steps up of {steps.present:g} with a result, "
                              f"of {steps.steps}")
            continue
        availability, problem = judged(spec, steps, spec.objective, min_coverage)
        rows.append([w.ref, f"{availability:.5%}", f"{spec.objective:.3%}", f"{steps.share:.2%}",
                     shown(steps.span_s), shown(fresh.ages[w.name])])
        if problem:
            problems.append(f"service {w.ref}: {problem}")
    attach_table("availability per critical service",
                 ["service", "availability", "objective", "steps with data", "span", "newest sample"], rows)
    if impossible:
        fail_first(problems, CouldNotLook("probe data", f"{'; '.join(impossible)}: {spec.series} is not a 0/1 "
                                                        "probe result (NaN or other values)", "invalid"))
    stale = fresh.stale()
    if stale:
        fail_first(problems, stale)
    fail(problems)
