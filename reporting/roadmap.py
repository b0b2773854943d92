"""The roadmap as a live status report: each checklist line of the profile's roadmap ticked from this run's
verdicts, and the phases in the roadmap's own progress form.

A line is *done* when every criterion mapped to it passed (or is waived, or does not apply with a reason) and
at least one passed or is waived; *not applicable* when every one of them does not apply;
*open* when one failed, is broken or went unevaluated; *not in this run* when the run's scope left one of its
criteria out; *not checked* when no criterion is mapped to it, so a roadmap line never silently drops out of
sign-off.
"""
from __future__ import annotations

from readiness.verdict import Verdict

DONE_VERDICTS = (Verdict.PASSED, Verdict.WAIVED, Verdict.NOT_APPLICABLE)
MARKS = {"done": "[x]", "open": "[ ]", "not in this run": "[-]", "not checked": "[?]", "not applicable": "[n/a]"}


def line_state(criteria: list[str], verdicts: dict[str, dict]) -> tuple[str, list[str]]:
    """(state, what keeps it from done: "ID verdict" for each criterion not done)."""
    if not criteria:
        return "not checked", []
    pending = [f"{c} {verdicts[c]['verdict'].replace('_', ' ')}" for c in criteria
               if c in verdicts and verdicts[c]["verdict"] not in DONE_VERDICTS]
    absent = [f"{c} not in this run" for c in criteria if c not in verdicts]
    if pending:
        return "open", pending + absent
    if absent:
        return "not in this run", absent
    if all(verdicts[c]["verdict"] == Verdict.NOT_APPLICABLE for c in criteria):
        return "not applicable", [f"{c} does not apply" for c in criteria]
    return "done", []


def checklist(sections, entries: list[dict]) -> list[dict]:
    verdicts = {e["id"]: e for e in entries}
    out = []
    for section in sections:
        items = []
        for item in section.lines:
            state, why = line_state(list(item.criteria), verdicts)
            items.append({"line": item.line, "criteria": list(item.criteria), "state": state, "why": why})
        out.append({"title": section.title, "items": items})
    return out


def checklist_lines(roadmap: list[dict]) -> list[str]:
    """The checklist; lines wholly outside the run's scope are counted, not listed (a one-phase run would
    otherwise print the whole roadmap as not in this run)."""
    lines, hidden = [], 0
    for section in roadmap:
        shown = [i for i in section["items"] if not outside(i)]
        hidden += len(section["items"]) - len(shown)
        if shown:
            lines.append(section["title"])
        for item in shown:
            note = "no criterion mapped: not checked" if item["state"] == "not checked" else "; ".join(item["why"])
            lines.append(f"  {MARKS[item['state']]} {item['line']}" + (f" ({note})" if note else ""))
    if hidden:
        lines.append(f"{hidden} line(s) decided by criteria outside this run's scope")
    return lines


def outside(item: dict) -> bool:
    """No criterion of the line was in this run."""
    return item["state"] == "not in this run" and len(item["why"]) == len(item["criteria"])


def progress_lines(phases: list[dict]) -> list[str]:
    """Phase progress as the roadmap writes it: a check mark for a complete phase, an hourglass otherwise."""
    lines = []
    for row in phases:
        name = f"Phase {row['phase']}: {row['title'].split(': ', 1)[-1]}"
        if row["status"] != "evaluated":
            lines.append(f"⏳ {name:34} ({row['status']})")
        elif row["percent"] == 100:
            lines.append(f"✅ {name:34} (100% complete)")
        else:
            lines.append(f"⏳ {name:34} ({row['percent']:g}%)")
    return lines
