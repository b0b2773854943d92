"""The status summary: every phase of the roadmap, what this run's scope covered, and what it could not tell.

Written as ``summary.json`` (schema: docs/summary.schema.json) and ``summary.md``, and printed at the end of
every run. The percentage is over every applicable criterion of the scope: a criterion that was not evaluated
counts against it, so a run that did not look can never read 100%. A phase without checks, or outside the
run's scope, is listed as such, never as complete.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from readiness.criteria import PHASES, Criterion
from readiness.verdict import FAILED_OR_BROKEN, Verdict
from reporting.coverage import selection_summary
from reporting.results import CriterionResult
from reporting.roadmap import checklist, checklist_lines, outside, progress_lines

SCHEMA_VERSION = 3
COUNTED = tuple(Verdict)


def scope_of(selected: set[str], catalog: dict[str, Criterion]) -> dict:
    """What this run set out to check: the whole catalog, whole phases, or a hand-picked set of criteria."""
    phases = sorted({catalog[c].phase for c in selected})
    whole_phases = all({c for c in catalog if catalog[c].phase == p} <= selected for p in phases)
    if not selected:
        kind, label = "criteria", "Nothing in scope"
    elif selected >= set(catalog):
        kind, label = "all", "Production readiness"
    elif whole_phases:
        kind = "phases"
        label = f"Phase {phases[0]}" if len(phases) == 1 else "Phases " + ", ".join(map(str, phases))
    else:
        kind, label = "criteria", "Selected criteria (" + ", ".join(sorted(selected)) + ")"
    return {"kind": kind, "label": label, "criteria": sorted(selected), "phases": phases}


def _count(entries: list[dict]) -> dict:
    counts = {v: sum(e["verdict"] == v for e in entries) for v in COUNTED}
    counts["applicable"] = len(entries) - counts[Verdict.NOT_APPLICABLE]
    return counts


def _percent(counts: dict) -> float | None:
    return round(100.0 * counts[Verdict.PASSED] / counts["applicable"], 1) if counts["applicable"] else None


def _phase_rows(entries: list[dict], catalog: dict[str, Criterion]) -> list[dict]:
    rows = []
    for phase, title in PHASES.items():
        known = [c for c in catalog.values() if c.phase == phase]
        mine = [e for e in entries if e["phase"] == phase]
        status = "no checks yet" if not known else "not in this run" if not mine else "evaluated"
        counts = _count(mine)
        rows.append({"phase": phase, "title": title, "status": status, "criteria": len(mine),
                     "catalog_criteria": len(known), **counts, "percent": _percent(counts) if mine else None})
    return rows


def build(results: dict[str, CriterionResult], catalog: dict[str, Criterion], *, profile_name: str, severity_of,
          runbook_of, target: str, previous: dict | None, cluster: dict | None = None,
          adjust=None, now: dt.datetime | None = None, roadmap=(), scope: set[str] | None = None,
          selection: dict | None = None, policy: dict | None = None, suite_version: str = "") -> dict:
    """``adjust(entry)`` may change an entry before it is counted (waivers and carried-over evidence for
    criteria that were not evaluated). ``scope``: the criteria the run set out to check (its collection
    record), by default those with results; every one of them has results by then (reporting.coverage)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    overrides = {o["id"]: o for o in (policy or {}).get("severity_overrides", [])}
    entries = []
    for cid in sorted(results, key=lambda c: (catalog[c].phase, c)):
        meta, res = catalog[cid], results[cid]
        entry = {"id": cid, "phase": meta.phase, "title": meta.title, "severity": severity_of(meta),
                 "verdict": res.verdict, "cases": len(res.cases), "opt_in": meta.opt_in}
        if entry["severity"] != meta.severity:
            entry["severity_override"] = {"catalog": meta.severity,
                                          "reason": (overrides.get(cid) or {}).get("reason")}
        if res.verdict in FAILED_OR_BROKEN:
            entry["reasons"] = res.reasons
        else:
            entry["reasons"] = sorted({c.message for c in res.cases if c.message and c.verdict == res.verdict})
        if res.notes:
            entry["notes"] = res.notes
        if adjust:
            adjust(entry)
        if meta.derived_from and entry["verdict"] == Verdict.PASSED:
            _derive(entry, meta, entries, catalog)
        if entry["verdict"] in (*FAILED_OR_BROKEN, Verdict.NOT_EVALUATED):
            entry.update(next_step=meta.next_step, runbook=runbook_of(meta))
        entries.append(entry)
    counts = _count(entries)
    summary = {"schema_version": SCHEMA_VERSION, "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "profile": profile_name, "target": target, "cluster": cluster or {},
               "suite_version": suite_version, "policy": policy or {},
               "scope": scope_of(set(results) if scope is None else set(scope), catalog),
               "selection": selection or selection_summary(None),
               "counts": counts, "overall_percent": _percent(counts),
               "phases": _phase_rows(entries, catalog), "criteria": entries,
               "roadmap": checklist(roadmap, entries)}
    summary["headline"] = headline(summary)
    summary["changes"] = _changes(summary, previous)
    return summary


def _derive(entry: dict, meta: Criterion, earlier: list[dict], catalog: dict[str, Criterion]) -> None:
    """Complete a criterion made of other phases' verdicts (already counted: they sort before it)."""
    seen = {e["id"]: e for e in earlier}
    wanted = sorted(c for c, m in catalog.items() if m.phase in meta.derived_from)
    missing = [c for c in wanted if c not in seen]
    unmet = [seen[c] for c in wanted if c in seen and seen[c]["verdict"] in FAILED_OR_BROKEN]
    unseen = [c for c in wanted if c in seen and seen[c]["verdict"] == Verdict.NOT_EVALUATED]
    if unmet:
        entry["verdict"] = Verdict.FAILED
        entry["reasons"] = [f"{e['id']} {e['verdict']}"
                            + (f": {e['reasons'][0].splitlines()[0]}" if e.get("reasons") else "") for e in unmet]
    elif missing or unseen:
        entry["verdict"] = Verdict.NOT_EVALUATED
        entry["reasons"] = [f"evaluate {', '.join(missing + unseen)} first (its verdict is made of theirs)"]


def _ids(entries: list[dict]) -> str:
    return ", ".join(e["id"] for e in entries)


def headline(summary: dict) -> str:
    counts, scope = summary["counts"], summary["scope"]
    text = f"{scope['label']}: {counts[Verdict.PASSED]} of {counts['applicable']} applicable criteria pass"
    if summary["overall_percent"] is not None:
        text += f" ({summary['overall_percent']:g}%)"
    bad = [e for e in summary["criteria"] if e["verdict"] in FAILED_OR_BROKEN]
    if bad:
        text += f"; {len(bad)} failed or broken ({_ids(bad)})"
    unseen = [e for e in summary["criteria"] if e["verdict"] == Verdict.NOT_EVALUATED]
    if unseen:
        text += f"; {len(unseen)} not evaluated ({_ids(unseen)})"
    selection = summary.get("selection") or {}
    if selection.get("deselected_cases"):
        text += (f"; {selection['deselected_cases']} case(s) deselected by {selection['how']} "
                 f"({', '.join(sorted(selection['deselected']))})")
    waived = [e for e in summary["criteria"] if e["verdict"] == Verdict.WAIVED]
    if waived:
        text += f"; {len(waived)} waived"
    carried = [e for e in summary["criteria"] if e.get("carried_over")]
    if carried:
        text += f"; {len(carried)} carried over from earlier runs"
    if scope["kind"] == "all":
        empty = [str(r["phase"]) for r in summary["phases"] if r["status"] == "no checks yet"]
        if empty:
            text += f"; phase{'s' if len(empty) > 1 else ''} {', '.join(empty)} " \
                    f"{'have' if len(empty) > 1 else 'has'} no checks"
    return text


def _changes(current: dict, previous: dict | None) -> list[dict]:
    if not previous or previous.get("schema_version") != SCHEMA_VERSION:
        return []
    before = {p["phase"]: p.get("percent") for p in previous.get("phases", []) if p.get("status") == "evaluated"}
    changes = []
    for row in current["phases"]:
        if row["status"] == "evaluated" and row["phase"] in before and before[row["phase"]] != row["percent"]:
            changes.append({"phase": row["phase"], "from": before[row["phase"]], "to": row["percent"]})
    if previous.get("scope", {}).get("label") == current["scope"]["label"] \
            and previous.get("overall_percent") != current["overall_percent"]:
        changes.append({"phase": "overall", "from": previous.get("overall_percent"), "to": current["overall_percent"]})
    return changes


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:g}%"


def phase_line(row: dict) -> str:
    name = f"Phase {row['phase']} {row['title'].split(': ', 1)[1]}"
    if row["status"] != "evaluated":
        return f"{name}: {row['status']}"
    extra = ", ".join(f"{row[k]} {k.replace('_', ' ')}" for k in (Verdict.FAILED, Verdict.BROKEN, Verdict.NOT_EVALUATED,
                                                                   Verdict.WAIVED, Verdict.NOT_APPLICABLE) if row[k])
    partial = f" (of {row['catalog_criteria']} in the catalog)" if row["criteria"] < row["catalog_criteria"] else ""
    return (f"{name}: {row[Verdict.PASSED]}/{row['applicable']} applicable passed ({_pct(row['percent'])}){partial}"
            + (f"; {extra}" if extra else ""))


def criterion_lines(c: dict) -> list[str]:
    """One line for a criterion that is not simply passed, the next step where there is one, and every note."""
    return _verdict_lines(c) + [f"NOTE    {c['id']}: {n}" for n in c.get("notes", [])]


def _verdict_lines(c: dict) -> list[str]:
    carried = c.get("carried_over")
    if carried:
        return [f"CARRIED {c['id']}: {carried['verdict']} {carried['age']} (run at {carried['at']}, "
                f"same cluster)"]
    if c["verdict"] in FAILED_OR_BROKEN:
        return [f"{c['verdict'].upper():7} {c['id']} [{c['severity']}] {c['reasons'][0] if c['reasons'] else ''}",
                f"        next: {c['next_step']} ({c['runbook']})"]
    if c["verdict"] == Verdict.NOT_EVALUATED:
        lines = [f"NOT EVALUATED {c['id']} [{c['severity']}] {c['reasons'][0] if c['reasons'] else ''}"]
        if c.get("carry_over_refused"):
            lines.append(f"        earlier evidence not used: {c['carry_over_refused']}")
        return lines
    if c["verdict"] == Verdict.WAIVED:
        return [f"WAIVED  {c['id']} [{c['severity']}] {c['reasons'][0] if c['reasons'] else ''}"]
    if c["verdict"] == Verdict.NOT_APPLICABLE:
        return [f"N/A     {c['id']} {c['reasons'][0] if c['reasons'] else ''}"]
    return []


def policy_line(policy: dict) -> str:
    if not policy:
        return "Gate policy: not recorded"
    changed = [o for o in policy["severity_overrides"] if o["catalog"] != o["profile"]]
    carry = policy.get("carry_over")
    carried = f"{', '.join(carry['criteria'])} within {carry['max_age_days']:g} days" if carry else "none"
    return (f"Gate policy {policy['fingerprint']}: gating {', '.join(policy['gating_severities'])}; "
            f"{len(changed)} severity override(s); {len(policy['skip'])} skip(s); {len(policy['waivers'])} "
            f"waiver(s); carry-over: {carried}")


def selection_lines(selection: dict) -> list[str]:
    lines = [f"DESELECTED {cid}: {', '.join(names)} (by {selection['how']})"
             for cid, names in (selection or {}).get("deselected", {}).items()]
    lines += [f"NOT COLLECTED {cid}: {why}" for cid, why in (selection or {}).get("uncollected", {}).items()]
    return lines


def to_lines(summary: dict) -> list[str]:
    lines = [summary["headline"], f"  (profile {summary['profile']}, {summary['target']})",
             f"  {policy_line(summary.get('policy') or {})}"]
    lines += [f"  {phase_line(row)}" for row in summary["phases"]]
    lines += [f"  {line}" for line in selection_lines(summary.get("selection"))]
    for change in summary["changes"]:
        name = "Overall" if change["phase"] == "overall" else f"Phase {change['phase']}"
        lines.append(f"  {name}: {_pct(change['from'])} -> {_pct(change['to'])}")
    for c in summary["criteria"]:
        lines += [f"  {line}" for line in criterion_lines(c)]
    if summary.get("roadmap"):
        lines.append("  Roadmap checklist ([x] done, [ ] open, [-] not in this run, [?] not checked, "
                     "[n/a] not applicable):")
        lines += [f"    {line}" for line in checklist_lines(summary["roadmap"])]
    if "forecast" in summary:
        lines.append(f"  Forecast: {summary['forecast']['text']}")
    if "gate" in summary:
        gate = summary["gate"]
        lines.append(f"  Gate: {gate['decision']} ({gate['reason']})")
        lines += [f"    {line}" for line in gate.get("to_evaluate", [])]
    return lines


def to_markdown(summary: dict) -> str:
    out = [f"# {summary['headline']}", "",
           f"Profile `{summary['profile']}`, target `{summary['target']}`, generated {summary['generated_at']}, "
           f"suite {summary.get('suite_version') or 'unknown'}.", "", policy_line(summary.get("policy") or {}) + ".",
           *[f"- {o['id']}: {o['catalog']} -> {o['profile']}" + (f" ({o['reason']})" if o['reason'] else "")
             for o in (summary.get("policy") or {}).get("severity_overrides", []) if o["catalog"] != o["profile"]],
           "", *[f"- {line}" for line in selection_lines(summary.get("selection"))], "",
           "| Phase | Status | Passed | Failed | Broken | Not evaluated | Waived | Not applicable | Complete |",
           "|---|---|---|---|---|---|---|---|---|"]
    for row in summary["phases"]:
        if row["status"] != "evaluated":
            out.append(f"| {row['title']} | {row['status']} | | | | | | | |")
            continue
        out.append(f"| {row['title']} | evaluated | {row[Verdict.PASSED]} | {row[Verdict.FAILED]} | "
                   f"{row[Verdict.BROKEN]} | {row[Verdict.NOT_EVALUATED]} | {row[Verdict.WAIVED]} | "
                   f"{row[Verdict.NOT_APPLICABLE]} | {_pct(row['percent'])} |")
    out += ["", "## Completion roadmap", "", "```", *progress_lines(summary["phases"]), "```"]
    if summary.get("roadmap"):
        out += ["", "## Roadmap checklist", ""]
        for section in summary["roadmap"]:
            items = [i for i in section["items"] if not outside(i)]
            if not items:
                continue
            out += [f"### {section['title']}", ""]
            for item in items:
                tick = "x" if item["state"] == "done" else " "
                note = "not checked: no criterion mapped" if item["state"] == "not checked" else \
                    "; ".join(item["why"]) or ", ".join(item["criteria"])
                out.append(f"- [{tick}] {item['line']} ({note})")
            out.append("")
    if summary["changes"]:
        out += ["", "## Since the previous run", ""]
        out += [f"- {'Overall' if c['phase'] == 'overall' else 'Phase ' + str(c['phase'])}: "
                f"{_pct(c['from'])} -> {_pct(c['to'])}" for c in summary["changes"]]
    problems = [c for c in summary["criteria"] if c["verdict"] in FAILED_OR_BROKEN]
    if problems:
        out += ["", "## Failed and broken criteria", ""]
        for c in problems:
            out.append(f"- **{c['id']}** ({c['verdict']}, {c['severity']}): {c['title']}")
            out += [f"  - {r}" for r in c["reasons"][:10]]
            out.append(f"  - Next step: {c['next_step']} ([runbook]({c['runbook']}))")
    unseen = [c for c in summary["criteria"] if c["verdict"] == Verdict.NOT_EVALUATED]
    if unseen:
        out += ["", "## Not evaluated", ""]
        for c in unseen:
            out.append(f"- **{c['id']}** ({c['severity']}): {c['reasons'][0] if c['reasons'] else ''}")
            if c.get("carry_over_refused"):
                out.append(f"  - Earlier evidence not used: {c['carry_over_refused']}")
    carried = [c for c in summary["criteria"] if c.get("carried_over")]
    if carried:
        out += ["", "## Carried over from earlier runs", ""]
        out += [f"- **{c['id']}**: {c['carried_over']['verdict']} {c['carried_over']['age']} "
                f"(run at {c['carried_over']['at']}, same cluster)" for c in carried]
    noted = [c for c in summary["criteria"] if c.get("notes")]
    if noted:
        out += ["", "## Notes from the checks", ""]
        for c in noted:
            out.append(f"- **{c['id']}** ({c['verdict'].replace('_', ' ')}):")
            out += [f"  - {n}" for n in c["notes"]]
    for verdict, title in ((Verdict.WAIVED, "Waived"), (Verdict.NOT_APPLICABLE, "Not applicable (profile)")):
        rows = [c for c in summary["criteria"] if c["verdict"] == verdict]
        if rows:
            out += ["", f"## {title}", ""] + [f"- **{c['id']}**: {c['reasons'][0] if c['reasons'] else ''}"
                                            for c in rows]
    if "forecast" in summary:
        out += ["", f"**Forecast**: {summary['forecast']['text']}"]
    if "gate" in summary:
        out += ["", f"**Gate: {summary['gate']['decision']}** ({summary['gate']['reason']})"]
        out += [f"- {line}" for line in summary["gate"].get("to_evaluate", [])]
    return "\n".join(out) + "\n"


def read_previous(directory: Path) -> dict | None:
    try:
        return json.loads((directory / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None


def write(summary: dict, directory: Path) -> None:
    """The run's output: summary.json and summary.md (the run history is state: forecast.record_history)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (directory / "summary.md").write_text(to_markdown(summary))
