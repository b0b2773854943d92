"""Evidence for the Allure report: the objects looked at, the queries and their answers, the numbers; and notes,
the findings a reader of the status summary must see even when the criterion passes."""
from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator

import allure

_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("readiness_notes", default=None)


def attach_json(name: str, data) -> None:
    allure.attach(json.dumps(data, indent=2, sort_keys=True, default=str), name=name,
                  attachment_type=allure.attachment_type.JSON)


def attach_table(name: str, headers: list[str], rows: list[list]) -> None:
    """A compact CSV table (Allure renders CSV attachments as tables)."""
    def cell(value) -> str:
        text = "" if value is None else str(value)
        return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text
    lines = [",".join(headers)] + [",".join(cell(v) for v in row) for row in rows]
    allure.attach("\n".join(lines) + "\n", name=name, attachment_type=allure.attachment_type.CSV)


def attach_query(name: str, language: str, query: str, result) -> None:
    attach_json(name, {"language": language, "query": query, "result": result})


def attach_text(name: str, text: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def note(text: str) -> None:
    """Record a finding that does not decide the verdict but must not stay in an attachment (a critical alert
    silenced by a person: who, why, until when). The status summary lists it under its criterion and the gate's
    reason repeats it, whatever the verdict. One line that names the object, like a failure line."""
    text = " ".join(text.split())
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)
    allure.attach(text, name="note", attachment_type=allure.attachment_type.TEXT)


@contextlib.contextmanager
def noting(into: list[str] | None = None) -> Iterator[list[str]]:
    """Collect the notes recorded while a check runs (the plugin wraps every criterion's call in it)."""
    notes = [] if into is None else into
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
