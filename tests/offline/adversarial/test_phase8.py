"""Phase 8's adversarial rows (suites/phase8/*.py docstrings) on recorded inputs, grouped by criterion: Alertmanager's
v2 API answers as Alertmanager 0.25 writes them, sign-off records as the profile and the ConfigMap hold them, and
whole runs of the real plugin over the stub suite (tests/stub_suite.py) for the criteria made of other
criteria's verdicts. Each row is broken the way it says while its data still looks fine, next to the healthy
input that passes."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import yaml

from plugin.catalog import load_all
from readiness.evidence import noting
from readiness.profile import load_profile
from reporting.results import CaseResult, by_criterion
from reporting.summary import build
from suites.phase8.test_alerts import test_no_critical_alert_firing as alerts_check
from suites.phase8.test_signoff import test_all_phases_complete as all_phases_check
from suites.phase8.test_signoff import test_on_call_rotation_trained as training_check
from suites.phase8.test_signoff import test_security_audit_passed as audit_check
from tests.builders import profile_with, stamp
from tests.fakes import FakeAlertmanager, FakeRequest, FakeSnapshot, broken_with, empty_world, failed_with, run_check
from tests.stub_suite import everything, run_stub_suite
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")
MINUTE, HOUR, DAY = 60, 3600, 86400


# --- P8-NO-CRITICAL-ALERTS ------------------------------------------------------------------------------------

def _fingerprint(labels: dict) -> str:
    return hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]


def alert(name: str, severity: str = "critical", *, state: str = "active", silenced_by=(), inhibited_by=(),
          started_s_ago: float = 10 * MINUTE, updated_s_ago: float = 20, ends_in_s: float = 4 * MINUTE,
          ends_at: str | None = None, **labels) -> dict:
    """A gettableAlert as Alertmanager 0.25 lists it: Prometheus sends it again every resend delay (1m), with an
    endsAt four of them ahead, and Alertmanager stamps updatedAt on each receipt."""
    labels = {"alertname": name, "severity": severity, **({"namespace": "data-platform"} if severity != "none"
                                                          else {}), **labels}
    return {"labels": labels, "annotations": {"summary": f"{name} is firing"}, "fingerprint": _fingerprint(labels),
            "receivers": [{"name": "pagerduty-critical"}], "generatorURL": "http://prometheus.fake/graph",
            "startsAt": stamp(started_s_ago), "updatedAt": stamp(updated_s_ago),
            "endsAt": ends_at or stamp(-ends_in_s),
            "status": {"state": state, "silencedBy": list(silenced_by), "inhibitedBy": list(inhibited_by)}}


def watchdog(**kwargs) -> dict:
    return alert("Watchdog", "none", **kwargs)


def matcher(name: str, value: str, regex: bool = False, equal: bool = True) -> dict:
    return {"name": name, "value": value, "isRegex": regex, "isEqual": equal}


def silence(sid: str, *matchers: dict, by: str = "sre-alice", comment: str = "postgres failover rehearsal, OPS-1234",
            started_s_ago: float = 10 * MINUTE, ends_in_s: float = 50 * MINUTE, ends_at: str | None = None) -> dict:
    """A gettableSilence; its status.state as Alertmanager computes it (silence.go getState)."""
    state = "pending" if started_s_ago < 0 else "expired" if ends_at is None and ends_in_s < 0 else "active"
    return {"id": sid, "matchers": list(matchers) or [matcher("alertname", "PostgresDown")], "createdBy": by,
            "comment": comment, "startsAt": stamp(started_s_ago), "endsAt": ends_at or stamp(-ends_in_s),
            "updatedAt": stamp(max(started_s_ago, 0)), "status": {"state": state}}


def alerts_world(*alerts: dict, silences=(), profile=PROFILE) -> dict:
    return {**empty_world(profile), "alertmanager": FakeAlertmanager(held=list(alerts), silences=list(silences))}


def judged_alerts(fixtures: dict) -> tuple[str, str, list[str]]:
    """(verdict, message, notes): the notes are what the summary and the gate's reason show."""
    with noting() as notes:
        verdict, message = run_check(alerts_check, fixtures)
    return verdict, message, notes


DOWN = "PostgresDown (critical; namespace=data-platform)"


def test_healthy_alertmanager_passes_with_nothing_noted():
    resolved = alert("PostgresDown", ends_in_s=-90)                      # endsAt passed: resolved
    warning = alert("DiskFillingUp", "warning")
    hushed_warning = alert("KafkaLag", "warning", state="suppressed", inhibited_by=[warning["fingerprint"]])
    old = silence("s-old", started_s_ago=3 * DAY, ends_in_s=-2 * DAY)    # expired silences stay listed for days
    planned = silence("s-planned", matcher("alertname", "TrinoDown"), started_s_ago=-HOUR, ends_in_s=2 * HOUR)
    fixtures = alerts_world(watchdog(), resolved, warning, hushed_warning, silences=[old, planned])
    assert judged_alerts(fixtures) == ("passed", "", [])


def test_a_critical_alert_a_person_silenced_within_the_maximum_passes_and_is_noted():
    hush = silence("s-1")
    verdict, message, notes = judged_alerts(alerts_world(
        watchdog(), alert("PostgresDown", state="suppressed", silenced_by=["s-1"]), silences=[hush]))
    assert (verdict, message) == ("passed", "")
    assert notes == [f'alert {DOWN}: silenced by sre-alice until {hush["endsAt"]}: '
                     '"postgres failover rehearsal, OPS-1234" (silence s-1)']


def test_a_firing_critical_alert_fails_naming_it():
    failed_with(alerts_check, alerts_world(watchdog(), alert("PostgresDown", service="postgresql")),
                "alert PostgresDown (critical; namespace=data-platform, service=postgresql): firing since ")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "inhibited-by-warning")
def test_a_critical_alert_inhibited_by_a_warning_fails_naming_the_inhibitor():
    maintenance = alert("PostgresPrimaryMaintenance", "warning")
    hidden = alert("PostgresDown", state="suppressed", inhibited_by=[maintenance["fingerprint"]])
    failed_with(alerts_check, alerts_world(watchdog(), maintenance, hidden),
                f"alert {DOWN}: firing since ", ", inhibited by PostgresPrimaryMaintenance (warning; "
                "namespace=data-platform), which is not a gating alert: it counts as firing")


def test_a_critical_alert_inhibited_by_another_critical_one_fails_with_it():
    node = alert("NodeDown", instance="sandbox-worker-2")
    hidden = alert("PostgresDown", state="suppressed", inhibited_by=[node["fingerprint"]])
    message = failed_with(alerts_check, alerts_world(watchdog(), node, hidden),
                          "alert NodeDown (critical; instance=sandbox-worker-2, namespace=data-platform): firing since",
                          "inhibited by NodeDown (critical; instance=sandbox-worker-2, namespace=data-platform), "
                          "itself a gating alert: it counts as firing")
    assert message.count("\n") == 1, message


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "inhibited-by-gone")
def test_a_critical_alert_inhibited_by_an_alert_no_longer_listed_fails():
    hidden = alert("PostgresDown", state="suppressed", inhibited_by=["0badc0ffee"])
    failed_with(alerts_check, alerts_world(watchdog(), hidden),
                f"alert {DOWN}: firing since", "inhibited by an alert Alertmanager does not list (fingerprint "
                "0badc0ffee): it counts as firing")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "unprocessed")
def test_an_unprocessed_critical_alert_fails():
    failed_with(alerts_check, alerts_world(watchdog(), alert("PostgresDown", state="unprocessed")),
                f"alert {DOWN}: firing since", "unprocessed (not yet run through silences and inhibitions): it "
                "counts as firing")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "suppressed-by-nothing")
def test_a_critical_alert_suppressed_by_nothing_fails():
    failed_with(alerts_check, alerts_world(watchdog(), alert("PostgresDown", state="suppressed")),
                f"alert {DOWN}: firing since", "suppressed by no active silence or listed alert: it counts as firing")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "silence-not-active")
def test_a_critical_alert_whose_silences_ended_or_are_unknown_fails():
    ended = silence("s-ended", started_s_ago=2 * HOUR, ends_in_s=-MINUTE)
    hushed = alert("PostgresDown", state="suppressed", silenced_by=["s-ended", "s-gone"])
    verdict, message, notes = judged_alerts(alerts_world(watchdog(), hushed, silences=[ended]))
    assert verdict == "failed" and notes == [], (verdict, message, notes)
    assert f"alert {DOWN}: firing since" in message and "; the silences it names are not active (s-ended " \
        f"expired (ended {ended['endsAt']}); s-gone not listed): it counts as firing" in message, message


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "silenced-for-a-century")
def test_a_critical_alert_silenced_until_2125_fails_and_is_noted():
    hush = silence("s-100y", comment="will look after the migration", ends_at="2125-01-01T00:00:00Z")
    verdict, message, notes = judged_alerts(alerts_world(
        watchdog(), alert("PostgresDown", state="suppressed", silenced_by=["s-100y"]), silences=[hush]))
    assert verdict == "failed", message
    assert message.startswith(f"alert {DOWN}: silenced by sre-alice for ") and "d (from " in message, message
    assert 'until 2125-01-01T00:00:00Z), longer than phase8.max_silence_s (60m): "will look after the migration" ' \
        "(silence s-100y)" in message, message
    assert notes == [f'alert {DOWN}: silenced by sre-alice until 2125-01-01T00:00:00Z: "will look after the '
                     'migration" (silence s-100y)']


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "silence-extended")
def test_a_silence_extended_in_place_for_nine_days_fails():
    hush = silence("s-ext", started_s_ago=9 * DAY, ends_in_s=HOUR)
    failed_with(alerts_check, alerts_world(watchdog(), alert("PostgresDown", state="suppressed", silenced_by=["s-ext"]),
                                           silences=[hush]),
                f"alert {DOWN}: silenced by sre-alice for 9.0d (from {hush['startsAt']} until {hush['endsAt']})")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "silence-matches-everything")
def test_a_silence_muting_every_alert_fails_though_short():
    everything_ = silence("s-all", matcher("alertname", ".+", regex=True), comment="noisy during the upgrade")
    verdict, message, notes = judged_alerts(alerts_world(
        watchdog(state="suppressed", silenced_by=["s-all"]),
        alert("PostgresDown", state="suppressed", silenced_by=["s-all"]), silences=[everything_]))
    assert verdict == "failed", message
    assert message == f"silence s-all by sre-alice (active until {everything_['endsAt']}): {{alertname=~\".+\"}} " \
        'mutes every critical alert whatever its name, present or to come: a silence names the alerts it is for ' \
        '("noisy during the upgrade")'
    assert len(notes) == 1 and notes[0].startswith(f"alert {DOWN}: silenced by sre-alice until")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "silence-all-critical")
def test_a_short_silence_of_every_critical_alert_fails_with_none_firing():
    blanket = silence("s-crit", matcher("severity", "critical"), started_s_ago=MINUTE, ends_in_s=20 * MINUTE)
    failed_with(alerts_check, alerts_world(watchdog(), alert("DiskFillingUp", "warning"), silences=[blanket]),
                f"silence s-crit by sre-alice (active until {blanket['endsAt']}): {{severity=\"critical\"}} mutes "
                "every critical alert whatever its name")


def test_negated_and_scoped_silences_are_judged_as_alertmanager_matches_them():
    negated = silence("s-neg", matcher("alertname", "Watchdog", equal=False), matcher("severity", "warning|critical",
                                                                                       regex=True))
    scoped = silence("s-ns", matcher("severity", "critical"), matcher("namespace", "data-platform"))
    verdict, message, _ = judged_alerts(alerts_world(watchdog(), silences=[negated, scoped]))
    assert verdict == "failed" and "silence s-neg by sre-alice" in message and "s-ns" not in message, message


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "heartbeat-stale")
def test_a_heartbeat_not_received_for_fifteen_minutes_is_broken():
    broken_with(alerts_check, alerts_world(watchdog(updated_s_ago=15 * MINUTE, ends_in_s=MINUTE)),
                "Watchdog: last received 15m ago", "expected within 5m (phase8.heartbeat_max_age_s): Prometheus "
                "stopped sending alerts")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "heartbeat-ended")
def test_a_heartbeat_whose_end_passed_is_broken():
    beat = watchdog(updated_s_ago=5 * MINUTE, ends_in_s=-30)
    broken_with(alerts_check, alerts_world(beat), f"Watchdog: ended at {beat['endsAt']} (its endsAt has passed)")


@pytest.mark.row("P8-NO-CRITICAL-ALERTS", "heartbeat-posted-by-hand")
def test_a_heartbeat_posted_once_by_hand_until_2125_is_broken():
    broken_with(alerts_check, alerts_world(watchdog(updated_s_ago=2 * DAY, ends_at="2125-01-01T00:00:00Z")),
                "Watchdog: last received 2.0d ago", "endsAt 2125-01-01T00:00:00Z")


def test_a_stale_heartbeat_does_not_hide_a_firing_alert():
    failed_with(alerts_check, alerts_world(watchdog(updated_s_ago=HOUR), alert("PostgresDown")),
                f"alert {DOWN}: firing since", "Watchdog: last received 60m ago")


def test_no_heartbeat_is_broken():
    broken_with(alerts_check, alerts_world(alert("DiskFillingUp", "warning")), "no Watchdog alert")


# --- P8-SECURITY-AUDIT ----------------------------------------------------------------------------------------

TODAY = dt.datetime.now(dt.timezone.utc).date()


def audit_world(**audit) -> dict:
    record = {"date": str(TODAY - dt.timedelta(days=30)), "auditor": "Carbon Security Partners",
              "report": "https://audits.example.com/254carbon/2026", "valid_days": 365, **audit}
    return {**empty_world(profile_with({"phase8.security_audit": record})), "request": FakeRequest()}


def derived(verdicts: dict[str, str]) -> dict:
    """The summary's entries for a run where every criterion passed but those given (as the plugin records them)."""
    catalog = load_all()
    cases = [CaseResult(f"t::{c}", c, verdicts.get(c, "passed"), f"{c} said so" if c in verdicts else "", 0.0, m)
             for c, m in catalog.items()]
    entries = build(by_criterion(cases), catalog, profile_name="x", severity_of=lambda m: m.severity,
                    runbook_of=lambda m: m.runbook, target="t", previous=None)["criteria"]
    return {e["id"]: e for e in entries}


def test_a_current_external_audit_with_phase_2_passing_passes():
    assert run_check(audit_check, audit_world()) == ("passed", "")
    assert derived({})["P8-SECURITY-AUDIT"]["verdict"] == "passed"


@pytest.mark.row("P8-SECURITY-AUDIT", "future-dated")
def test_an_audit_dated_a_month_ahead_fails():
    ahead = TODAY + dt.timedelta(days=30)
    failed_with(audit_check, audit_world(date=str(ahead)),
                f"security audit by Carbon Security Partners: dated {ahead}, in the future")


@pytest.mark.row("P8-SECURITY-AUDIT", "expired")
def test_an_audit_older_than_its_validity_fails():
    failed_with(audit_check, audit_world(date=str(TODAY - dt.timedelta(days=400))),
                "security audit by Carbon Security Partners on", ": 400 days old, valid for 365")


@pytest.mark.row("P8-SECURITY-AUDIT", "no-report-link")
def test_an_audit_whose_report_is_not_a_link_fails():
    failed_with(audit_check, audit_world(report="TBD"),
                "security audit by Carbon Security Partners on", ": report 'TBD' is not a link (expected the "
                "http(s) URL of the audit report)")


@pytest.mark.row("P8-SECURITY-AUDIT", "no-auditor")
def test_an_audit_naming_no_auditor_fails():
    failed_with(audit_check, audit_world(auditor="  "), "security audit on ", ": no auditor named")


@pytest.mark.row("P8-SECURITY-AUDIT", "auditor-on-call")
def test_an_audit_by_a_member_of_the_on_call_rotation_fails():
    failed_with(audit_check, audit_world(auditor="Bikram"),
                "security audit by Bikram on", ": Bikram is on the platform's own on-call rotation")


@pytest.mark.row("P8-SECURITY-AUDIT", "phase-2-finding")
def test_a_current_audit_with_a_phase_2_failure_fails():
    entry = derived({"P2-RBAC": "failed"})["P8-SECURITY-AUDIT"]
    assert entry["verdict"] == "failed" and entry["reasons"] == ["P2-RBAC failed: P2-RBAC said so"], entry


@pytest.mark.row("P8-SECURITY-AUDIT", "phase-2-broken")
def test_a_current_audit_with_a_phase_2_check_that_could_not_look_fails():
    entry = derived({"P2-NETPOL": "broken"})["P8-SECURITY-AUDIT"]
    assert entry["verdict"] == "failed" and entry["reasons"] == ["P2-NETPOL broken: P2-NETPOL said so"], entry


@pytest.mark.row("P8-SECURITY-AUDIT", "phase-2-not-run")
def test_a_current_audit_without_phase_2_in_the_run_is_not_evaluated():
    only_phase8 = FakeRequest([c for c, m in load_all().items() if m.phase == 8])
    verdict, message = run_check(audit_check, {**audit_world(), "request": only_phase8})
    assert verdict == "skipped" and "P8-SECURITY-AUDIT is decided by phase(s) 2 in the same run" in message


@pytest.mark.row("P8-SECURITY-AUDIT", "summary-absent")
def test_a_current_audit_without_the_gates_plugin_is_broken():
    broken_with(audit_check, {**audit_world(), "request": FakeRequest(plugins=())},
                "P8-SECURITY-AUDIT is completed from the verdicts of phase(s) 2 by the status summary",
                "(reporting.plugin) is not loaded")


# --- P8-TEAM-TRAINED ------------------------------------------------------------------------------------------

def attested(who: str, by: str = "dana", on_days_ago: int = 30, expires_in_days: int = 335, **extra) -> dict:
    return {"person": who, "trained_by": by, "on": str(TODAY - dt.timedelta(days=on_days_ago)),
            "expires": str(TODAY + dt.timedelta(days=expires_in_days)), "runbooks": "docs/runbooks", **extra}


def training_world(*attestations: dict, rotation: list[str] | None = None, raw: dict | None = None) -> dict:
    """The rotation in the profile, the attestations in the ConfigMap monitoring/oncall-training, as the sandbox
    keeps them."""
    profile = profile_with({"phase8.training.rotation": rotation}) if rotation else PROFILE
    data = raw if raw is not None else {"attestations.yaml": yaml.safe_dump(list(attestations))}
    snapshot = FakeSnapshot(raw={"/api/v1/namespaces/monitoring/configmaps/oncall-training": {"data": data}})
    return {**empty_world(profile), "snapshot": snapshot}


TRAINED = [attested("alice"), attested("bikram"), attested("chen", by="alice")]


def test_a_rotation_whose_members_were_each_trained_by_someone_else_passes():
    assert run_check(training_check, training_world(*TRAINED)) == ("passed", "")


def test_an_older_attestation_that_still_counts_is_not_undone_by_a_newer_bad_one():
    renewed = attested("alice", by="alice", on_days_ago=2)                    # alice re-attested herself
    assert run_check(training_check, training_world(*TRAINED, renewed)) == ("passed", "")


@pytest.mark.row("P8-TEAM-TRAINED", "self-attested")
def test_a_self_attested_training_fails():
    failed_with(training_check, training_world(attested("alice", by="Alice"), *TRAINED[1:]),
                "on-call alice: attestation dated", "was given by Alice, the person trained (self-attested)")


@pytest.mark.row("P8-TEAM-TRAINED", "no-trainer")
def test_an_attestation_naming_no_trainer_fails():
    failed_with(training_check, training_world(attested("bikram", by=" "), TRAINED[0], TRAINED[2]),
                "on-call bikram: attestation dated", "names no trainer")


@pytest.mark.row("P8-TEAM-TRAINED", "ends-before-training")
def test_an_attestation_running_out_before_it_was_given_fails():
    swapped = attested("chen", by="alice", on_days_ago=-30, expires_in_days=10)
    failed_with(training_check, training_world(*TRAINED[:2], swapped),
                f"on-call chen: attestation by alice dated {TODAY + dt.timedelta(days=30)} runs out on "
                f"{TODAY + dt.timedelta(days=10)}, before it was given")


@pytest.mark.row("P8-TEAM-TRAINED", "future-dated")
def test_an_attestation_dated_next_week_fails():
    failed_with(training_check, training_world(*TRAINED[:2], attested("chen", by="alice", on_days_ago=-7)),
                f"on-call chen: attestation by alice dated {TODAY + dt.timedelta(days=7)}, in the future")


@pytest.mark.row("P8-TEAM-TRAINED", "expired")
def test_an_attestation_that_ran_out_yesterday_fails():
    failed_with(training_check, training_world(*TRAINED[:2], attested("chen", by="alice", expires_in_days=-1)),
                "on-call chen: training by alice on", f"expired on {TODAY - dt.timedelta(days=1)}")


@pytest.mark.row("P8-TEAM-TRAINED", "stranger-attested")
def test_attestations_of_a_former_member_do_not_stand_for_a_current_one():
    message = failed_with(training_check, training_world(*TRAINED[:2], attested("dmitri")),
                          "on-call chen: no training attestation (the attestations name dmitri, not in the rotation)")
    assert message.count("on-call") == 1, message


@pytest.mark.row("P8-TEAM-TRAINED", "member-listed-twice")
def test_a_rotation_naming_a_member_twice_fails():
    failed_with(training_check, training_world(*TRAINED, rotation=["alice", "bikram", "Alice "]),
                "on-call rotation (phase8.training.rotation): names alice 2 times ('alice', 'Alice '): list each "
                "member once")


@pytest.mark.row("P8-TEAM-TRAINED", "configmap-key-renamed")
def test_a_configmap_keeping_the_list_under_another_key_fails():
    failed_with(training_check, training_world(raw={"training.yaml": yaml.safe_dump(TRAINED)}),
                "configmap monitoring/oncall-training: no attestations.yaml key (it holds training.yaml): no "
                "training attestation can be read")


# --- P8-ALL-PHASES: the real plugin and summary over the stub suite --------------------------------------------

def all_phases(run) -> dict:
    entry = run.criterion("P8-ALL-PHASES")
    assert run.summary["gate"]["outcome"] != "PASS" and run.exit_code != 0, run.output[-3000:]
    return entry


def test_a_run_where_every_phase_passed_completes_all_phases(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_SERVICE_HA={"trino": "pass", "portal": "pass"}), "--gate")
    assert run.verdict("P8-ALL-PHASES") == "passed" and run.summary["gate"]["decision"] == "PASS", run.output[-3000:]
    assert run.exit_code == 0


@pytest.mark.row("P8-ALL-PHASES", "case-deselected")
def test_all_phases_is_not_evaluated_when_one_case_of_a_criterion_is_deselected(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_SERVICE_HA={"trino": "pass", "portal": "pass"}), "--gate",
                         "-k", "not trino")
    entry = all_phases(run)
    assert entry["verdict"] == "not_evaluated" and "evaluate P3-SERVICE-HA first" in entry["reasons"][0], entry


@pytest.mark.row("P8-ALL-PHASES", "criterion-deselected")
def test_all_phases_is_not_evaluated_when_a_criterion_is_deselected(tmp_path):
    run = run_stub_suite(tmp_path, everything(), "--gate", "--deselect", "test_stubs.py::test_P4_LOKI[only]")
    entry = all_phases(run)
    assert entry["verdict"] == "not_evaluated" and "evaluate P4-LOKI first" in entry["reasons"][0], entry


@pytest.mark.row("P8-ALL-PHASES", "worker-crashed")
def test_all_phases_fails_when_a_phase_3_case_kills_its_worker(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_SPREAD={"only": "crash"}), "--gate", "-n", "2", timeout=300)
    entry = all_phases(run)
    assert entry["verdict"] == "failed" and entry["reasons"][0].startswith("P3-SPREAD broken: case test_P3_SPREAD"), \
        entry


@pytest.mark.row("P8-ALL-PHASES", "skipped-without-reason")
def test_all_phases_is_not_evaluated_when_a_phase_5_check_skips_without_a_reason(tmp_path):
    run = run_stub_suite(tmp_path, everything(P5_RESTORE_TEST={"only": "skip"}), "--gate")
    assert run.verdict("P5-RESTORE-TEST") == "not_evaluated", run.output[-3000:]
    entry = all_phases(run)
    assert entry["verdict"] == "not_evaluated" and "evaluate P5-RESTORE-TEST first" in entry["reasons"][0], entry


@pytest.mark.row("P8-ALL-PHASES", "teardown-failed")
def test_all_phases_fails_when_a_phase_3_check_could_not_put_back_what_it_changed(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_PDB={"x-teardown-fails": "pass"}), "--gate")
    entry = all_phases(run)
    assert entry["verdict"] == "failed" and entry["reasons"][0].startswith("P3-PDB broken: teardown"), entry


@pytest.mark.row("P8-ALL-PHASES", "xfail-not-waived")
def test_all_phases_fails_on_an_expected_failure_no_waiver_stands_for(tmp_path):
    run = run_stub_suite(tmp_path, everything(P3_PDB={}), "--gate", "-o", "empty_parameter_set_mark=xfail")
    entry = all_phases(run)
    assert entry["verdict"] == "failed" and "P3-PDB broken: expected to fail" in entry["reasons"][0], entry


@pytest.mark.row("P8-ALL-PHASES", "waiver-expired")
def test_all_phases_fails_when_a_phase_2_failure_is_waived_by_an_expired_waiver(tmp_path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "criterion": "P2-IMAGES", "owner": "platform-team", "reason": "registry migration",
        "expires": str(TODAY - dt.timedelta(days=1))}]}))
    run = run_stub_suite(tmp_path, everything(P2_IMAGES={"only": "fail"}), "--gate", "--waivers", str(waivers))
    entry = all_phases(run)
    assert entry["verdict"] == "failed" and entry["reasons"][0].startswith("P2-IMAGES failed: "), entry
    assert "expired" in run.reasons("P2-IMAGES"), run.reasons("P2-IMAGES")


@pytest.mark.row("P8-ALL-PHASES", "summary-absent")
def test_all_phases_is_broken_without_the_gates_plugin():
    broken_with(all_phases_check, {**empty_world(PROFILE), "request": FakeRequest(plugins=())},
                "P8-ALL-PHASES is completed from the verdicts of phase(s) 1, 2, 3, 4, 5, 6, 7 by the status summary",
                "(reporting.plugin) is not loaded")
