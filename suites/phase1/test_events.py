"""P1-EVENTS: no warning events of the profile's reasons, and no restart loops, within the lookback window.

Adversarial table P1-EVENTS:
- event-series-recent: a core Event whose lastTimestamp is two hours old, but whose series (events.k8s.io's
  aggregation) last observed it 10 seconds ago
- event-time-only: an Event written through events.k8s.io/v1: eventTime set, lastTimestamp and firstTimestamp
  null
- init-container-crashloop: an init container restarts over and over (initContainerStatuses); the app
  containers never start, so containerStatuses show no restart at all
- sidecar-restart-loop: a restartable init container (a sidecar, restartPolicy Always) crash-loops beside a
  healthy main container
- crashloop-without-last-state: a container waits in CrashLoopBackOff with 40 restarts, but its lastState is
  empty (the runtime lost the terminated container), so no finish time places the restarts in the window
- restarted-and-running: a container with 40 restarts is running again, restarted 20 seconds ago
  (state.running.startedAt), while its lastState records a crash from before the window; no CrashLoopBackOff is
  caught
- crashed-just-now: a container with 40 restarts has just exited (state.terminated, 5 seconds ago) and waits for
  its next start; lastState holds the crash before, outside the window

A restart loop is judged on ``restartCount``, the container's count over the pod's life: a pod keeps only its
last termination (``lastState``) and its current state, so no more than the latest restart can be placed in
time, and the count of restarts inside the window cannot be read from the API. The latest restart is the latest
of: the current run's start (``state.running.startedAt``, once it has restarted), the current termination
(``state.terminated.finishedAt``) and the last one (``lastState.terminated.finishedAt``).
"""
import datetime as dt

from readiness.criteria import criterion
from readiness.timing import parse
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data
from suites.phase1.restarts import restart_loops


def last_seen(event: dict) -> dt.datetime | None:
    """When an event last happened, the latest of its times: events.k8s.io writers fill series and eventTime,
    core writers lastTimestamp; an event with none of them has at least its creation."""
    series = event.get("series") or {}
    stamps = [parse(t) for t in (series.get("lastObservedTime"), event.get("lastTimestamp"), event.get("eventTime"))]
    return max((t for t in stamps if t), default=None) or parse(event["metadata"].get("creationTimestamp"))


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


@criterion("P1-EVENTS", 1, "No warning events or restart loops", severity="critical",
           requirement="Within the profile's lookback window, the platform namespaces have no Warning events of "
                       "the profile's reasons (however the event records its time: series, lastTimestamp or "
                       "eventTime), and no container, init container or sidecar has restarted more often than the "
                       "profile allows with its last restart in the window or its restarts still in "
                       "CrashLoopBackOff.",
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
    problems += restart_loops(pods, since, spec.max_restarts)
    attach_table("warning events", ["object", "kind", "reason", "count", "last seen", "message"], rows)
    fail(problems)
