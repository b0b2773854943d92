"""Adversarial tables: how the real thing breaks while its objects still look fine, one table per criterion.

A table lives in the docstring of the criterion's suite module, in this form (one row per line, its id in
lower-case words joined by dashes):

    Adversarial table P5-BACKUP-SCHEDULE:
    - unvalidated: a Schedule with no status, which Velero never validated, counts as Enabled
    - ...

Every row is a recorded-input test under ``tests/`` (``tests/offline/adversarial/``, ``tests/tools/promql/``)
marked ``@pytest.mark.row("CID", "row-id")`` that must fail the check; the catalog test requires the rows and
the tests to match.
"""
from __future__ import annotations

import re
from pathlib import Path

HEADING = re.compile(r"^\s*Adversarial table (P\d-[A-Z0-9-]+):\s*$")
ROW = re.compile(r"^\s*- ([a-z0-9]+(?:-[a-z0-9]+)*): (\S.*)$")
MARK = re.compile(r"""mark\.row\(\s*["'](P\d-[A-Z0-9-]+)["']\s*,\s*["']([a-z0-9-]+)["']\s*\)""")


def tables(docstring: str | None) -> dict[str, dict[str, str]]:
    """criterion id -> {row id: description} of every table in a module docstring."""
    found: dict[str, dict[str, str]] = {}
    current = None
    for line in (docstring or "").splitlines():
        heading = HEADING.match(line)
        if heading:
            current = found.setdefault(heading.group(1), {})
            continue
        row = ROW.match(line)
        if current is not None and row:
            current[row.group(1)] = row.group(2)
        elif current is not None and line.strip() and not line.startswith("  "):
            current = None          # the table ended; a row's continuation lines are indented
    return found


def tested_rows(folder: Path) -> set[tuple[str, str]]:
    """(criterion id, row id) of every ``@pytest.mark.row`` under ``folder``."""
    return {m.groups() for path in folder.rglob("*.py") for m in MARK.finditer(path.read_text())}
