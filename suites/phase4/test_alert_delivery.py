"""P4-ALERT-DELIVERY (opt-in): a synthetic alert really reaches its receivers."""
import time
import uuid

from fixtures.monitoring import received_at_sink
from readiness import alert_routing
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import CouldNotLook, fail

POLL_S = 1.0
SENT, FAILED = "alertmanager_notifications_total", "alertmanager_notifications_failed_total"


def _rose(before: dict, after: dict, counter: str, integrations: set[str]) -> set[str]:
    return {i for i in integrations if after.get((counter, i), 0) > before.get((counter, i), 0)}


@criterion("P4-ALERT-DELIVERY", 4, "Alert delivery end to end", severity="normal", notifies=True,
           requirement="A synthetic alert with the profile's delivery labels and a unique name, posted to "
                       "Alertmanager, is routed to receivers with integrations, stays active (not silenced or "
                       "inhibited), and is observed arriving through every integration of its receivers at the "
                       "profile's sink, with no notification failing meanwhile. Without a sink, arrival of this "
                       "very alert cannot be confirmed: the criterion is then broken, never passed.",
           next_step="Check the receiver's credentials and network egress; Alertmanager logs name the failing "
                     "integration.", needs=("alertmanager",), profile_keys=("phase4.alerting",))
def test_synthetic_alert_reaches_receivers(alertmanager, profile):
    spec = profile.phase4.alerting
    try:
        tree, receivers = alert_routing.parse_config(alertmanager.config_yaml())
    except alert_routing.RoutingError as exc:
        raise CouldNotLook("alertmanager", f"cannot read the live configuration: {exc}", "invalid") from None
    marker = f"ReadinessProbe-{uuid.uuid4().hex[:8]}"
    labels = {"alertname": marker, **spec.delivery_labels}
    routed = alert_routing.receivers_for(tree, labels)
    expected = set(alert_routing.integrations({n: r for n, r in receivers.items() if n in routed}))
    problems = []
    if spec.delivery_receivers and sorted(set(routed)) != sorted(spec.delivery_receivers):
        problems.append(f"alert {labels}: routed to {', '.join(routed)}, expected {', '.join(spec.delivery_receivers)}")
    if not expected:
        fail(problems + [f"alert {labels}: routed to {', '.join(routed)}, which have no integration: nothing "
                         "would be notified"])
    before = alertmanager.notification_counters()
    alertmanager.post_alert(labels, {"summary": "synthetic alert from the production-readiness suite"})
    deadline = time.monotonic() + spec.delivery_deadline_s
    states, arrived = [], set()
    try:
        while True:
            after = alertmanager.notification_counters()
            sent, failed = _rose(before, after, SENT, expected), _rose(before, after, FAILED, expected)
            states = [a.get("status", {}).get("state") for a in alertmanager.live_alerts(marker)]
            if spec.sinks_url:
                arrived = received_at_sink(spec.sinks_url, marker) & expected
            done = arrived == expected if spec.sinks_url else sent == expected
            if done or failed or "suppressed" in states or time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
    finally:
        alertmanager.post_alert(labels, {"summary": "resolved by the production-readiness suite"}, ends_in_s=0)
    attach_json("delivery", {"labels": labels, "routed_to": routed, "integrations": sorted(expected),
                             "alert_states": states, "sent_counters_rose": sorted(sent),
                             "failed_counters_rose": sorted(failed), "observed_at_sink": sorted(arrived),
                             "sink": spec.sinks_url})
    if not states:
        problems.append(f"alert {marker}: not found in Alertmanager after it was posted")
    if "suppressed" in states:
        problems.append(f"alert {marker}: suppressed (silenced or inhibited), so it is not delivered")
    problems += [f"integration {i}: a notification failed while the probe alert was in flight "
                 "(alertmanager_notifications_failed_total rose)" for i in sorted(failed)]
    if spec.sinks_url:
        problems += [f"integration {i}: the probe alert was not observed at {spec.sinks_url} within "
                     f"{spec.delivery_deadline_s}s" for i in sorted(expected - arrived - failed)]
    else:
        problems += [f"integration {i}: nothing sent within {spec.delivery_deadline_s}s"
                     for i in sorted(expected - sent - failed)]
    fail(problems)
    if not spec.sinks_url:
        raise CouldNotLook("alert delivery", f"Alertmanager sent through {', '.join(sorted(sent))}, but counters "
                                             "count every alert's notifications; without phase4.alerting.sinks_url "
                                             "nothing confirms this alert arrived", "unconfirmed")
