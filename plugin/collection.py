"""Collection: the criteria selected (``--criteria``), each case's Allure labels, the cases refused before
they run (profile skips, chaos and notifications not permitted), profile parametrisation, and the setup
that skips a refused case or breaks one whose profile input is missing."""
from __future__ import annotations

import pytest
import yaml

from fixtures.stash import PROFILE_KEY, SKIP_KIND_KEY, SKIP_REASON_KEY, TARGET_KEY
from readiness import criteria, per_profile
from readiness.profile import ENDPOINTS, Profile
from readiness.verdict import CouldNotLook, Verdict


def wanted_criteria(config: pytest.Config) -> set[str] | None:
    """The criteria ``--criteria`` names (None: all); an unknown ID is a usage error."""
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
    wanted = wanted_criteria(config)
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
                              ("severity", profile.severity_of(meta)), ("criterion", meta.id),
                              ("tag", f"phase{meta.phase}")):
        item.add_marker(pytest.mark.allure_label(value, label_type=label_type))
    if getattr(item, "callspec", None):
        item.add_marker(pytest.mark.allure_label(item.callspec.id, label_type="story"))
    item.add_marker(pytest.mark.allure_description(_description(meta, profile)))
    item.add_marker(pytest.mark.allure_link(profile.runbook_of(meta), link_type="link", name="runbook"))
    title = f"{meta.id}: {meta.title}" + (" [{param_id}]" if getattr(item, "callspec", None) else "")
    item.obj.__allure_display_name__ = title


def _description(meta: criteria.Criterion, profile: Profile) -> str:
    text = f"**{meta.id}**: {meta.requirement}\n\n**Next step if it fails**: {meta.next_step}"
    if meta.profile_keys:
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
    per_profile.parametrize(metafunc, metafunc.config.stash.get(PROFILE_KEY, None))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A refused case is skipped, and a case whose profile input is missing is broken, before any fixture runs."""
    meta = criteria.of(item)
    if meta is None:
        return
    if SKIP_KIND_KEY in item.stash:
        pytest.skip(item.stash[SKIP_REASON_KEY])
    reason = per_profile.missing_reason(item, meta.id)
    if reason:
        raise CouldNotLook("profile", reason, "unconfigured")
