"""The status summary: per phase, criteria passed of total, what failed and why, and the change since last run.

Written as ``summary.json`` (schema: docs/summary.schema.json) and
``summary.md``, and printed at the end of every run.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from readiness.criteria import PHASES, Criterion
from reports.results import CriterionResult

SCHEMA_VERSION = 1


def _phase_rows(results: dict[str, CriterionResult], registry: dict[str, Criterion]) -> list[dict]:
    rows = []
    for phase, title in PHASES.items():
        ids = sorted(cid for cid in results if registry[cid].phase == phase)
        if not ids:
            continue
        counts = {v: sum(results[c].verdict == v for c in ids)
                  for v in ("passed", "failed", "broken", "skipped", "waived")}
        evaluated = len(ids) - counts["skipped"]
        percent = round(100.0 * counts["passed"] / evaluated, 1) if evaluated else None
        rows.append({"phase": phase, "title": title, "criteria": len(ids), **counts, "percent": percent})
    return rows


def build(results: dict[str, CriterionResult], registry: dict[str, Criterion], *, profile_name: str,
          severity_of, runbook_of, target: str, previous: dict | None, now: dt.datetime | None = None) -> dict:
    now = now or dt.datetime.now(dt.timezone.utc)
    phases = _phase_rows(results, registry)
    criteria = []
    for cid in sorted(results, key=lambda c: (registry[c].phase, c)):
        meta, res = registry[cid], results[cid]
        entry = {"id": cid, "phase": meta.phase, "title": meta.title, "severity": severity_of(meta),
                 "verdict": res.verdict, "cases": len(res.cases)}
        if res.verdict in ("failed", "broken"):
            entry.update(reasons=res.reasons, next_step=meta.next_step, runbook=runbook_of(meta))
        if res.verdict in ("skipped", "waived"):
            entry["reasons"] = sorted({c.message for c in res.cases if c.message and c.verdict == res.verdict})
        criteria.append(entry)
    evaluated = [c for c in criteria if c["verdict"] != "skipped"]
    overall = round(100.0 * sum(c["verdict"] == "passed" for c in evaluated) / len(evaluated), 1) if evaluated else None
    summary = {"schema_version": SCHEMA_VERSION, "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "profile": profile_name, "target": target, "overall_percent": overall,
               "phases": phases, "criteria": criteria}
    summary["changes"] = _changes(summary, previous)
    return summary


def _changes(current: dict, previous: dict | None) -> list[dict]:
    if not previous:
        return []
    before = {p["phase"]: p.get("percent") for p in previous.get("phases", [])}
    changes = []
    for row in current["phases"]:
        if row["phase"] in before and before[row["phase"]] != row["percent"]:
            changes.append({"phase": row["phase"], "from": before[row["phase"]], "to": row["percent"]})
    if previous.get("overall_percent") != current["overall_percent"]:
        changes.append({"phase": "overall", "from": previous.get("overall_percent"), "to": current["overall_percent"]})
    return changes


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:g}%"


def to_lines(summary: dict) -> list[str]:
    lines = [f"Production readiness: {_pct(summary['overall_percent'])} of evaluated criteria pass "
             f"(profile {summary['profile']}, {summary['target']})"]
    for row in summary["phases"]:
        extra = ", ".join(f"{row[k]} {k}" for k in ("failed", "broken", "waived", "skipped") if row[k])
        lines.append(f"  Phase {row['phase']} {row['title'].split(': ', 1)[1]}: {row['passed']}/"
                     f"{row['criteria'] - row['skipped']} passed ({_pct(row['percent'])})" + (f"; {extra}" if extra else ""))
    for change in summary["changes"]:
        name = "Overall" if change["phase"] == "overall" else f"Phase {change['phase']}"
        lines.append(f"  {name}: {_pct(change['from'])} -> {_pct(change['to'])}")
    for c in summary["criteria"]:
        if c["verdict"] in ("failed", "broken"):
            lines.append(f"  {c['verdict'].upper():7} {c['id']} [{c['severity']}] {c['reasons'][0] if c['reasons'] else ''}")
            lines.append(f"          next: {c['next_step']} ({c['runbook']})")
        if c["verdict"] == "waived":
            lines.append(f"  WAIVED  {c['id']} [{c['severity']}] {c['reasons'][0] if c['reasons'] else ''}")
    if "forecast" in summary:
        lines.append(f"  Forecast: {summary['forecast']['text']}")
    if "gate" in summary:
        lines.append(f"  Gate: {summary['gate']['decision']} ({summary['gate']['reason']})")
    return lines


def to_markdown(summary: dict) -> str:
    out = [f"# Production readiness: {_pct(summary['overall_percent'])}", "",
           f"Profile `{summary['profile']}`, target `{summary['target']}`, generated {summary['generated_at']}.", "",
           "| Phase | Passed | Failed | Broken | Waived | Skipped | Complete |", "|---|---|---|---|---|---|---|"]
    for row in summary["phases"]:
        out.append(f"| {row['title']} | {row['passed']} | {row['failed']} | {row['broken']} | {row['waived']} | "
                   f"{row['skipped']} | {_pct(row['percent'])} |")
    if summary["changes"]:
        out += ["", "## Since the previous run", ""]
        out += [f"- {'Overall' if c['phase'] == 'overall' else 'Phase ' + str(c['phase'])}: "
                f"{_pct(c['from'])} -> {_pct(c['to'])}" for c in summary["changes"]]
    problems = [c for c in summary["criteria"] if c["verdict"] in ("failed", "broken")]
    if problems:
        out += ["", "## Failed and broken criteria", ""]
        for c in problems:
            out.append(f"- **{c['id']}** ({c['verdict']}, {c['severity']}): {c['title']}")
            out += [f"  - {r}" for r in c["reasons"][:10]]
            out.append(f"  - Next step: {c['next_step']} ([runbook]({c['runbook']}))")
    waived = [c for c in summary["criteria"] if c["verdict"] == "waived"]
    if waived:
        out += ["", "## Waived", ""] + [f"- **{c['id']}**: {c['reasons'][0] if c['reasons'] else ''}" for c in waived]
    if "forecast" in summary:
        out += ["", f"**Forecast**: {summary['forecast']['text']}"]
    if "gate" in summary:
        out += ["", f"**Gate: {summary['gate']['decision']}** ({summary['gate']['reason']})"]
    return "\n".join(out) + "\n"


def read_previous(directory: Path) -> dict | None:
    try:
        return json.loads((directory / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None


def write(summary: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (directory / "summary.md").write_text(to_markdown(summary))
    with (directory / "history.jsonl").open("a") as f:
        f.write(json.dumps({k: summary[k] for k in ("generated_at", "profile", "overall_percent", "phases")}) + "\n")
