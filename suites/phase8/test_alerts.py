"""P8-NO-CRITICAL-ALERTS: no alert of the profile's severities is firing, as Alertmanager's v2 API tells it.

Alertmanager (0.25, ``api/v2/openapi.yaml``, ``types.AlertStatus``) gives each alert it holds a state,
``unprocessed``, ``active`` or ``suppressed``, the IDs of the active silences that mute it (``silencedBy``) and the
fingerprints of alerts that inhibit it (``inhibitedBy``). An alert of a gating severity whose ``endsAt`` has not
passed counts as firing unless a person silenced it: unprocessed and inhibited alerts count (an inhibit rule is
no one's decision about this alert; the inhibitor is named, with its severity), and so does a suppressed alert
that no active silence or listed alert accounts for. A silenced one is listed in the status summary and the
gate's reason with who silenced it, why and until when; a silence longer than ``phase8.max_silence_s``, or one
that mutes every alert of a gating severity whatever its name, fails.

No firing alert proves nothing unless alerts reach Alertmanager: the heartbeat (``phase8.heartbeat_alert``,
kube-prometheus' Watchdog, always firing) must be there and current. Prometheus sends a firing alert again every
``resend_delay`` (1m) with ``endsAt`` four of them ahead, and Alertmanager sets ``updatedAt`` on each receipt, so
a heartbeat whose ``endsAt`` passed, or not updated within ``phase8.heartbeat_max_age_s``, means Prometheus stopped
sending: the check is broken (it could not look), never passed.

Adversarial table P8-NO-CRITICAL-ALERTS:
- inhibited-by-warning: a critical alert inhibited by a firing warning alert (an inhibit rule written the wrong
  way round): Alertmanager suppresses it, notifies no one, and nothing gating fires in its place
- inhibited-by-gone: a critical alert whose inhibitedBy names a fingerprint no listed alert has (the inhibitor
  ended, or fired into another Alertmanager of the cluster)
- unprocessed: a critical alert still in state unprocessed (received, not yet run through silences and
  inhibitions): neither active nor suppressed, so a check counting only "active" passes it
- suppressed-by-nothing: state suppressed with empty silencedBy and inhibitedBy (a marker left over from a silence
  that has ended)
- silence-not-active: silencedBy names a silence the silences API lists as expired, or does not list at all: no
  one is silencing the alert any more
- silenced-for-a-century: silenced by a person until 2125 ("will look after the migration"): a silence that
  never has to be renewed
- silence-extended: a silence extended in place day after day (Alertmanager keeps its startsAt while it is
  active): it ends in an hour, but has muted the alert for nine days
- silence-matches-everything: an active silence alertname=~".+" (it passes Alertmanager's rule that one matcher
  must not match the empty string): every alert, critical ones still to come included, is muted
- silence-all-critical: a short active silence severity="critical" naming no alert: any critical alert that fires
  while it lasts is muted without anyone deciding about it
- heartbeat-stale: the Watchdog is still listed (its endsAt four resend delays ahead) but Alertmanager last
  received it 15 minutes ago: Prometheus stopped sending alerts
- heartbeat-ended: the only Watchdog listed has an endsAt in the past (a peer or a proxy that does not drop ended
  alerts lists it)
- heartbeat-posted-by-hand: a Watchdog posted once by hand with endsAt in 2125: listed for a century whatever
  Prometheus does, last updated two days ago
"""
from __future__ import annotations

import datetime as dt

from readiness.alert_routing import Matcher, RoutingError, api_matcher
from readiness.criteria import criterion
from readiness.evidence import attach_table, note
from readiness.timing import parse, shown
from readiness.verdict import CouldNotLook, fail, fail_first

# Alert names no silence written for one alert matches: a silence matching both, at a gating severity, mutes
# every alert of that severity whatever its name.
PROBE_NAMES = ("a", "Zz9_readiness_probe_no_such_alert")


def _labels(alert: dict) -> str:
    labels = {k: v for k, v in (alert.get("labels") or {}).items() if k not in ("alertname", "severity")}
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _name(alert: dict) -> str:
    labels, rest = alert.get("labels") or {}, _labels(alert)
    return f"{labels.get('alertname', '?')} ({labels.get('severity', 'no severity')}{'; ' + rest if rest else ''})"


def _when(stamp, what: str) -> dt.datetime | None:
    try:
        return parse(stamp) if isinstance(stamp, str) else None
    except ValueError:
        raise CouldNotLook("alertmanager", f"{what}: {stamp!r} is not an RFC 3339 time", "invalid") from None


def _ended(alert: dict, now: dt.datetime) -> bool:
    """Alertmanager lists an alert until its endsAt (the API drops it after): one that ended is resolved."""
    ends = _when(alert.get("endsAt"), f"alert {_name(alert)} endsAt")
    return ends is not None and ends <= now


class Silence:
    """One silence as the v2 API lists it, judged at ``now`` (silence/silence.go ``getState``)."""

    def __init__(self, raw: dict, now: dt.datetime):
        self.raw, self.id = raw, str(raw.get("id", "?"))
        self.starts = _when(raw.get("startsAt"), f"silence {self.id} startsAt")
        self.ends = _when(raw.get("endsAt"), f"silence {self.id} endsAt")
        said = (raw.get("status") or {}).get("state")
        by_time = "expired" if self.ends is not None and now > self.ends else \
            "pending" if self.starts is not None and now < self.starts else \
            "active" if self.starts is not None and self.ends is not None else None
        # Either account of an ended silence is enough: a silence is active only when both say so.
        self.state = "expired" if "expired" in (said, by_time) else by_time or said or "unknown"
        try:
            self.matchers: list[Matcher] | None = [api_matcher(m) for m in raw.get("matchers") or []]
            self.unreadable = ""
        except RoutingError as exc:
            self.matchers, self.unreadable = None, str(exc)

    @property
    def length_s(self) -> float | None:
        return None if self.starts is None or self.ends is None else (self.ends - self.starts).total_seconds()

    @property
    def shown_matchers(self) -> str:
        if self.matchers is None:
            return ", ".join(f"{m.get('name')}={m.get('value')!r}" for m in self.raw.get("matchers") or [])
        return "{" + ", ".join(str(m) for m in self.matchers) + "}"

    def who(self) -> str:
        return f"{self.raw.get('createdBy') or 'no one named'}"

    def comment(self) -> str:
        return " ".join(str(self.raw.get("comment") or "").split()) or "no comment"

    def mutes_every(self, severity: str) -> bool:
        """Whether it silences any alert of ``severity`` whatever its name (alertname=~".+", severity="critical")."""
        return bool(self.matchers) and all(all(m.matches({"alertname": name, "severity": severity})
                                               for m in self.matchers) for name in PROBE_NAMES)


def heartbeat_problem(alerts: list[dict], heartbeat: str, max_age_s: int, now: dt.datetime) -> CouldNotLook | None:
    """Why the heartbeat does not show that alerts reach Alertmanager now, or None when it does."""
    beats = [a for a in alerts if (a.get("labels") or {}).get("alertname") == heartbeat]
    if not beats:
        return CouldNotLook("alertmanager", f"no {heartbeat} alert (always firing while Prometheus' alerts reach "
                                            f"Alertmanager): without it, no alert firing proves nothing", "empty")
    live = [a for a in beats if not _ended(a, now)]
    if not live:
        last = max(str(a.get("endsAt")) for a in beats)
        return CouldNotLook("alertmanager", f"{heartbeat}: ended at {last} (its endsAt has passed): Prometheus "
                                            "stopped sending it, so no alert firing proves nothing", "stale")
    updates = [(_when(a.get("updatedAt"), f"{heartbeat} updatedAt"), a) for a in live]
    if any(when is None for when, _ in updates):
        return CouldNotLook("alertmanager", f"{heartbeat}: listed without updatedAt, so when it last arrived is "
                                            "unknown (is this Alertmanager's v2 API?)", "invalid")
    newest, alert = max(updates, key=lambda pair: pair[0])
    age = (now - newest).total_seconds()
    if age > max_age_s:
        return CouldNotLook("alertmanager", f"{heartbeat}: last received {shown(age)} ago (updatedAt "
                                            f"{alert.get('updatedAt')}, endsAt {alert.get('endsAt')}), expected "
                                            f"within {shown(max_age_s)} (phase8.heartbeat_max_age_s): Prometheus "
                                            "stopped sending alerts, so no alert firing proves nothing", "stale")
    return None


@criterion("P8-NO-CRITICAL-ALERTS", 8, "No critical alerts firing", severity="blocker",
           requirement="Alertmanager holds the always-firing heartbeat alert, received recently (so alerts do "
                       "reach it), and no alert of the profile's severities that is firing, unprocessed, "
                       "inhibited or suppressed by nothing active; each one a person silenced is listed in the "
                       "summary and the gate's reason with who silenced it, why and until when, and fails when "
                       "its silence is longer than the profile allows; no silence mutes every such alert.",
           next_step="Open Alertmanager: each firing alert names its runbook; fix the cause (a silence only "
                     "hides it, and is listed in the report; keep it short and naming the alert). An inhibited "
                     "alert names its inhibitor: fix that one, or the inhibit rule that lets a lesser alert "
                     "hide it.",
           needs=("alertmanager",), profile_keys=("phase8.alert_severities", "phase8.heartbeat_alert",
                                                  "phase8.heartbeat_max_age_s", "phase8.max_silence_s"))
def test_no_critical_alert_firing(alertmanager, profile):
    spec = profile.phase8
    severities, now = set(spec.alert_severities), dt.datetime.now(dt.timezone.utc)
    alertmanager.config_yaml()           # an empty list from something that is not Alertmanager proves nothing
    alerts = alertmanager.alerts()
    silences = {s.id: s for s in (Silence(raw, now) for raw in alertmanager.silences())}
    by_fingerprint = {a.get("fingerprint"): a for a in alerts if a.get("fingerprint")}
    problems, rows, long_silences = [], [], {}
    for alert in alerts:
        labels, status = alert.get("labels") or {}, alert.get("status") or {}
        if labels.get("severity") not in severities or _ended(alert, now):
            continue
        name, state = _name(alert), status.get("state")
        firing = f"alert {name}: firing since {alert.get('startsAt', '?')}"
        named = [silences.get(sid) for sid in status.get("silencedBy") or []]
        muting = [s for s in named if s is not None and s.state == "active"]
        inhibitors = status.get("inhibitedBy") or []
        rows.append([name, state, ", ".join(status.get("silencedBy") or []) or "", ", ".join(inhibitors),
                     alert.get("startsAt"), alert.get("updatedAt"), alert.get("endsAt")])
        if muting:
            for s in muting:
                note(f"alert {name}: silenced by {s.who()} until {s.raw.get('endsAt')}: \"{s.comment()}\" "
                     f"(silence {s.id})")
                if s.length_s is not None and s.length_s > spec.max_silence_s:
                    problems.append(f"alert {name}: silenced by {s.who()} for {shown(s.length_s)} (from "
                                    f"{s.raw.get('startsAt')} until {s.raw.get('endsAt')}), longer than "
                                    f"phase8.max_silence_s ({shown(spec.max_silence_s)}): \"{s.comment()}\" "
                                    f"(silence {s.id})")
                    long_silences[s.id] = s
            continue
        if status.get("silencedBy"):
            gone = [f"{sid} {silences[sid].state}" + (f" (ended {silences[sid].raw.get('endsAt')})"
                                                      if silences[sid].state == "expired" else "")
                    if sid in silences else f"{sid} not listed" for sid in status["silencedBy"]]
            problems.append(f"{firing}; the silences it names are not active ({'; '.join(gone)}): it counts as "
                            "firing")
        elif inhibitors:
            problems.append(f"{firing}, inhibited by {_inhibitors(inhibitors, by_fingerprint, severities, now)}")
        elif state == "unprocessed":
            problems.append(f"{firing}, unprocessed (not yet run through silences and inhibitions): it counts as "
                            "firing")
        elif state == "suppressed":
            problems.append(f"{firing}, suppressed by no active silence or listed alert: it counts as firing")
        elif state != "active":
            problems.append(f"{firing}, in state {state!r} (expected active, suppressed or unprocessed): it counts "
                            "as firing")
        else:
            problems.append(firing)
    for s in silences.values():
        if s.state not in ("active", "pending"):
            continue
        if s.matchers is None:
            problems.append(f"silence {s.id} by {s.who()} ({s.state} until {s.raw.get('endsAt')}): its matchers "
                            f"cannot be read ({s.unreadable}), so what it mutes is unknown")
            continue
        blanket = sorted(sev for sev in severities if s.mutes_every(sev))
        if blanket:
            problems.append(f"silence {s.id} by {s.who()} ({s.state} until {s.raw.get('endsAt')}): "
                            f"{s.shown_matchers} mutes every {'/'.join(blanket)} alert whatever its name, present "
                            f"or to come: a silence names the alerts it is for (\"{s.comment()}\")")
    attach_table("alerts of the gating severities", ["alert", "state", "silenced by", "inhibited by (fingerprints)",
                                                    "starts", "updated", "ends"], rows)
    attach_table("silences", ["id", "state", "matchers", "created by", "starts", "ends", "comment"],
                 [[s.id, s.state, s.shown_matchers, s.who(), s.raw.get("startsAt"), s.raw.get("endsAt"),
                   s.comment()] for s in silences.values()])
    stale = heartbeat_problem(alerts, spec.heartbeat_alert, spec.heartbeat_max_age_s, now)
    if stale is not None:
        fail_first(problems, stale)
    fail(problems)


def _inhibitors(fingerprints: list[str], by_fingerprint: dict, severities: set[str], now: dt.datetime) -> str:
    """Who inhibits an alert, and why that does not make it any less firing."""
    said = []
    for fp in fingerprints:
        inhibitor = by_fingerprint.get(fp)
        if inhibitor is None:
            said.append(f"an alert Alertmanager does not list (fingerprint {fp})")
            continue
        gating = (inhibitor.get("labels") or {}).get("severity") in severities and not _ended(inhibitor, now)
        said.append(f"{_name(inhibitor)}" + (", itself a gating alert" if gating else
                                             ", which is not a gating alert"))
    return "; ".join(said) + ": it counts as firing"
