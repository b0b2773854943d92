"""P4-ALERT-ROUTES: the live Alertmanager configuration routes each case to the expected receivers, and no
notification failed in the lookback window.

Failed notifications are counted from Alertmanager's own counter, ``alertmanager_notifications_failed_total``,
on current and complete data: a counter for each integration the profile names must be there (else failed),
its newest sample at most ``prometheus.max_sample_age_s`` old (else broken), and its samples must reach back to
the window's start (within that age), since ``increase()`` cannot see what rose before its first sample in the
window (else broken). Gaps inside the window hide nothing (a counter only grows; a restart's reset is handled by
``increase()``). An increase that is NaN or ±Inf is no count: broken, never "no failures".
"""
import math

from readiness import alert_routing
from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_query, attach_text
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_listed
from suites.prometheus_data import AGE_HORIZON, Source, coverage_queries, freshness
from suites.scraped import value_shown

FAILED = "alertmanager_notifications_failed_total"


def _failed_notifications(prometheus, spec, max_age_s: float) -> tuple[list[str], CouldNotLook | None]:
    """Failures per integration in the lookback window; and why they could not all be counted (counters missing
    from Prometheus altogether, stale, not covering the window, not a number), if so."""
    window, source = spec.failed_notifications_lookback_s, Source(FAILED, "integration", tuple(spec.integrations))
    fresh = freshness(prometheus, source, AGE_HORIZON, max_age_s, "failed notifications")
    step = f"{max(1, int(max_age_s // 2))}s"      # a step holds data when a sample is within max_age_s of it
    covered = coverage_queries(source, f"{window}s", step)["span"]
    result = prometheus.query(covered)
    attach_query("failed notifications: seconds of the window since the first sample", "PromQL", covered, result)
    spans = {source.group(s["metric"]): float(s["value"][1]) for s in result}
    query = f"sum by (integration) (increase({FAILED}[{window}s]))"
    failed = prometheus.query(query)
    attach_query("failed notifications", "PromQL", query, failed)
    problems, blind = fresh.missing(), []
    for integration in sorted(fresh.current()):
        span = spans.get(integration, 0.0)
        if span < window - max_age_s:
            blind.append(f"{source.named(integration)}: samples cover only the last {shown(span)} of the "
                         f"{shown(window)} window, so failures before them cannot be counted")
    for series in sorted(failed, key=lambda s: s["metric"].get("integration", "")):
        integration, count = series["metric"].get("integration", ""), float(series["value"][1])
        if not math.isfinite(count):
            blind.append(f"{source.named(integration)}: its increase over {shown(window)} is {value_shown(count)}, "
                         "no count")
        elif count > 0:
            problems.append(f"alertmanager integration {integration}: {count:.0f} failed notifications in the last "
                            f"{window}s")
    if blind:
        return problems, CouldNotLook("failed notifications", "; ".join(blind), "invalid")
    return problems, fresh.stale()


def _tree(alertmanager):
    text = alertmanager.config_yaml()
    try:
        return text, *alert_routing.parse_config(text)
    except alert_routing.RoutingError as exc:
        raise CouldNotLook("alertmanager", f"cannot read the live configuration: {exc}", "invalid") from None


@criterion("P4-ALERT-ROUTES", 4, "Alerts routed to their receivers", severity="critical",
           requirement="For each routing case of the profile (alert labels -> expected receivers), the live "
                       "Alertmanager configuration routes exactly as expected (evaluated as amtool config routes "
                       "test does); each integration the profile names (email, PagerDuty, Slack ...) is "
                       "configured; no notification failed in the lookback window, counted on failure counters "
                       "that are current for each of those integrations and cover the window.",
           next_step="Fix the route order, matchers or 'continue' flags in alertmanager.yaml; check the failing "
                     "integration's credentials.", needs=("alertmanager", "prometheus"),
           profile_keys=("phase4.alerting", "prometheus.max_sample_age_s"))
def test_live_routes_match_profile_and_notifications_succeed(alertmanager, prometheus, profile):
    spec = profile.phase4.alerting
    require_listed(spec.routing, "phase4.alerting.routing", "routing cases", "P4-ALERT-ROUTES")
    text, tree, receivers = _tree(alertmanager)
    attach_text("live alertmanager.yaml", text)
    problems, decisions = [], []
    for case in spec.routing:
        got = alert_routing.receivers_for(tree, case.labels)
        decisions.append({"case": case.name, "labels": case.labels, "expected": case.receivers, "routed": got})
        if sorted(got) != sorted(case.receivers):
            problems.append(f"route case {case.name!r} {case.labels}: routed to {', '.join(got) or 'nothing'}, "
                            f"expected {', '.join(case.receivers)}")
    attach_json("route decisions", decisions)
    configured = alert_routing.integrations(receivers)
    for integration in spec.integrations:
        if integration not in configured:
            problems.append(f"alertmanager: no receiver has a {integration} integration")
    try:
        failed, blind = _failed_notifications(prometheus, spec, profile.prometheus.max_sample_age_s)
    except CouldNotLook as exc:
        failed, blind = [], exc
    problems += failed
    if blind:
        fail_first(problems, blind)
    fail(problems)
