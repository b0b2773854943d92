"""The pytest plugin: options, profile and target loading, criterion labels, selection and verdicts."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest

from readiness import criteria
from readiness.evidence import noting
from readiness.profile import ENDPOINTS, Profile, ProfileError, load_profile
from readiness.verdict import CouldNotLook, Verdict, verdict_of

ROOT = Path(__file__).resolve().parent.parent
PROFILE_KEY = pytest.StashKey[Profile]()
TARGET_KEY = pytest.StashKey[object]()
CACHE_DIR_KEY = pytest.StashKey[Path]()
SHARED_CACHE_KEY = pytest.StashKey[object]()
RESULTS_KEY = pytest.StashKey[list]()
WAIVERS_KEY = pytest.StashKey[list]()
POLICY_KEY = pytest.StashKey[dict]()
ORPHANS_KEY = pytest.StashKey[dict]()            # node ID -> a report without criterion metadata (a crash)
RECORD_FILE = "collection.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production-readiness gate")
    group.addoption("--profile", metavar="PATH", default=None,
                    help="profile YAML with every expectation (default: profiles/sandbox.yaml against the "
                         "sandbox, else profiles/254carbon.yaml)")
    group.addoption("--kubeconfig", metavar="PATH", default=None, help="kubeconfig (default: $KUBECONFIG, "
                    "in-cluster, the running sandbox, ~/.kube/config)")
    group.addoption("--context", metavar="NAME", default=None, help="kubeconfig context (default: current)")
    for name in ENDPOINTS:
        group.addoption(f"--{name}-url", metavar="URL", default=None,
                        help=f"{name} base URL (default: ${name.upper()}_URL, the profile, the sandbox)")
    group.addoption("--grafana-token", metavar="TOKEN", default=os.environ.get("GRAFANA_TOKEN"),
                    help="Grafana API token (default: $GRAFANA_TOKEN)")
    group.addoption("--ca-bundle", metavar="PATH", default=None,
                    help="PEM file of trusted roots for served certificates (default: $READINESS_CA_BUNDLE, the "
                         "profile's phase2.certificates.ca_bundle, the sandbox's CA, the system's roots)")
    group.addoption("--criteria", metavar="IDS", default=None,
                    help="run only these criteria, comma-separated (e.g. P3-PDB,P4-LOKI)")
    group.addoption("--allow-chaos", action="store_true", default=False,
                    help="run disruptive tests (only on contexts in the profile's chaos.allowed_contexts)")
    group.addoption("--summary-dir", metavar="DIR", default=str(ROOT / "reports"),
                    help="where summary.json, summary.md and history.jsonl are written (default: reports/)")
    group.addoption("--gate", action="store_true", default=False,
                    help="exit code follows policy: 1 when a blocker or critical criterion fails, is broken or "
                         "was not evaluated (not waived, not carried over), else 0 (also profile gate.enabled)")
    group.addoption("--report-only", action="store_true", default=False,
                    help="always exit 0 after writing every report (overrides --gate)")
    group.addoption("--waivers", metavar="PATH", default=None,
                    help="YAML file of waived criteria with owner, reason and expiry date")
    group.addoption("--write-baseline", metavar="PATH", default=None,
                    help="write a waivers file accepting today's failed and broken criteria for 30 days")
    group.addoption("--summary-configmap", metavar="NAMESPACE/NAME", default=None,
                    help="also write the summary to this ConfigMap (kubectl get shows the last verdict)")
    group.addoption("--allow-alert-delivery", action="store_true", default=False,
                    help="send a synthetic alert through Alertmanager to the real receivers (P4-ALERT-DELIVERY)")
    parser.addini("readiness_suites", type="paths", default=[],
                  help="directories whose tests are readiness criteria (default: the checkout's suites/)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "criterion(meta): the success criterion this test checks (set by "
                                       "readiness.criteria.criterion)")
    config.addinivalue_line("markers", "chaos: disrupts the cluster; needs --allow-chaos and an allowed context")
    config.addinivalue_line("markers", "sends_notification: sends a real notification; needs --allow-alert-delivery")
    config.addinivalue_line("markers", "profile_missing(path, noun): the profile lists none of what the case checks")
    if config.option.help:
        return
    if not _collects_suites(config):
        gating = [f"--{o.replace('_', '-')}" for o in ("gate", "report_only", "criteria", "summary_configmap")
                  if config.getoption(o)]
        if gating:   # a gate over no readiness suite would exit 0 having judged nothing
            raise pytest.UsageError(f"{', '.join(gating)}: this run collects no readiness suite (suites/ or the "
                                    "readiness_suites ini setting); run pytest suites ...")
        return    # e.g. `pytest tests`: the project's own tests load profiles and targets themselves
    blocked = [n for n in ("readiness-results", "readiness-collection") if config.pluginmanager.is_blocked(n)]
    if blocked:
        raise pytest.UsageError(f"-p no:{blocked[0]}: the gate needs every part of its plugin to vouch for a run")
    from fixtures.target import TargetError, resolve
    from readiness.catalog import load_all
    catalog = load_all()
    wanted = _wanted(config)            # a typo in --criteria is reported before any cluster is needed
    probe_profile = config.getoption("profile")
    try:
        # Endpoints from the profile count only when a profile is given; the default depends on the target.
        first = load_profile(probe_profile) if probe_profile else None
        target = resolve(config.getoption("kubeconfig"), config.getoption("context"),
                         {n: config.getoption(f"{n}_url") for n in ENDPOINTS},
                         first.endpoints.model_dump() if first else {})
        default = "profiles/sandbox.yaml" if target.is_sandbox else "profiles/254carbon.yaml"
        profile = first or load_profile(ROOT / default)
        target.sources["profile"] = probe_profile or f"{default} (default for this target)"
    except (ProfileError, TargetError) as exc:
        raise pytest.UsageError(str(exc)) from None
    _check_profile_ids(profile, target.sources["profile"])
    from reports import policy
    try:
        policy.check(profile, catalog, target.sources["profile"])
    except policy.PolicyError as exc:
        raise pytest.UsageError(str(exc)) from None
    published = config.getoption("summary_configmap")
    if published and not re.fullmatch(r"[a-z0-9-]{1,63}/[a-z0-9.-]{1,253}", published):
        raise pytest.UsageError(f"--summary-configmap {published!r}: expected NAMESPACE/NAME, e.g. "
                                "platform-readiness/readiness-summary")
    from reports import waivers
    try:
        config.stash[WAIVERS_KEY] = waivers.load(config.getoption("waivers"))
    except waivers.WaiverError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[PROFILE_KEY] = profile
    config.stash[TARGET_KEY] = target
    config.stash[RESULTS_KEY] = []
    config.stash[POLICY_KEY] = policy.describe(profile, catalog, config.stash[WAIVERS_KEY], config.getoption("waivers"))
    config.stash[ORPHANS_KEY] = {}
    config.pluginmanager.register(ResultCollector(config), "readiness-results")
    worker_input = getattr(config, "workerinput", None)
    if worker_input:
        config.stash[CACHE_DIR_KEY] = Path(worker_input["readiness_cache_dir"])
    else:
        config.stash[CACHE_DIR_KEY] = Path(tempfile.mkdtemp(prefix=f"readiness-{uuid.uuid4().hex[:8]}-"))
    from reports.coverage import CollectionWatcher
    config.pluginmanager.register(CollectionWatcher(config, wanted, config.stash[CACHE_DIR_KEY] / RECORD_FILE),
                                  "readiness-collection")


def _check_profile_ids(profile: Profile, source: str) -> None:
    """A criterion ID the catalog does not know, in skip, severity, runbooks or carry_over, is a typo that
    would silently do nothing (a skip that does not skip, a carry-over that never applies)."""
    from readiness.catalog import load_all
    catalog = load_all()
    for key, ids in (("skip", profile.skip), ("severity", profile.severity), ("runbooks", profile.runbooks),
                     ("gate.carry_over.criteria", profile.gate.carry_over.criteria if profile.gate.carry_over else []),
                     ("roadmap", [c for s in profile.roadmap for line in s.lines for c in line.criteria])):
        unknown = sorted(set(ids) - set(catalog))
        if unknown:
            raise pytest.UsageError(f"{source}: {key}: unknown criterion ID(s) {', '.join(unknown)}; "
                                    "see python -m readiness.catalog")
    if profile.gate.carry_over:
        read_only = sorted(c for c in profile.gate.carry_over.criteria if not catalog[c].opt_in)
        if read_only:
            raise pytest.UsageError(f"{source}: gate.carry_over.criteria: {', '.join(read_only)} can be evaluated "
                                    "on every run; only disruptive or notifying criteria may be carried over")


def _collects_suites(config: pytest.Config) -> bool:
    """Whether this run collects readiness suites (so needs a profile and a target)."""
    args = [a for a in config.args if not a.startswith("-")] or [str(ROOT / p) for p in config.getini("testpaths")]
    suites = config.getini("readiness_suites") or [ROOT / "suites"]
    return any(Path(a.split("::")[0]).resolve().is_relative_to(Path(d).resolve()) for a in args for d in suites)


def shared_cache(config: pytest.Config):
    """The run's one store of answers: in memory in a serial run; under pytest-xdist, in the run's directory,
    where the first process to need an answer writes it for the others."""
    from fixtures.cache import SharedCache
    if SHARED_CACHE_KEY not in config.stash:
        distributed = hasattr(config, "workerinput") or bool(config.getoption("numprocesses", None))
        config.stash[SHARED_CACHE_KEY] = SharedCache(config.stash[CACHE_DIR_KEY] / "answers" if distributed
                                                     else None)
    return config.stash[SHARED_CACHE_KEY]


def pytest_configure_node(node) -> None:
    """pytest-xdist: every worker shares the controller's cache directory (one snapshot per run)."""
    if CACHE_DIR_KEY in node.config.stash:      # not for `pytest tests`, which collects no suite
        node.workerinput["readiness_cache_dir"] = str(node.config.stash[CACHE_DIR_KEY])


def pytest_report_header(config: pytest.Config) -> list[str]:
    if TARGET_KEY not in config.stash:
        return []
    target, profile = config.stash[TARGET_KEY], config.stash[PROFILE_KEY]
    src = target.sources
    lines = [f"readiness profile: {profile.name} (from {src.get('profile')})",
             f"readiness cluster: {target.describe()} (kubeconfig from {src.get('kubeconfig')}, "
             f"context from {src.get('context', 'in-cluster')})"]
    for name in ENDPOINTS:
        lines.append(f"readiness {name}: {target.urls[name] or '(not set)'} (from {src[name]})")
    from reports.policy import header_lines
    return lines + header_lines(config.stash[POLICY_KEY])


def _wanted(config: pytest.Config) -> set[str] | None:
    raw = config.getoption("criteria")
    if not raw:
        return None
    ids = {part.strip().upper() for part in raw.split(",") if part.strip()}
    unknown = ids - set(criteria.REGISTRY)
    if unknown:
        raise pytest.UsageError(f"--criteria: unknown criterion ID(s) {', '.join(sorted(unknown))}; "
                                f"known: {', '.join(sorted(criteria.REGISTRY))}")
    return ids


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if PROFILE_KEY not in config.stash:
        return
    wanted = _wanted(config)
    profile, target = config.stash[PROFILE_KEY], config.stash[TARGET_KEY]
    kept, deselected = [], []
    for item in items:
        meta = criteria.of(item)
        if meta and wanted is not None and meta.id not in wanted:
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    missing: dict[str, list[str]] = {}
    for item in items:
        meta = criteria.of(item)
        if meta is None:
            continue
        _add_report_labels(item, meta, profile)
        if meta.id in profile.skip:
            _skip(item, Verdict.NOT_APPLICABLE, f"{meta.id} does not apply (profile: {profile.skip[meta.id]})")
            continue
        if meta.disruptive:
            reason = _chaos_refusal(config, profile, target)
            if reason:
                _skip(item, Verdict.NOT_EVALUATED, f"{meta.id} is disruptive and was not run: {reason}")
                continue
        if meta.notifies and not config.getoption("allow_alert_delivery"):
            _skip(item, Verdict.NOT_EVALUATED, f"{meta.id} sends a real notification and was not run: "
                                         "pass --allow-alert-delivery to run it")
            continue
        for need in meta.needs:
            if need in ENDPOINTS and not target.urls.get(need):
                missing.setdefault(need, []).append(meta.id)
    if missing:
        need, ids = next(iter(missing.items()))
        raise pytest.UsageError(
            f"no {need} URL for {', '.join(sorted(set(ids)))}: pass --{need}-url URL, set {need.upper()}_URL, "
            f"or set endpoints.{need} in the profile (or deselect them with --criteria)")
    # Disruptive tests run last, after every read-only check.
    items.sort(key=lambda i: bool(i.get_closest_marker("chaos")))


SKIP_KIND_KEY = pytest.StashKey[Verdict]()
SKIP_REASON_KEY = pytest.StashKey[str]()
WAIVED_KEY = pytest.StashKey[bool]()


def _skip(item: pytest.Item, kind: Verdict, reason: str) -> None:
    """``not_applicable`` (the profile says so, with a reason) or ``not_evaluated`` (not permitted here).
    The case is skipped by this plugin's own setup hook, never only by a mark: ``-p no:skipping`` must not
    let a refused chaos case run."""
    item.stash[SKIP_KIND_KEY] = kind
    item.stash[SKIP_REASON_KEY] = reason
    item.add_marker(pytest.mark.skip(reason=reason))


def _add_report_labels(item: pytest.Item, meta: criteria.Criterion, profile: Profile) -> None:
    """Allure labels as markers, so a skipped case is filed under its phase and criterion like a run one."""
    for label_type, value in (("epic", meta.epic), ("feature", f"{meta.id} {meta.title}"),
                              ("severity", severity_of(meta, profile)), ("criterion", meta.id),
                              ("tag", f"phase{meta.phase}")):
        item.add_marker(pytest.mark.allure_label(value, label_type=label_type))
    if getattr(item, "callspec", None):
        item.add_marker(pytest.mark.allure_label(item.callspec.id, label_type="story"))
    item.add_marker(pytest.mark.allure_description(_description(meta, profile)))
    item.add_marker(pytest.mark.allure_link(runbook_of(meta, profile), link_type="link", name="runbook"))
    title = f"{meta.id}: {meta.title}" + (" [{param_id}]" if getattr(item, "callspec", None) else "")
    item.obj.__allure_display_name__ = title


def _description(meta: criteria.Criterion, profile: Profile) -> str:
    text = f"**{meta.id}**: {meta.requirement}\n\n**Next step if it fails**: {meta.next_step}"
    if meta.profile_keys:
        import yaml
        shown = {key: profile.show(key) for key in meta.profile_keys}
        text += (f"\n\n**Expected by profile {profile.name}**:\n\n```yaml\n"
                 f"{yaml.safe_dump(shown, sort_keys=False, allow_unicode=True)}```")
    if meta.id in profile.skip:
        text += f"\n\n**Does not apply to this platform**: {profile.skip[meta.id]}"
    return text


def _chaos_refusal(config: pytest.Config, profile: Profile, target) -> str | None:
    if not config.getoption("allow_chaos"):
        return "pass --allow-chaos to run it"
    if target.in_cluster or target.context not in profile.chaos.allowed_contexts:
        allowed = ", ".join(profile.chaos.allowed_contexts) or "none"
        return f"context {target.context or 'in-cluster'} is not in the profile's chaos.allowed_contexts ({allowed})"
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from readiness import per_profile
    per_profile.parametrize(metafunc, metafunc.config.stash.get(PROFILE_KEY, None))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A refused case is skipped, and a case whose profile input is missing is broken, before any fixture runs."""
    meta = criteria.of(item)
    if meta is None:
        return
    if SKIP_KIND_KEY in item.stash:
        pytest.skip(item.stash[SKIP_REASON_KEY])
    from readiness.per_profile import missing_reason
    reason = missing_reason(item, meta.id)
    if reason:
        raise CouldNotLook("profile", reason, "unconfigured")


def severity_of(meta: criteria.Criterion, profile: Profile) -> str:
    override = profile.severity_override(meta.id)
    return override.severity if override else meta.severity


def runbook_of(meta: criteria.Criterion, profile: Profile) -> str:
    return profile.runbooks.get(meta.id, meta.runbook)


NOTES_KEY = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Collect the check's notes (readiness.evidence.note) for the summary, and apply waivers: a failure whose
    every line is covered by an active waiver is WAIVED (an xfail); lines no waiver covers keep the criterion
    failed, and an expired waiver says so."""
    try:
        with noting(item.stash.setdefault(NOTES_KEY, [])):
            return (yield)
    except (AssertionError, pytest.fail.Exception, CouldNotLook) as exc:
        meta = criteria.of(item)
        waivers = item.config.stash.get(WAIVERS_KEY, [])
        if meta is None or not waivers:
            raise
        from reports.waivers import decide
        decision = decide(waivers, meta.id, str(exc))
        if decision is None:
            raise
        if decision.waived:
            item.stash[WAIVED_KEY] = True
            pytest.xfail(f"{decision.note} | {exc}")
        if isinstance(exc, CouldNotLook):
            raise CouldNotLook(exc.what, f"{exc.reason} ({decision.note})", exc.kind) from None
        pytest.fail(f"{decision.remaining}\n({decision.note})", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    meta = criteria.of(item)
    if meta is None:
        return report
    if report.when == "call" or (report.when in ("setup", "teardown") and not report.passed):
        verdict, message = _verdict(item, report, call)
        if report.when == "teardown":      # the check ran, but what it set up (or changed) was not put back
            verdict, message = Verdict.BROKEN, f"teardown: {message}"
        if verdict == Verdict.BROKEN and call.excinfo and isinstance(call.excinfo.value, CouldNotLook):
            report.longrepr = message      # the reason is the whole story; a traceback would only hide it
        # On the item too, so JUnit XML (which reads the teardown report) carries the criterion and verdict;
        # as plain strings, which pytest-xdist can send from a worker.
        item.user_properties += [("criterion", meta.id), ("verdict", verdict.value), ("message", message)]
        if item.stash.get(NOTES_KEY, None):
            item.user_properties.append(("notes", "\n".join(item.stash[NOTES_KEY])))
        report.user_properties = [*item.user_properties, ("criterion_meta", dataclasses.asdict(meta))]
    return report


def _verdict(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo) -> tuple[Verdict, str]:
    if report.passed:
        return Verdict.PASSED, ""
    if report.skipped and getattr(report, "wasxfail", None) is not None:
        reason = report.wasxfail.removeprefix("reason: ")
        if item.stash.get(WAIVED_KEY, False):
            return Verdict.WAIVED, reason
        return Verdict.BROKEN, (f"expected to fail ({reason or 'xfail'}), which only a waiver may say of a readiness "
                          "case: remove the xfail, or waive the criterion in a waivers file")
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return item.stash.get(SKIP_KIND_KEY, Verdict.NOT_EVALUATED), reason.removeprefix("Skipped: ")
    if call.excinfo is None:
        return Verdict.BROKEN, report.longreprtext.splitlines()[-1]
    return verdict_of(call.excinfo.value)



class ResultCollector:
    """Collects each criterion case's verdict; under xdist the controller receives every worker's reports."""

    def __init__(self, config: pytest.Config):
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from reports.results import case_from_report
        case = case_from_report(report)
        if case is not None:
            self.config.stash[RESULTS_KEY].append(case)
        elif report.failed:      # e.g. pytest-xdist's report of a case whose worker crashed
            lines = report.longreprtext.strip().splitlines() or ["failed without a report of its own"]
            said = next((line for line in lines if "crashed" in line), lines[-1])
            self.config.stash[ORPHANS_KEY][report.nodeid] = f"did not complete: {said.strip()}"


SUMMARY_KEY = pytest.StashKey[dict]()
PUBLISHED_KEY = pytest.StashKey[str]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput") or RESULTS_KEY not in config.stash:
        return
    if config.option.collectonly or config.option.setuponly or config.option.setupplan:
        return      # nothing was evaluated: no summary, and the last one stays as it was
    from reports.summary import read_previous
    directory = Path(config.getoption("summary_dir"))
    previous = read_previous(directory)
    (directory / "summary.json").unlink(missing_ok=True)    # never leave an older verdict if this one fails
    try:
        _finish(session, exitstatus, directory, previous)
    except Exception:
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        raise


def _finish(session: pytest.Session, exitstatus: int, directory: Path, previous: dict | None) -> None:
    config = session.config
    from readiness.catalog import load_all
    from readiness.version import suite_version
    from reports import allure_files, carry_over, coverage, forecast, gate, waivers
    from reports import summary as summary_mod
    from reports.results import by_criterion
    profile, target, policy = config.stash[PROFILE_KEY], config.stash[TARGET_KEY], config.stash[POLICY_KEY]
    watcher = config.pluginmanager.get_plugin("readiness-collection")
    record = (watcher and watcher.record) or \
        coverage.CollectionRecord.read(config.stash[CACHE_DIR_KEY] / RECORD_FILE)
    cases = list(config.stash[RESULTS_KEY])
    if record is None and not cases:
        return
    catalog = load_all()
    if record is not None:
        cases += coverage.missing_cases(record, cases, config.stash[ORPHANS_KEY], catalog)
    results = by_criterion(cases)
    cluster = _cluster_identity(config, target)
    now = dt.datetime.now(dt.timezone.utc)
    evidence = carry_over.read(directory)
    active_waivers = config.stash.get(WAIVERS_KEY, [])
    version = suite_version()

    def adjust(entry: dict) -> None:
        """What may stand in for a criterion that was not evaluated: a waiver naming the whole criterion, or
        recent evidence from the same cluster that the profile accepts."""
        if entry["verdict"] != Verdict.NOT_EVALUATED:
            return
        spec = profile.gate.carry_over
        if spec and entry["id"] in spec.criteria:
            carry_over.apply(entry, evidence, spec.max_age_days, cluster, now, policy["fingerprint"], version)
        if entry["verdict"] == Verdict.NOT_EVALUATED and active_waivers:
            decision = waivers.decide(active_waivers, entry["id"], "")
            if decision and decision.waived:
                entry["verdict"], entry["reasons"] = Verdict.WAIVED, [f"{decision.note} | {entry['reasons'][0]}"]

    summary = summary_mod.build(results, catalog, profile_name=profile.name,
                                severity_of=lambda m: severity_of(m, profile),
                                runbook_of=lambda m: runbook_of(m, profile), target=target.describe(),
                                previous=previous, cluster=cluster, adjust=adjust,
                                now=now, roadmap=profile.roadmap, scope=set(record.scope) if record else None,
                                selection=coverage.selection_summary(record), policy=policy,
                                suite_version=version)
    summary["gate"] = gate.decide(summary, tuple(profile.gate.severities),
                                  interrupted=_interruption(session, exitstatus))
    history = [h for h in forecast.read_history(directory) if h.get("scope") == summary["scope"]["label"]]
    summary["forecast"] = forecast.forecast(history + [summary])
    summary_mod.write(summary, directory)
    carry_over.record(directory, summary)
    if config.getoption("summary_configmap"):
        from fixtures.publish import summary_configmap
        config.stash[PUBLISHED_KEY] = summary_configmap(target.api_client(), config.getoption("summary_configmap"),
                                                        summary, summary_mod.to_markdown(summary))
    config.stash[SUMMARY_KEY] = summary
    alluredir = config.getoption("allure_report_dir", None)
    if alluredir:
        allure_files.write_environment(Path(alluredir), _environment(config, profile, target))
        allure_files.write_summary_result(Path(alluredir), summary, summary_mod.to_markdown(summary))
        allure_files.amend_derived(Path(alluredir), summary, {c for c, m in catalog.items() if m.derived_from})
    if config.getoption("write_baseline"):
        Path(config.getoption("write_baseline")).write_text(waivers.baseline(summary))
    session.exitstatus = exit_code(exitstatus, summary["gate"]["outcome"],
                                   report_only=config.getoption("report_only"),
                                   gated=config.getoption("gate") or profile.gate.enabled)


def _interruption(session: pytest.Session, exitstatus: int) -> str:
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return f"interrupted: {session.shouldstop or 'Ctrl-C or SIGTERM'}"
    if exitstatus == pytest.ExitCode.INTERNAL_ERROR:
        return "an internal error"
    return ""


def exit_code(pytest_status: int, outcome: str, *, report_only: bool, gated: bool) -> int:
    """Test failures become the gate's answer (or 0 with --report-only); an interrupted run, an internal
    error, a usage error or a run with no tests keeps pytest's own code: it was not a completed evaluation."""
    if pytest_status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return pytest_status
    if report_only:
        return pytest.ExitCode.OK
    if gated:
        return pytest.ExitCode.OK if outcome == "PASS" else pytest.ExitCode.TESTS_FAILED
    return pytest_status


def _cluster_identity(config: pytest.Config, target) -> dict:
    """The cluster's identity for carried-over evidence: the kube-system namespace's UID (one GET, cached)."""
    from fixtures.kube import Snapshot
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
    import hashlib
    return hashlib.sha256(b"".join(Path(path).read_bytes().split())).hexdigest()


def _environment(config: pytest.Config, profile: Profile, target) -> dict[str, str]:
    from readiness.version import suite_version
    try:
        from fixtures.kube import Snapshot
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
    from reports.summary import to_lines
    terminalreporter.section("production readiness")
    for line in to_lines(summary):
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"  (written to {config.getoption('summary_dir')}/summary.json and summary.md)")
    if PUBLISHED_KEY in config.stash:
        terminalreporter.write_line(f"  ({config.stash[PUBLISHED_KEY]})")
