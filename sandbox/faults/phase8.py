"""Faults of phase 8 (final audit): each breaks the platform as it breaks in life.

- ``portal-outage``: the portal had no serving pod for a few probes (scaled to zero, then back): over now,
  but inside the availability window.
- ``probe-gap``: the probes stopped for a minute (the blackbox exporter down, then back): no probe result for
  that minute, inside the availability window.
- ``critical-alert-firing``: an alert source fires a critical alert into Alertmanager's API, as any
  Prometheus does.
- ``critical-alert-silenced``: a critical alert fires and a person silences it for a day through Alertmanager's
  API, as amtool or the UI does (the sandbox profile allows an hour); heal expires the silence and resolves the
  alert.
- ``training-expired``: one on-call member's training attestation ran out yesterday.
- ``audit-finding``, ``phase-incomplete``: a criterion made of other criteria's verdicts breaks through one of
  them (a phase 2 and a phase 1 fault).
"""
from __future__ import annotations

import time

import requests

from sandbox.faults import phase1, phase2
from sandbox.faults.fault import Expect, Fault, apply, restart, scale, start, wait_rollout
from sandbox.manifests import infrastructure, platform
from sandbox.run import configs
from sandbox.run.layout import Layout
from sandbox.run.processes import Supervisor

PORTAL = ("data-platform", "portal")
ALERT = {"alertname": "PostgresqlReplicationLagHigh", "severity": "critical", "namespace": "data-platform",
         "service": "postgresql"}
SILENCED = {"alertname": "PostgresqlTooManyConnections", "severity": "critical", "namespace": "data-platform",
            "service": "postgresql"}
SILENCED_SUMMARY = "connections above 90% of max_connections"
SILENCER, SILENCE_S = "bikram@254carbon.local", 86400
SILENCE_COMMENT = "known: the nightly ETL opens too many connections; silenced until the pool change (OPS-4711)"
PROBE_GAP_S = 60
PROBER = "blackbox-exporter"


def _portal_replicas() -> int:
    return next(s.replicas for s in platform.SERVICES if (s.namespace, s.name) == PORTAL)


def _outage(layout: Layout) -> None:
    namespace, name = PORTAL
    replicas = _portal_replicas()
    query = f'probe_success{{job="service-probes",service="{name}"}}'
    scale(namespace, name, 0)(layout)
    deadline, failed = time.monotonic() + 60, 0
    while time.monotonic() < deadline and failed < 2:    # two failed probes recorded: the outage is on record
        time.sleep(5)
        failed += configs.prometheus_value(layout, query) == 0
    scale(namespace, name, replicas)(layout)
    wait_rollout(layout, namespace, f"deployment/{name}")


def _probe_gap(layout: Layout) -> None:
    """The prober down for a minute, as Prometheus saw it (from its first failed scrape), then back."""
    Supervisor(layout.root).stop(PROBER)
    try:
        deadline = time.monotonic() + 30
        while (configs.prometheus_value(layout, 'max(up{job="service-probes"})') or 0) > 0 \
                and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(PROBE_GAP_S)          # the gap itself
    finally:
        restart(layout, PROBER)


def _restore_replicas(layout: Layout) -> None:
    scale(*PORTAL, _portal_replicas())(layout)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _alert(firing: bool, labels: dict = ALERT, summary: str = "replica lag above 5 minutes"):
    def act(layout: Layout) -> None:
        now = time.time()
        ends = now + 3600 if firing else now - 1
        alert = {"labels": labels, "annotations": {"summary": summary},
                 "startsAt": _stamp(now - 60), "endsAt": _stamp(ends),
                 "generatorURL": "http://postgres-monitor.example/lag"}
        requests.post(layout.url("alertmanager") + "/api/v2/alerts", json=[alert], timeout=10).raise_for_status()
    return act


def _silence(layout: Layout) -> None:
    """The alert fires, then a person silences it by name for a day (POST /api/v2/silences, as amtool does)."""
    _alert(True, SILENCED, SILENCED_SUMMARY)(layout)
    now = time.time()
    silence = {"matchers": [{"name": k, "value": SILENCED[k], "isRegex": False, "isEqual": True}
                            for k in ("alertname", "service")],
               "startsAt": _stamp(now), "endsAt": _stamp(now + SILENCE_S), "createdBy": SILENCER,
               "comment": SILENCE_COMMENT}
    requests.post(layout.url("alertmanager") + "/api/v2/silences", json=silence, timeout=10).raise_for_status()


def _unsilence(layout: Layout) -> None:
    """Expire every silence the fault's person made for that alert (DELETE /api/v2/silence/ID), then resolve it."""
    url = layout.url("alertmanager")
    listed = requests.get(url + "/api/v2/silences", timeout=10)
    listed.raise_for_status()
    for silence in listed.json():
        names = {(m.get("name"), m.get("value")) for m in silence.get("matchers") or []}
        if silence.get("createdBy") == SILENCER and ("alertname", SILENCED["alertname"]) in names \
                and (silence.get("status") or {}).get("state") != "expired":
            requests.delete(f"{url}/api/v2/silence/{silence['id']}", timeout=10).raise_for_status()
    _alert(False, SILENCED, SILENCED_SUMMARY)(layout)


def _through(name: str, fault: Fault, criterion: str, description: str, expect: Expect) -> Fault:
    """A criterion made of other criteria's verdicts breaks through one of them: ``fault``'s steps."""
    return Fault(name, criterion, description, fault.apply, fault.heal, expect)


def _named(faults: list[Fault], name: str) -> Fault:
    return next(f for f in faults if f.name == name)


FAULTS = [
    Fault("portal-outage", "P8-AVAILABILITY", "the portal had no serving pod for two probes (over now, in the "
          "window)", _outage, _restore_replicas,
          Expect("service data-platform/portal: availability", 60)),
    Fault("probe-gap", "P8-AVAILABILITY", f"the prober ({PROBER}) was down for {PROBE_GAP_S} s, inside the window",
          _probe_gap, start(PROBER),
          Expect("hold a probe result, expected at least 99.90%", 30)),
    Fault("critical-alert-firing", "P8-NO-CRITICAL-ALERTS", "a critical alert fired into Alertmanager",
          _alert(True), _alert(False),
          Expect("alert PostgresqlReplicationLagHigh (critical; namespace=data-platform, "
                 "service=postgresql): firing since", 30)),
    Fault("critical-alert-silenced", "P8-NO-CRITICAL-ALERTS", "a firing critical alert silenced by a person for "
          "a day (the sandbox profile allows an hour)", _silence, _unsilence,
          Expect("alert PostgresqlTooManyConnections (critical; namespace=data-platform, "
                 "service=postgresql): silenced by bikram@254carbon.local for", 30)),
    Fault("training-expired", "P8-TEAM-TRAINED", "bikram's training attestation expired yesterday",
          apply(lambda: [infrastructure.training(expired="bikram")]), apply(lambda: [infrastructure.training()]),
          Expect("on-call bikram: training by dana on", 30)),
    _through("audit-finding", _named(phase2.FAULTS, "vault-sealed"), "P8-SECURITY-AUDIT",
             "a phase 2 finding: Vault sealed", Expect("P2-SECRETS-STORE failed", 30)),
    _through("phase-incomplete", _named(phase1.FAULTS, "pvc-pending"), "P8-ALL-PHASES",
             "a phase 1 finding: a claim Pending", Expect("P1-STORAGE failed", 30)),
]
