"""P1-EVENTS: no warning events of the profile's reasons, and no restart loops, within the lookback window."""
import datetime as dt

from readiness.criteria import criterion
from readiness.timing import parse
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data


def last_seen(event: dict) -> dt.datetime | None:
    """When an event last happened: events.k8s.io writers fill series/eventTime, core writers lastTimestamp."""
    series = event.get("series") or {}
    return (parse(series.get("lastObservedTime")) or parse(event.get("lastTimestamp"))
            or parse(event.get("eventTime")) or parse(event["metadata"].get("creationTimestamp")))


def times(event: dict) -> int:
    return int((event.get("series") or {}).get("count") or event.get("count") or 1)


def _warnings(events: list[dict], namespaces: set[str], reasons: set[str], since: dt.datetime) -> dict:
    grouped: dict[tuple, dict] = {}
    for event in events:
        seen = last_seen(event)
        if (event.get("type") != "Warning" or event.get("reason") not in reasons
                or event["metadata"].get("namespace") not in namespaces or seen is None or seen < since):
            continue
        obj = event.get("involvedObject") or event.get("regarding") or {}
        key = (event["metadata"]["namespace"], obj.get("kind", "?"), obj.get("name", "?"), event["reason"])
        entry = grouped.setdefault(key, {"count": 0, "last": seen, "message": event.get("message") or event.get("note")})
        entry["count"] += times(event)
        if seen >= entry["last"]:
            entry["last"], entry["message"] = seen, event.get("message") or event.get("note") or entry["message"]
    return grouped


def _restarts(pods: list[dict], since: dt.datetime, allowed: int) -> list[str]:
    problems = []
    for pod in pods:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            last = (status.get("lastState") or {}).get("terminated") or {}
            finished = parse(last.get("finishedAt"))
            if status.get("restartCount", 0) > allowed and finished and finished >= since:
                problems.append(f"pod {pod['metadata']['namespace']}/{pod['metadata']['name']} container "
                                f"{status['name']}: {status['restartCount']} restarts, the last at {last['finishedAt']} "
                                f"({last.get('reason', 'no reason')}), allowed {allowed}")
    return problems


@criterion("P1-EVENTS", 1, "No warning events or restart loops", severity="critical",
           requirement="Within the profile's lookback window, the platform namespaces have no Warning events of "
                       "the profile's reasons, and no container restarted more often than the profile allows.",
           next_step="kubectl -n NAMESPACE get events --field-selector type=Warning: each line names the object; "
                     "FailedScheduling points at capacity or selectors, BackOff and OOMKilling at the container.",
           profile_keys=("phase1.events",))
def test_no_warning_events_or_restart_loops(snapshot, profile):
    spec = profile.phase1.events
    now = dt.datetime.now(dt.timezone.utc)
    since = now - dt.timedelta(seconds=spec.lookback_s)
    namespaces = set(profile.platform.namespaces)
    pods = snapshot.items("pods", sorted(namespaces))
    require_data(pods, "platform pods", f"pods in namespaces {', '.join(sorted(namespaces))}")
    # Warning events of the platform's namespaces only, filtered by the API server: a large cluster holds far
    # more Normal events than pods, and none of another namespace's are read here.
    events = snapshot.items("events", sorted(namespaces), field_selector="type=Warning")
    grouped = _warnings(events, namespaces, set(spec.reasons), since)
    rows, problems = [], []
    for (namespace, kind, name, reason), entry in sorted(grouped.items(), key=lambda kv: kv[1]["last"], reverse=True):
        ago = (now - entry["last"]).total_seconds()
        rows.append([f"{namespace}/{name}", kind, reason, entry["count"], entry["last"].isoformat(), entry["message"]])
        problems.append(f"{kind.lower()} {namespace}/{name}: {reason} x{entry['count']}, last {ago:.0f}s ago: "
                        f"{(entry['message'] or '').strip()[:160]}")
    problems += _restarts(pods, since, spec.max_restarts)
    attach_table("warning events", ["object", "kind", "reason", "count", "last seen", "message"], rows)
    fail(problems)
