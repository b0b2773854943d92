"""The pytest plugin: options, profile and target loading, criterion labels, selection and verdicts."""
from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from pathlib import Path

import allure
import pytest

from readiness import criteria
from readiness.profile import Profile, ProfileError, load_profile
from readiness.verdict import CouldNotLook

ROOT = Path(__file__).resolve().parent.parent
PROFILE_KEY = pytest.StashKey[Profile]()
TARGET_KEY = pytest.StashKey[object]()
CACHE_DIR_KEY = pytest.StashKey[Path]()
RESULTS_KEY = pytest.StashKey[list]()
WAIVERS_KEY = pytest.StashKey[list]()
ENDPOINT_NEEDS = ("prometheus", "alertmanager", "loki", "grafana")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production-readiness gate")
    group.addoption("--profile", metavar="PATH", default=None,
                    help="profile YAML with every expectation (default: profiles/sandbox.yaml against the "
                         "sandbox, else profiles/254carbon.yaml)")
    group.addoption("--kubeconfig", metavar="PATH", default=None, help="kubeconfig (default: $KUBECONFIG, "
                    "in-cluster, the running sandbox, ~/.kube/config)")
    group.addoption("--context", metavar="NAME", default=None, help="kubeconfig context (default: current)")
    for name in ENDPOINT_NEEDS:
        group.addoption(f"--{name}-url", metavar="URL", default=None,
                        help=f"{name} base URL (default: ${name.upper()}_URL, the profile, the sandbox)")
    group.addoption("--grafana-token", metavar="TOKEN", default=os.environ.get("GRAFANA_TOKEN"),
                    help="Grafana API token (default: $GRAFANA_TOKEN)")
    group.addoption("--criteria", metavar="IDS", default=None,
                    help="run only these criteria, comma-separated (e.g. P3-PDB,P4-LOKI)")
    group.addoption("--allow-chaos", action="store_true", default=False,
                    help="run disruptive tests (only on contexts in the profile's chaos.allowed_contexts)")
    group.addoption("--summary-dir", metavar="DIR", default=str(ROOT / "reports"),
                    help="where summary.json, summary.md and history.jsonl are written (default: reports/)")
    group.addoption("--gate", action="store_true", default=False,
                    help="exit code follows policy: 1 when a blocker or critical criterion fails or is broken "
                         "(not waived), else 0 (also profile gate.enabled)")
    group.addoption("--report-only", action="store_true", default=False,
                    help="always exit 0 after writing every report (overrides --gate)")
    group.addoption("--waivers", metavar="PATH", default=None,
                    help="YAML file of waived criteria with owner, reason and expiry date")
    group.addoption("--write-baseline", metavar="PATH", default=None,
                    help="write a waivers file accepting today's failed and broken criteria for 30 days")
    group.addoption("--allow-alert-delivery", action="store_true", default=False,
                    help="send a synthetic alert through Alertmanager to the real receivers (P4-ALERT-DELIVERY)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "criterion(meta): the success criterion this test checks (set by "
                                       "readiness.criteria.criterion)")
    config.addinivalue_line("markers", "chaos: disrupts the cluster; needs --allow-chaos and an allowed context")
    config.addinivalue_line("markers", "sends_notification: sends a real notification; needs --allow-alert-delivery")
    if config.option.help or not _collects_suites(config):
        return    # e.g. `pytest tests`: the project's own tests load profiles and targets themselves
    from fixtures.target import TargetError, resolve
    probe_profile = config.getoption("profile")
    try:
        # Endpoints from the profile count only when a profile is given; the default depends on the target.
        first = load_profile(probe_profile) if probe_profile else None
        target = resolve(config.getoption("kubeconfig"), config.getoption("context"),
                         {n: config.getoption(f"{n}_url") for n in ENDPOINT_NEEDS},
                         first.endpoints.model_dump() if first else {})
        default = "profiles/sandbox.yaml" if target.is_sandbox else "profiles/254carbon.yaml"
        profile = first or load_profile(ROOT / default)
        target.sources["profile"] = probe_profile or f"{default} (default for this target)"
    except (ProfileError, TargetError) as exc:
        raise pytest.UsageError(str(exc)) from None
    from reports import waivers
    try:
        config.stash[WAIVERS_KEY] = waivers.load(config.getoption("waivers"))
    except waivers.WaiverError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[PROFILE_KEY] = profile
    config.stash[TARGET_KEY] = target
    config.stash[RESULTS_KEY] = []
    config.pluginmanager.register(ResultCollector(config), "readiness-results")
    worker_input = getattr(config, "workerinput", None)
    if worker_input:
        config.stash[CACHE_DIR_KEY] = Path(worker_input["readiness_cache_dir"])
    else:
        config.stash[CACHE_DIR_KEY] = Path(tempfile.mkdtemp(prefix=f"readiness-{uuid.uuid4().hex[:8]}-"))


def _collects_suites(config: pytest.Config) -> bool:
    """Whether this run collects readiness suites (so needs a profile and a target)."""
    args = [a for a in config.args if not a.startswith("-")] or [str(ROOT / p) for p in config.getini("testpaths")]
    return any(Path(a.split("::")[0]).resolve().is_relative_to(ROOT / "suites") for a in args)


def pytest_configure_node(node) -> None:
    """pytest-xdist: every worker shares the controller's cache directory (one snapshot per run)."""
    node.workerinput["readiness_cache_dir"] = str(node.config.stash[CACHE_DIR_KEY])


def pytest_report_header(config: pytest.Config) -> list[str]:
    if TARGET_KEY not in config.stash:
        return []
    target, profile = config.stash[TARGET_KEY], config.stash[PROFILE_KEY]
    src = target.sources
    lines = [f"readiness profile: {profile.name} (from {src.get('profile')})",
             f"readiness cluster: {target.describe()} (kubeconfig from {src.get('kubeconfig')}, "
             f"context from {src.get('context', 'in-cluster')})"]
    for name in ENDPOINT_NEEDS:
        lines.append(f"readiness {name}: {target.urls[name] or '(not set)'} (from {src[name]})")
    return lines


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
        if meta.id in profile.skip:
            item.add_marker(pytest.mark.skip(reason=f"{meta.id} does not apply (profile: {profile.skip[meta.id]})"))
            continue
        if meta.disruptive:
            reason = _chaos_refusal(config, profile, target)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"{meta.id} is disruptive: {reason}"))
                continue
        if item.get_closest_marker("sends_notification") and not config.getoption("allow_alert_delivery"):
            item.add_marker(pytest.mark.skip(reason=f"{meta.id} sends a real notification: "
                                                    "pass --allow-alert-delivery to run it"))
            continue
        for need in meta.needs:
            if need in ENDPOINT_NEEDS and not target.urls.get(need):
                missing.setdefault(need, []).append(meta.id)
    if missing:
        need, ids = next(iter(missing.items()))
        raise pytest.UsageError(
            f"no {need} URL for {', '.join(sorted(set(ids)))}: pass --{need}-url URL, set {need.upper()}_URL, "
            f"or set endpoints.{need} in the profile (or deselect them with --criteria)")
    # Disruptive tests run last, after every read-only check.
    items.sort(key=lambda i: bool(i.get_closest_marker("chaos")))


def _chaos_refusal(config: pytest.Config, profile: Profile, target) -> str | None:
    if not config.getoption("allow_chaos"):
        return "pass --allow-chaos to run it"
    if target.in_cluster or target.context not in profile.chaos.allowed_contexts:
        allowed = ", ".join(profile.chaos.allowed_contexts) or "none"
        return f"context {target.context or 'in-cluster'} is not in the profile's chaos.allowed_contexts ({allowed})"
    return None


@pytest.fixture(autouse=True)
def _criterion_labels(request: pytest.FixtureRequest):
    """Allure labels from the criterion's metadata and the profile (severity, runbook)."""
    meta = criteria.of(request.node)
    if meta is None:
        yield
        return
    profile = request.config.stash[PROFILE_KEY]
    allure.dynamic.epic(meta.epic)
    allure.dynamic.feature(f"{meta.id} {meta.title}")
    if getattr(request.node, "callspec", None):
        allure.dynamic.story(request.node.callspec.id)
    allure.dynamic.severity(allure.severity_level(severity_of(meta, profile)))
    allure.dynamic.label("criterion", meta.id)
    allure.dynamic.tag(f"phase{meta.phase}")
    allure.dynamic.description(f"**{meta.id}**: {meta.requirement}\n\n**Next step if it fails**: {meta.next_step}")
    allure.dynamic.link(runbook_of(meta, profile), name="runbook")
    yield


def severity_of(meta: criteria.Criterion, profile: Profile) -> str:
    return profile.severity.get(meta.id, meta.severity)


def runbook_of(meta: criteria.Criterion, profile: Profile) -> str:
    return profile.runbooks.get(meta.id, meta.runbook)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Apply waivers: an active waiver turns the failure into an xfail marked WAIVED; an expired one says so."""
    try:
        return (yield)
    except (AssertionError, pytest.fail.Exception, CouldNotLook) as exc:
        meta = criteria.of(item)
        waivers = item.config.stash.get(WAIVERS_KEY, [])
        if meta is None or not waivers:
            raise
        from reports.waivers import decide
        message = str(exc)
        decision = decide(waivers, meta.id, message)
        if decision is None:
            raise
        if decision.waived:
            pytest.xfail(f"{decision.note} | {message}")
        if isinstance(exc, CouldNotLook):
            raise CouldNotLook(exc.what, f"{exc.reason} ({decision.note})", exc.kind) from None
        pytest.fail(f"{message}\n({decision.note})", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    meta = criteria.of(item)
    if meta is None:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        verdict, message = _verdict(report, call)
        if verdict == "broken" and call.excinfo and isinstance(call.excinfo.value, CouldNotLook):
            report.longrepr = message      # the reason is the whole story; a traceback would only hide it
        # On the item too, so JUnit XML (which reads the teardown report) carries the criterion and verdict.
        item.user_properties += [("criterion", meta.id), ("verdict", verdict), ("message", message)]
        report.user_properties = [*item.user_properties, ("criterion_meta", dataclasses.asdict(meta))]
    return report


def _verdict(report: pytest.TestReport, call: pytest.CallInfo) -> tuple[str, str]:
    if report.passed:
        return "passed", ""
    if report.skipped and getattr(report, "wasxfail", None) is not None:
        return "waived", report.wasxfail.removeprefix("reason: ")
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "skipped", reason.removeprefix("Skipped: ")
    exc = call.excinfo.value if call.excinfo else None
    if isinstance(exc, CouldNotLook):
        return "broken", str(exc)
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):
        return "failed", str(exc).strip()
    return "broken", f"{exc.__class__.__name__}: {exc}" if exc else report.longreprtext.splitlines()[-1]



class ResultCollector:
    """Collects each criterion case's verdict; under xdist the controller receives every worker's reports."""

    def __init__(self, config: pytest.Config):
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from reports.results import case_from_report
        case = case_from_report(report)
        if case is not None:
            self.config.stash[RESULTS_KEY].append(case)


SUMMARY_KEY = pytest.StashKey[dict]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput") or RESULTS_KEY not in config.stash or not config.stash[RESULTS_KEY]:
        return
    from reports import allure_files, forecast, gate, waivers
    from reports import summary as summary_mod
    from reports.results import by_criterion
    profile, target = config.stash[PROFILE_KEY], config.stash[TARGET_KEY]
    directory = Path(config.getoption("summary_dir"))
    results = by_criterion(config.stash[RESULTS_KEY])
    registry = {c.criterion: c.meta for c in config.stash[RESULTS_KEY]}   # the controller of -n imports no tests
    summary = summary_mod.build(results, registry, profile_name=profile.name,
                                severity_of=lambda m: severity_of(m, profile),
                                runbook_of=lambda m: runbook_of(m, profile), target=target.describe(),
                                previous=summary_mod.read_previous(directory))
    summary["gate"] = gate.decide(summary, tuple(profile.gate.severities))
    summary["forecast"] = forecast.forecast(forecast.read_history(directory) + [summary])
    summary_mod.write(summary, directory)
    config.stash[SUMMARY_KEY] = summary
    alluredir = config.getoption("allure_report_dir", None)
    if alluredir:
        allure_files.write_environment(Path(alluredir), _environment(config, profile, target))
        allure_files.write_summary_result(Path(alluredir), summary, summary_mod.to_markdown(summary))
    if config.getoption("write_baseline"):
        Path(config.getoption("write_baseline")).write_text(waivers.baseline(summary))
    if config.getoption("report_only"):
        session.exitstatus = pytest.ExitCode.OK
    elif (config.getoption("gate") or profile.gate.enabled) and exitstatus in (0, 1):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if summary["gate"]["decision"] == "FAIL" \
            else pytest.ExitCode.OK


def _environment(config: pytest.Config, profile: Profile, target) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    try:
        suite_version = version("platform-readiness")
    except PackageNotFoundError:
        suite_version = "checkout"
    try:
        from fixtures.kube import Snapshot
        from fixtures.cache import SharedCache
        kube_version = Snapshot(target.api_client(), SharedCache(config.stash[CACHE_DIR_KEY] / "answers")).version()
    except Exception as exc:  # the version is context for the report, never a reason to fail it
        kube_version = f"unknown ({exc.__class__.__name__})"
    return {"cluster": target.describe(), "context": target.context or "in-cluster",
            "kubernetes.version": kube_version, "profile": f"{profile.name} ({target.sources.get('profile')})",
            "suite.version": suite_version,
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
