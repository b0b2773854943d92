"""P8-NO-CRITICAL-ALERTS: no alert of the profile's severities is firing unsilenced."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import CouldNotLook, fail


def _labels(alert: dict) -> str:
    labels = {k: v for k, v in (alert.get("labels") or {}).items() if k not in ("alertname", "severity")}
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


@criterion("P8-NO-CRITICAL-ALERTS", 8, "No critical alerts firing", severity="blocker",
           requirement="Alertmanager holds the always-firing heartbeat alert (so alerts do reach it), and no "
                       "active, unsilenced and uninhibited alert of the profile's severities; silenced ones are "
                       "listed apart with who silenced them and until when.",
           next_step="Open Alertmanager: each firing alert names its runbook; fix the cause (a silence only "
                     "hides it, and is listed in the report).",
           needs=("alertmanager",), profile_keys=("phase8.alert_severities", "phase8.heartbeat_alert"))
def test_no_critical_alert_firing(alertmanager, profile):
    severities, heartbeat = set(profile.phase8.alert_severities), profile.phase8.heartbeat_alert
    alertmanager.config_yaml()           # an empty list from something that is not Alertmanager proves nothing
    alerts = alertmanager.alerts()
    if not any((a.get("labels") or {}).get("alertname") == heartbeat for a in alerts):
        raise CouldNotLook("alertmanager", f"no {heartbeat} alert (always firing while Prometheus' alerts reach "
                                           f"Alertmanager): without it, no alert firing proves nothing", "empty")
    silences = {s.get("id"): s for s in alertmanager.silences()}
    firing, silenced = [], []
    for alert in alerts:
        labels, status = alert.get("labels") or {}, alert.get("status") or {}
        if labels.get("severity") not in severities:
            continue
        name = f"{labels.get('alertname', '?')} ({labels.get('severity')}; {_labels(alert)})"
        if status.get("silencedBy"):
            for sid in status["silencedBy"]:
                s = silences.get(sid, {})
                silenced.append([name, sid, s.get("createdBy", "?"), s.get("endsAt", "?"), s.get("comment", "")])
        elif status.get("inhibitedBy"):
            silenced.append([name, "inhibited by " + ", ".join(status["inhibitedBy"]), "", "", ""])
        elif status.get("state") == "active":
            firing.append(f"alert {name}: firing since {alert.get('startsAt', '?')}")
    attach_table("silenced or inhibited alerts", ["alert", "silence", "created by", "until", "comment"], silenced)
    fail(firing)
