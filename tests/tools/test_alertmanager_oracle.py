"""P8-NO-CRITICAL-ALERTS against Alertmanager itself (Debian's 0.25, the sandbox's version), run here in a process of
its own on a loopback port, not the sandbox: the states, silences and inhibitions the check reads are the ones
Alertmanager writes; which alerts a silence's matchers mute (readiness.alert_routing.api_matcher, and so which
silences mute every critical alert) is what Alertmanager's silencer decides; and the sandbox faults
critical-alert-firing and critical-alert-silenced fail the check with their expected lines and heal, through
the same API calls they make on the sandbox."""
from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from types import SimpleNamespace

import pytest
import requests

from fixtures.cache import SharedCache
from fixtures.monitoring import Alertmanager
from readiness.evidence import noting
from readiness.profile import load_profile
from sandbox.faults import phase8
from suites.phase8.test_alerts import PROBE_NAMES, Silence
from suites.phase8.test_alerts import test_no_critical_alert_firing as check
from tests.fakes import run_check
from tests.suite_runner import ROOT

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")
CONFIG = """
route: {receiver: "null", group_wait: 1s}
receivers: [{name: "null"}]
inhibit_rules:
- source_matchers: ['severity="warning"', 'alertname="PostgresPrimaryMaintenance"']
  target_matchers: ['severity="critical"']
  equal: [namespace]
"""
READY_TIMEOUT_S = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def alertmanager(tmp_path):
    """A fresh Alertmanager: its URL, until the test ends (then stopped and waited for)."""
    assert BINARY, "Alertmanager is missing: scripts/setup.sh installs it (Debian prometheus-alertmanager)"
    (tmp_path / "am.yml").write_text(CONFIG)
    url = f"http://127.0.0.1:{_free_port()}"
    proc = subprocess.Popen([BINARY, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
                             f"--web.listen-address={url.removeprefix('http://')}", "--cluster.listen-address="],
                            stdout=subprocess.DEVNULL, stderr=(tmp_path / "am.log").open("w"))
    try:
        deadline, last = time.monotonic() + READY_TIMEOUT_S, "no answer yet"
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.RequestException as exc:
                last = exc.__class__.__name__
            assert proc.poll() is None and time.monotonic() < deadline, \
                f"Alertmanager not ready after {READY_TIMEOUT_S}s ({last}): {(tmp_path / 'am.log').read_text()[-800:]}"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def post_alert(url: str, ends_in_s: float = 240, **labels) -> None:
    now = time.time()
    requests.post(f"{url}/api/v2/alerts", json=[{"labels": labels, "startsAt": _stamp(now - 60),
                                                 "endsAt": _stamp(now + ends_in_s)}], timeout=5).raise_for_status()


def post_silence(url: str, matchers: list[dict], seconds: float = 7200, by: str = "sre-alice",
                 comment: str = "rehearsal") -> str:
    now = time.time()
    body = {"matchers": matchers, "startsAt": _stamp(now), "endsAt": _stamp(now + seconds), "createdBy": by,
            "comment": comment}
    answer = requests.post(f"{url}/api/v2/silences", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()["silenceID"]


def m(name: str, value: str, regex: bool = False, equal: bool = True) -> dict:
    return {"name": name, "value": value, "isRegex": regex, "isEqual": equal}


def judged(url: str) -> tuple[str, str, list[str]]:
    with noting() as notes:
        verdict, message = run_check(check, {"alertmanager": Alertmanager(url, SharedCache()), "profile": PROFILE})
    return verdict, message, notes


def settled(url: str, wanted: int) -> list[dict]:
    """Alertmanager's alerts once it lists ``wanted`` of them (it takes in posted alerts asynchronously)."""
    deadline = time.monotonic() + 10
    while True:
        alerts = requests.get(f"{url}/api/v2/alerts", timeout=5).json()
        if len(alerts) >= wanted or time.monotonic() > deadline:
            return alerts
        time.sleep(0.2)


def test_the_check_reads_states_silences_and_inhibitions_as_alertmanager_writes_them(alertmanager):
    post_alert(alertmanager, alertname="Watchdog", severity="none")
    post_alert(alertmanager, alertname="PostgresPrimaryMaintenance", severity="warning", namespace="data-platform")
    post_alert(alertmanager, alertname="PostgresDown", severity="critical", namespace="data-platform")
    post_alert(alertmanager, alertname="KafkaDown", severity="critical", namespace="kafka")
    post_alert(alertmanager, alertname="TrinoDown", severity="critical", namespace="trino")
    hush = post_silence(alertmanager, [m("alertname", "TrinoDown")], seconds=1800, comment="worker pool resize")
    settled(alertmanager, 5)
    verdict, message, notes = judged(alertmanager)
    assert verdict == "failed", message
    lines = sorted(message.splitlines())      # Alertmanager lists alerts by fingerprint
    assert len(lines) == 2, message
    assert lines[0].startswith("alert KafkaDown (critical; namespace=kafka): firing since "), message
    assert lines[1].startswith("alert PostgresDown (critical; namespace=data-platform): firing since ") and \
        lines[1].endswith(", inhibited by PostgresPrimaryMaintenance (warning; namespace=data-platform), which is not "
                          "a gating alert: it counts as firing"), message
    assert len(notes) == 1 and notes[0].startswith("alert TrinoDown (critical; namespace=trino): silenced by sre-alice "
                                                   "until ") and notes[0].endswith(f'"worker pool resize" (silence {hush})')


SILENCES = {
    "every-alert": [m("alertname", ".+", regex=True)],
    "every-critical": [m("severity", "critical")],
    "all-but-watchdog": [m("alertname", "Watchdog", equal=False), m("severity", "critical|warning", regex=True)],
    "not-info": [m("severity", "info|none", regex=True, equal=False), m("alertname", ".*Down", regex=True)],
    "one-namespace": [m("severity", "critical"), m("namespace", "data-platform")],
    "unanchored-looking": [m("alertname", "Postgres", regex=True)],
    "prefix": [m("alertname", "Postgres.*", regex=True)],
    "empty-label": [m("team", "", equal=True), m("severity", "critical")],
}
LABEL_SETS = [{"alertname": name, "severity": "critical"} for name in PROBE_NAMES] + [
    {"alertname": "PostgresDown", "severity": "critical", "namespace": "data-platform"},
    {"alertname": "Postgres", "severity": "warning"},
    {"alertname": "KafkaDown", "severity": "critical", "team": "streaming"},
    {"alertname": "Watchdog", "severity": "none"},
]


def test_which_alerts_a_silence_mutes_agrees_with_alertmanager(alertmanager):
    ids = {post_silence(alertmanager, matchers): key for key, matchers in SILENCES.items()}
    for labels in LABEL_SETS:
        post_alert(alertmanager, **labels)
    alerts = settled(alertmanager, len(LABEL_SETS))
    raw = {s["id"]: s for s in requests.get(f"{alertmanager}/api/v2/silences", timeout=5).json()}
    now = dt.datetime.now(dt.timezone.utc)
    ours = {sid: Silence(raw[sid], now) for sid in ids}
    disagree = []
    for alert in alerts:
        theirs = set(alert["status"]["silencedBy"])
        mine = {sid for sid, s in ours.items() if all(x.matches(alert["labels"]) for x in s.matchers)}
        if theirs != mine:
            disagree.append(f"{alert['labels']}: Alertmanager {sorted(ids[s] for s in theirs)}, "
                            f"ours {sorted(ids[s] for s in mine)}")
    assert not disagree, "\n".join(disagree)
    probes = [a for a in alerts if a["labels"]["alertname"] in PROBE_NAMES]
    muting_all = {ids[sid] for sid in ids if all(sid in a["status"]["silencedBy"] for a in probes)}
    assert {ids[sid] for sid, s in ours.items() if s.mutes_every("critical")} == muting_all == \
        {"every-alert", "every-critical", "all-but-watchdog", "empty-label"}


def _layout(url: str):
    return SimpleNamespace(url=lambda name: url)


@pytest.mark.parametrize("fault", ["critical-alert-firing", "critical-alert-silenced"])
def test_the_alert_faults_fail_the_check_with_their_expected_line_and_heal(alertmanager, fault):
    from sandbox.faults.registry import FAULTS
    post_alert(alertmanager, alertname="Watchdog", severity="none")
    settled(alertmanager, 1)
    assert judged(alertmanager)[:2] == ("passed", "")
    FAULTS[fault].apply(_layout(alertmanager))
    settled(alertmanager, 2)
    verdict, message, notes = judged(alertmanager)
    assert verdict == "failed" and FAULTS[fault].expect.line in message, message
    if fault == "critical-alert-silenced":
        assert notes and f"silenced by {phase8.SILENCER} until " in notes[0], notes
    FAULTS[fault].heal(_layout(alertmanager))
    deadline = time.monotonic() + 10
    while judged(alertmanager)[:2] != ("passed", "") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert judged(alertmanager) == ("passed", "", [])
