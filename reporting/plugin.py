"""The reporting hooks: every case's verdict gathered (from pytest-xdist workers too), and at the end of the
run the status summary, the gate's decision and exit code, the run history and carried-over evidence, the
summary ConfigMap, the Allure extras and the terminal section.

The run's output goes to ``--summary-dir`` (summary.json, summary.md); what one run leaves to the next (the
run history and the evidence of opt-in criteria) to ``--state-dir``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from fixtures.kube import Snapshot
from fixtures.publish import summary_configmap
from fixtures.stash import (CACHE_DIR_KEY, CATALOG_KEY, ORPHANS_KEY, POLICY_KEY, PROFILE_KEY, PUBLISHED_KEY,
                            RECORD_FILE, RESULTS_KEY, SUMMARY_KEY, TARGET_KEY, WAIVERS_KEY, shared_cache)
from readiness.profile import Profile
from readiness.verdict import Verdict
from readiness.version import suite_version
from reporting import allure_files, carry_over, coverage, forecast, gate, waivers
from reporting import summary as summary_mod
from reporting.results import by_criterion, case_from_report


class ResultCollector:
    """Collects each criterion case's verdict; under xdist the controller receives every worker's reports."""

    def __init__(self, config: pytest.Config):
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = case_from_report(report)
        if case is not None:
            self.config.stash[RESULTS_KEY].append(case)
        elif report.failed:      # e.g. pytest-xdist's report of a case whose worker crashed
            lines = report.longreprtext.strip().splitlines() or ["failed without a report of its own"]
            said = next((line for line in lines if "crashed" in line), lines[-1])
            self.config.stash[ORPHANS_KEY][report.nodeid] = f"did not complete: {said.strip()}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Judge the run as a whole, write what it found, and make the gate's decision the exit code."""
    config = session.config
    if hasattr(config, "workerinput") or RESULTS_KEY not in config.stash:
        return
    if config.option.collectonly or config.option.setuponly or config.option.setupplan:
        return      # nothing was evaluated: no summary, and the last one stays as it was
    output = Path(config.getoption("summary_dir"))
    previous = summary_mod.read_previous(output)
    (output / "summary.json").unlink(missing_ok=True)    # never leave an older verdict if this one fails
    try:
        summary = _summarize(session, exitstatus, previous)
        if summary is None:
            return      # nothing was collected and nothing ran
        _write(config, summary, output)
        profile = config.stash[PROFILE_KEY]
        session.exitstatus = gate.exit_code(exitstatus, summary["gate"]["outcome"],
                                            report_only=config.getoption("report_only"),
                                            gated=config.getoption("gate") or profile.gate.enabled)
    except Exception:
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        raise


def _summarize(session: pytest.Session, exitstatus: int, previous: dict | None) -> dict | None:
    """The status summary: every criterion of the run's scope completed (cases that produced no verdict,
    deselected cases, criteria never collected), stand-ins for what was not evaluated, the gate's decision
    and the forecast."""
    config = session.config
    profile, target, policy = config.stash[PROFILE_KEY], config.stash[TARGET_KEY], config.stash[POLICY_KEY]
    watcher = config.pluginmanager.get_plugin("readiness-collection")
    record = (watcher and watcher.record) or coverage.CollectionRecord.read(config.stash[CACHE_DIR_KEY] / RECORD_FILE)
    cases = list(config.stash[RESULTS_KEY])
    if record is None and not cases:
        return None
    catalog = config.stash[CATALOG_KEY]
    if record is not None:
        cases += coverage.missing_cases(record, cases, config.stash[ORPHANS_KEY], catalog)
    state = Path(config.getoption("state_dir"))
    now = dt.datetime.now(dt.timezone.utc)
    cluster = _cluster_identity(config, target)
    stand_in = StandIn(profile, carry_over.read(state), cluster, now, policy["fingerprint"], suite_version(),
                       config.stash.get(WAIVERS_KEY, []))
    summary = summary_mod.build(by_criterion(cases), catalog, profile_name=profile.name,
                                severity_of=profile.severity_of, runbook_of=profile.runbook_of,
                                target=target.describe(), previous=previous, cluster=cluster, adjust=stand_in,
                                now=now, roadmap=profile.roadmap, scope=set(record.scope) if record else None,
                                selection=coverage.selection_summary(record), policy=policy,
                                suite_version=stand_in.version)
    summary["gate"] = gate.decide(summary, tuple(profile.gate.severities),
                                  interrupted=_interruption(session, exitstatus))
    history = [h for h in forecast.read_history(state) if h.get("scope") == summary["scope"]["label"]]
    summary["forecast"] = forecast.forecast(history + [summary])
    return summary


@dataclasses.dataclass
class StandIn:
    """What may stand in for a criterion that was not evaluated: recent evidence from the same cluster that the
    profile accepts (``gate.carry_over``), else a waiver naming the whole criterion."""
    profile: Profile
    evidence: list[dict]             # carry_over.read of the state directory
    cluster: dict                    # _cluster_identity
    now: dt.datetime
    policy: str                      # the gate policy's fingerprint
    version: str                     # the suite's version
    waivers: list

    def __call__(self, entry: dict) -> None:
        if entry["verdict"] != Verdict.NOT_EVALUATED:
            return
        spec = self.profile.gate.carry_over
        if spec and entry["id"] in spec.criteria:
            carry_over.apply(entry, self.evidence, spec.max_age_days, self.cluster, self.now, self.policy,
                             self.version)
        if entry["verdict"] == Verdict.NOT_EVALUATED and self.waivers:
            decision = waivers.decide(self.waivers, entry["id"], "")
            if decision and decision.waived:
                entry["verdict"], entry["reasons"] = Verdict.WAIVED, [f"{decision.note} | {entry['reasons'][0]}"]


def _write(config: pytest.Config, summary: dict, output: Path) -> None:
    """The summary to the output directory, the history and evidence to the state directory, then the
    ConfigMap, the Allure extras and the baseline waivers file when asked for."""
    state = Path(config.getoption("state_dir"))
    summary_mod.write(summary, output)
    forecast.record_history(state, summary)
    carry_over.record(state, summary)
    target = config.stash[TARGET_KEY]
    if config.getoption("summary_configmap"):
        config.stash[PUBLISHED_KEY] = summary_configmap(target.api_client(), config.getoption("summary_configmap"),
                                                        summary, summary_mod.to_markdown(summary))
    config.stash[SUMMARY_KEY] = summary
    alluredir = config.getoption("allure_report_dir", None)
    if alluredir:
        derived = {c for c, m in config.stash[CATALOG_KEY].items() if m.derived_from}
        allure_files.write_environment(Path(alluredir), _environment(config, config.stash[PROFILE_KEY], target))
        allure_files.write_summary_result(Path(alluredir), summary, summary_mod.to_markdown(summary))
        allure_files.amend_derived(Path(alluredir), summary, derived)
    if config.getoption("write_baseline"):
        Path(config.getoption("write_baseline")).write_text(waivers.baseline(summary))


def _interruption(session: pytest.Session, exitstatus: int) -> str:
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return f"interrupted: {session.shouldstop or 'Ctrl-C or SIGTERM'}"
    if exitstatus == pytest.ExitCode.INTERNAL_ERROR:
        return "an internal error"
    return ""


def _cluster_identity(config: pytest.Config, target) -> dict:
    """The cluster's identity for carried-over evidence: the kube-system namespace's UID (one GET, cached)."""
    identity = {"server": None, "uid": None, "ca_sha256": None}
    try:
        api = target.api_client()
        identity["server"] = api.configuration.host
        identity["ca_sha256"] = _ca_fingerprint(api.configuration.ssl_ca_cert)
        body = Snapshot(api, shared_cache(config), api.configuration.host).get(
            "/api/v1/namespaces/kube-system", "kube-system namespace")
        identity["uid"] = (body or {}).get("metadata", {}).get("uid")
    except Exception as exc:  # without an identity no evidence is carried over; the run itself is unaffected
        identity["error"] = f"{exc.__class__.__name__}: {exc}"
    return identity


def _ca_fingerprint(path: str | None) -> str | None:
    """SHA-256 of the CA the client trusts for the API server (None when it trusts the system's roots)."""
    if not path:
        return None
    return hashlib.sha256(b"".join(Path(path).read_bytes().split())).hexdigest()


def _environment(config: pytest.Config, profile: Profile, target) -> dict[str, str]:
    try:
        kube_version = Snapshot(target.api_client(), shared_cache(config)).version()
    except Exception as exc:  # the version is context for the report, never a reason to fail it
        kube_version = f"unknown ({exc.__class__.__name__})"
    return {"cluster": target.describe(), "context": target.context or "in-cluster",
            "kubernetes.version": kube_version, "profile": f"{profile.name} ({target.sources.get('profile')})",
            "suite.version": suite_version(), "gate.policy": config.stash[POLICY_KEY]["fingerprint"],
            **{f"endpoint.{k}": v or "not set" for k, v in target.urls.items()}}


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    summary = config.stash.get(SUMMARY_KEY, None)
    if summary is None:
        return
    terminalreporter.section("production readiness")
    for line in summary_mod.to_lines(summary):
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"  (written to {config.getoption('summary_dir')}/summary.json and summary.md)")
    if PUBLISHED_KEY in config.stash:
        terminalreporter.write_line(f"  ({config.stash[PUBLISHED_KEY]})")
