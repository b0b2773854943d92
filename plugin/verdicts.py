"""Each criterion case's verdict: the check's notes kept, waivers applied to a failure, and the verdict and
criterion written on the report (and the item, for JUnit XML) for the reporting hooks to gather."""
from __future__ import annotations

import dataclasses

import pytest

from fixtures.stash import NOTES_KEY, SKIP_KIND_KEY, WAIVED_KEY, WAIVERS_KEY
from readiness import criteria
from readiness.evidence import noting
from readiness.verdict import CouldNotLook, Verdict, verdict_of
from reporting.waivers import decide


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
