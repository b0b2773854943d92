"""P4-ALERT-ROUTES: the live Alertmanager configuration routes each case to the expected receivers."""
from readiness import alert_routing
from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_query, attach_text
from readiness.verdict import CouldNotLook, fail, fail_first, require_listed


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
                       "configured; no notification failed in the lookback window.",
           next_step="Fix the route order, matchers or 'continue' flags in alertmanager.yaml; check the failing "
                     "integration's credentials.", needs=("alertmanager", "prometheus"),
           profile_keys=("phase4.alerting",))
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
    window = spec.failed_notifications_lookback_s
    query = f"sum by (integration) (increase(alertmanager_notifications_failed_total[{window}s])) > 0"
    try:
        if not prometheus.query("count(alertmanager_notifications_total)"):
            raise CouldNotLook("prometheus", "no alertmanager_notifications_total series: Alertmanager is not "
                                             "scraped, so failed notifications cannot be counted", "empty")
        failed = prometheus.query(query)
    except CouldNotLook as exc:
        fail_first(problems, exc)
    attach_query("failed notifications", "PromQL", query, failed)
    for series in failed:
        problems.append(f"alertmanager integration {series['metric'].get('integration')}: "
                        f"{float(series['value'][1]):.0f} failed notifications in the last {window}s")
    fail(problems)

