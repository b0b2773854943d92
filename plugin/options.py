"""The plugin's options, the run's profile and target, the gate's policy and waivers, and the report header."""
from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest

from fixtures.stash import (CACHE_DIR_KEY, CATALOG_KEY, ORPHANS_KEY, POLICY_KEY, PROFILE_KEY, RECORD_FILE,
                            RESULTS_KEY, TARGET_KEY, WAIVERS_KEY)
from fixtures.target import TargetError, resolve
from plugin import PARTS
from plugin.catalog import load_all
from plugin.collection import wanted_criteria
from readiness.criteria import Criterion
from readiness.profile import ENDPOINTS, Profile, ProfileError, load_profile
from reporting import policy, waivers
from reporting.coverage import CollectionWatcher
from reporting.plugin import ResultCollector

ROOT = Path(__file__).resolve().parent.parent


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
                    help="where summary.json and summary.md are written (default: reports/)")
    group.addoption("--state-dir", metavar="DIR", default=str(ROOT / "state"),
                    help="where what one run leaves to the next is kept: the run history (history.jsonl) and "
                         "carried-over evidence (evidence.jsonl) (default: state/)")
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
    _require_every_part(config)
    catalog = load_all()
    wanted = wanted_criteria(config)            # a typo in --criteria is reported before any cluster is needed
    profile, target = _profile_and_target(config)
    _check_profile_ids(profile, catalog, target.sources["profile"])
    try:
        policy.check(profile, catalog, target.sources["profile"])
    except policy.PolicyError as exc:
        raise pytest.UsageError(str(exc)) from None
    published = config.getoption("summary_configmap")
    if published and not re.fullmatch(r"[a-z0-9-]{1,63}/[a-z0-9.-]{1,253}", published):
        raise pytest.UsageError(f"--summary-configmap {published!r}: expected NAMESPACE/NAME, e.g. "
                                "platform-readiness/readiness-summary")
    try:
        config.stash[WAIVERS_KEY] = waivers.load(config.getoption("waivers"))
    except waivers.WaiverError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CATALOG_KEY] = catalog
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
    config.pluginmanager.register(CollectionWatcher(config, wanted, config.stash[CACHE_DIR_KEY] / RECORD_FILE),
                                  "readiness-collection")


def _require_every_part(config: pytest.Config) -> None:
    """A gate with a part of its plugin switched off (``-p no:plugin.verdicts``) would vouch for a run it did
    not judge."""
    blocked = [n for n in ("readiness-results", "readiness-collection", *PARTS) if config.pluginmanager.is_blocked(n)]
    if blocked:
        raise pytest.UsageError(f"-p no:{blocked[0]}: the gate needs every part of its plugin to vouch for a run")
    absent = [n for n in PARTS if not config.pluginmanager.has_plugin(n)]
    if absent:
        raise pytest.UsageError(f"{', '.join(absent)} not loaded: the gate needs every part of its plugin "
                                f"(pytest_plugins = {list(PARTS)} in the suite's conftest.py)")


def _profile_and_target(config: pytest.Config) -> tuple[Profile, object]:
    """The target from the options, the environment, in-cluster, the sandbox or ~/.kube/config; the profile
    given, else the default for that target. Endpoints from the profile count only when a profile is given."""
    given = config.getoption("profile")
    try:
        first = load_profile(given) if given else None
        target = resolve(config.getoption("kubeconfig"), config.getoption("context"),
                         {n: config.getoption(f"{n}_url") for n in ENDPOINTS},
                         first.endpoints.model_dump() if first else {})
        default = "profiles/sandbox.yaml" if target.is_sandbox else "profiles/254carbon.yaml"
        profile = first or load_profile(ROOT / default)
        target.sources["profile"] = given or f"{default} (default for this target)"
    except (ProfileError, TargetError) as exc:
        raise pytest.UsageError(str(exc)) from None
    return profile, target


def _check_profile_ids(profile: Profile, catalog: dict[str, Criterion], source: str) -> None:
    """A criterion ID the catalog does not know, in skip, severity, runbooks or carry_over, is a typo that
    would silently do nothing (a skip that does not skip, a carry-over that never applies)."""
    for key, ids in (("skip", profile.skip), ("severity", profile.severity), ("runbooks", profile.runbooks),
                     ("gate.carry_over.criteria", profile.gate.carry_over.criteria if profile.gate.carry_over else []),
                     ("roadmap", [c for s in profile.roadmap for line in s.lines for c in line.criteria])):
        unknown = sorted(set(ids) - set(catalog))
        if unknown:
            raise pytest.UsageError(f"{source}: {key}: unknown criterion ID(s) {', '.join(unknown)}; "
                                    "see python -m plugin.catalog")
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
    return lines + policy.header_lines(config.stash[POLICY_KEY])
