"""Verdicts: a criterion is passed, failed (not met) or broken (the suite could not look).

``assert``/``fail()`` make a test *failed*; :class:`CouldNotLook` makes it
*broken* (Allure's own status for an error that is not an assertion). A check
never passes on no data: an empty answer where the platform cannot be empty is
raised as :class:`CouldNotLook`.
"""
from __future__ import annotations

import pytest


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
