"""P4-ALERT-DELIVERY (opt-in): a synthetic alert really reaches its receivers."""
import time
import uuid

import pytest
import requests

from readiness import alert_routing
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import CouldNotLook, fail

POLL_S = 1.0


def _counters(url: str) -> dict[tuple[str, str], float]:
    """alertmanager_notifications_(failed_)total per integration, read from Alertmanager's own /metrics."""
    try:
        text = requests.get(f"{url}/metrics", timeout=10).text
    except requests.RequestException as exc:
        raise CouldNotLook("alertmanager", f"GET {url}/metrics: {exc.__class__.__name__}") from None
    found = {}
    for line in text.splitlines():
        for name in ("alertmanager_notifications_total", "alertmanager_notifications_failed_total"):
            if line.startswith(name + "{"):
                integration = line.split('integration="', 1)[1].split('"', 1)[0]
                found[(name, integration)] = found.get((name, integration), 0.0) + float(line.rsplit(" ", 1)[1])
    if not found:
        raise CouldNotLook("alertmanager", f"{url}/metrics has no notification counters", "invalid")
    return found


def _sinks(url: str, marker: str) -> set[str]:
    rows = requests.get(f"{url}/received", timeout=10).json()
    return {r["kind"] for r in rows if marker in str(r["payload"])}


@pytest.mark.sends_notification
@criterion("P4-ALERT-DELIVERY", 4, "Alert delivery end to end", severity="normal",
           requirement="A synthetic alert with the profile's delivery labels, posted to Alertmanager, is "
                       "notified through every integration of its receivers without a failed notification "
                       "(and, where the profile names a sink, is observed arriving there).",
           next_step="Check the receiver's credentials and network egress; Alertmanager logs name the failing "
                     "integration.", needs=("alertmanager",))
def test_synthetic_alert_reaches_receivers(alertmanager, profile):
    spec = profile.phase4.alerting
    marker = f"ReadinessProbe-{uuid.uuid4().hex[:8]}"
    before = _counters(alertmanager.url)
    labels = {"alertname": marker, **spec.delivery_labels}
    alertmanager.post_alert(labels, {"summary": "synthetic alert from the production-readiness suite"})
    tree, receivers = alert_routing.parse_config(alertmanager.config_yaml())
    routed = alert_routing.receivers_for(tree, labels)
    expected = {i for i, names in alert_routing.integrations(
        {n: r for n, r in receivers.items() if n in routed}).items()}
    deadline = time.monotonic() + spec.delivery_deadline_s
    while True:
        after = _counters(alertmanager.url)
        sent = {i for i in expected if after.get(("alertmanager_notifications_total", i), 0)
                > before.get(("alertmanager_notifications_total", i), 0)}
        failed = {i for i in expected if after.get(("alertmanager_notifications_failed_total", i), 0)
                  > before.get(("alertmanager_notifications_failed_total", i), 0)}
        arrived = _sinks(spec.sinks_url, marker) if spec.sinks_url else expected
        if (sent == expected and arrived >= expected) or failed or time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    attach_json("delivery", {"labels": labels, "routed_to": routed, "integrations": sorted(expected),
                             "sent": sorted(sent), "failed": sorted(failed), "observed_at_sinks": sorted(arrived)})
    problems = [f"integration {i}: notification failed (alertmanager_notifications_failed_total rose)"
                for i in sorted(failed)]
    problems += [f"integration {i}: nothing sent within {spec.delivery_deadline_s}s"
                 for i in sorted(expected - sent - failed)]
    problems += [f"integration {i}: sent but not observed at {spec.sinks_url}"
                 for i in sorted(expected - arrived - failed)]
    if spec.delivery_receivers and sorted(routed) != sorted(spec.delivery_receivers):
        problems.append(f"alert {labels}: routed to {', '.join(routed)}, expected "
                        f"{', '.join(spec.delivery_receivers)}")
    fail(problems)
