"""The gate: the exit code follows policy, not the raw count of failed tests.

PASS: no gating criterion (blocker or critical, after the profile's overrides) of the scope failed, is broken
or went unevaluated. FAIL: one failed or is broken, unwaived. INCOMPLETE: none failed, but one was not
evaluated and nothing vouches for it (a reason in the profile's skip, an unexpired waiver, or carried-over
evidence from the same cluster); each is listed with how to evaluate it.

The decision is ``PASS`` only for the whole catalog. A partial scope passes as ``PASS (partial: phase 4)``,
in the field itself, so no consumer can take a phase's pass for production readiness; ``outcome`` is the bare
PASS, FAIL or INCOMPLETE that the exit code follows. The reason names every result the profile's policy
changed (a severity override, a skip, a waiver, carried-over evidence), and every note a check recorded (a
critical alert silenced by a person: who, why, until when), so a pass never hides what was muted.

Exit codes: 0 the gate passes, whole or partial (or --report-only after a completed run); 1 FAIL or INCOMPLETE
(without --gate, any test failed: pytest's own code); 2 interrupted; 3 internal error; 4 usage error; 5 no
tests collected.
"""
from __future__ import annotations

import pytest

from readiness.verdict import FAILED_OR_BROKEN, Verdict
from reporting.policy import effects

GATING = ("blocker", "critical")


def how_to_evaluate(entry: dict) -> str:
    reason = entry["reasons"][0] if entry.get("reasons") else "it was not run"
    return f"{entry['id']} ({entry['severity']}): {reason.split(': ', 1)[-1]}"


def partial_label(scope: dict) -> str | None:
    """None for the whole catalog, else what the run covered: "phase 4", "phases 3, 4", "P6-API-LATENCY"."""
    if scope["kind"] == "all":
        return None
    if scope["kind"] == "phases":
        phases = scope["phases"]
        return f"phase{'s' if len(phases) > 1 else ''} {', '.join(map(str, phases))}"
    ids = scope["criteria"]
    return ", ".join(ids) if len(ids) <= 3 else f"{len(ids)} criteria"


def decide(summary: dict, gating: tuple[str, ...] = GATING, interrupted: str = "") -> dict:
    """``interrupted``: why the run did not complete (Ctrl-C, SIGTERM, an internal error); such a run never
    passes, whatever the severities of the cases it did not reach."""
    gating_entries = [c for c in summary["criteria"] if c["severity"] in gating]
    blocking = [c for c in gating_entries if c["verdict"] in FAILED_OR_BROKEN]
    unseen = [c for c in gating_entries if c["verdict"] == Verdict.NOT_EVALUATED]
    waived = [c["id"] for c in summary["criteria"] if c["verdict"] == Verdict.WAIVED]
    scope = summary["scope"]
    partial = partial_label(scope)
    where = f" (scope: {scope['label']} only; production readiness needs the whole suite)" if partial else ""
    policy = effects(summary["criteria"], gating)
    notes = [f"{c['id']}: {n}" for c in summary["criteria"] for n in c.get("notes", [])]
    by_policy = f"; by the profile's policy: {'; '.join(policy)}" if policy else ""
    by_policy += f"; noted by the checks: {'; '.join(notes)}" if notes else ""     # whatever the decision
    result = {"blocking": [c["id"] for c in blocking], "not_evaluated": [c["id"] for c in unseen],
              "waived": waived, "scope": scope["label"], "partial": partial is not None,
              "gating_severities": list(gating), "policy_effects": policy, "notes": notes,
              "to_evaluate": [how_to_evaluate(c) for c in unseen]}
    if blocking:
        ids = ", ".join(f"{c['id']} ({c['verdict']}, {c['severity']})" for c in blocking)
        return {"decision": "FAIL", "outcome": "FAIL",
                "reason": f"{len(blocking)} gating criteria not met: {ids}{where}{by_policy}", **result}
    if unseen:
        return {"decision": "INCOMPLETE", "outcome": "INCOMPLETE",
                "reason": f"{len(unseen)} gating criteria not evaluated: {', '.join(c['id'] for c in unseen)}; "
                          f"evaluate them, carry over recent evidence, or waive them{where}{by_policy}", **result}
    if not summary["criteria"]:
        return {"decision": "INCOMPLETE", "outcome": "INCOMPLETE", "reason": "no criterion was in this run's scope"
                f"{'; the run did not complete (' + interrupted + ')' if interrupted else ''}", **result}
    if interrupted:
        return {"decision": "INCOMPLETE", "outcome": "INCOMPLETE",
                "reason": f"the run did not complete ({interrupted}): only what ran was judged{where}{by_policy}",
                **result}
    reason = "every gating criterion passed, is waived or does not apply" + where
    unchecked = [str(r["phase"]) for r in summary.get("phases", []) if r["status"] == "no checks yet"]
    if unchecked and not partial:
        reason += f"; phases {', '.join(unchecked)} have no checks yet, so they are not part of this verdict"
    decision = f"PASS (partial: {partial})" if partial else "PASS"
    return {"decision": decision, "outcome": "PASS", "reason": reason + by_policy, **result}


def exit_code(pytest_status: int, outcome: str, *, report_only: bool, gated: bool) -> int:
    """Test failures become the gate's answer (or 0 with --report-only); an interrupted run, an internal
    error, a usage error or a run with no tests keeps pytest's own code: it was not a completed evaluation."""
    if pytest_status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return pytest_status
    if report_only:
        return pytest.ExitCode.OK
    if gated:
        return pytest.ExitCode.OK if outcome == "PASS" else pytest.ExitCode.TESTS_FAILED
    return pytest_status
