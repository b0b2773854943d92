"""Verdicts: a criterion is passed, failed (not met) or broken (the suite could not look).

``assert``/``fail()`` make a test *failed*; :class:`CouldNotLook` makes it
*broken* (Allure's own status for an error that is not an assertion). A check
never passes on no data: an empty answer where the platform cannot be empty is
raised as :class:`CouldNotLook`.
"""
from __future__ import annotations

import enum

import pytest


class Verdict(enum.StrEnum):
    """A criterion's verdict, spelled as the summary writes it; members compare equal to those strings, so a
    verdict read back from JSON is one too. In the summary's counting order."""
    PASSED = "passed"
    FAILED = "failed"                    # not met
    BROKEN = "broken"                    # the suite could not look
    WAIVED = "waived"                    # not met, accepted by a waiver until a date
    NOT_EVALUATED = "not_evaluated"      # not run here (not permitted, not collected)
    NOT_APPLICABLE = "not_applicable"    # the profile says it does not apply


FAILED_OR_BROKEN = (Verdict.FAILED, Verdict.BROKEN)


class CouldNotLook(Exception):
    """The check could not observe what it needs (unreachable, forbidden, timeout, implausibly empty)."""

    def __init__(self, what: str, reason: str, kind: str = "unreachable"):
        super().__init__(f"could not evaluate: {what}: {reason}")
        self.what, self.reason, self.kind = what, reason, kind


def fail(problems: list[str] | str, expectation: str = "") -> None:
    """Fail the criterion with one line per problem; each line names the object and what was seen."""
    problems = [problems] if isinstance(problems, str) else problems
    if not problems:
        return
    head = f"{expectation}: " if expectation else ""
    shown = problems[:15]
    more = f"\n... and {len(problems) - 15} more" if len(problems) > 15 else ""
    pytest.fail(head + ("\n".join(shown) if len(shown) > 1 else shown[0]) + more, pytrace=False)


def require_data(items, what: str, where: str) -> None:
    """An empty answer where the platform cannot be empty means the suite looked in the wrong place."""
    if not items:
        raise CouldNotLook(what, f"{where} returned nothing; a platform cannot have none (wrong URL or scope?)",
                           kind="empty")


def require_listed(values, path: str, noun: str, criterion_id: str) -> None:
    """A criterion whose profile input is missing could not be evaluated: broken, with the fix. Leaving a list
    out of the profile never means the criterion does not apply (only ``skip: {ID: reason}`` does)."""
    if not values:
        raise CouldNotLook("profile", f"the profile lists no {noun} ({path}): list them, or add {criterion_id} "
                                      "to skip with a reason", "unconfigured")


def fail_first(problems: list[str], could_not_look: CouldNotLook) -> None:
    """Part of a check could not look: report what was found wrong elsewhere as failed (the reason stays in
    the message), and only with nothing found wrong is the criterion broken."""
    if problems:
        fail(problems + [str(could_not_look)])
    raise could_not_look


def verdict_of(exc: BaseException) -> tuple[Verdict, str]:
    """The verdict of a check that raised ``exc``, with its message: an assertion or ``fail()`` is *failed*;
    :class:`CouldNotLook`, and any other error, is *broken* (a check that errs never passes)."""
    if isinstance(exc, CouldNotLook):
        return Verdict.BROKEN, str(exc)
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):
        return Verdict.FAILED, str(exc).strip()
    return Verdict.BROKEN, f"{exc.__class__.__name__}: {exc}"
