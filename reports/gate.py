"""The gate: the exit code follows policy, not the raw count of failed tests.

PASS: no gating criterion (blocker or critical, after the profile's overrides) of the scope failed, is broken
or went unevaluated. FAIL: one failed or is broken, unwaived. INCOMPLETE: none failed, but one was not
evaluated and nothing vouches for it (a reason in the profile's skip, an unexpired waiver, or carried-over
evidence from the same cluster); each is listed with how to evaluate it.

Exit codes: 0 the gate passes (or --report-only); 1 FAIL or INCOMPLETE (without --gate, any test failed:
pytest's own code); 2 interrupted; 4 usage error; 5 no tests collected.
"""
from __future__ import annotations

GATING = ("blocker", "critical")


def how_to_evaluate(entry: dict) -> str:
    reason = entry["reasons"][0] if entry.get("reasons") else "it was not run"
    return f"{entry['id']} ({entry['severity']}): {reason.split(': ', 1)[-1]}"


def decide(summary: dict, gating: tuple[str, ...] = GATING) -> dict:
    gating_entries = [c for c in summary["criteria"] if c["severity"] in gating]
    blocking = [c for c in gating_entries if c["verdict"] in ("failed", "broken")]
    unseen = [c for c in gating_entries if c["verdict"] == "not_evaluated"]
    waived = [c["id"] for c in summary["criteria"] if c["verdict"] == "waived"]
    scope = summary["scope"]
    where = "" if scope["kind"] == "all" else f" (scope: {scope['label']} only; production readiness needs " \
                                               "the whole suite)"
    result = {"blocking": [c["id"] for c in blocking], "not_evaluated": [c["id"] for c in unseen],
              "waived": waived, "scope": scope["label"],
              "to_evaluate": [how_to_evaluate(c) for c in unseen]}
    if blocking:
        ids = ", ".join(f"{c['id']} ({c['verdict']}, {c['severity']})" for c in blocking)
        return {"decision": "FAIL", "reason": f"{len(blocking)} gating criteria not met: {ids}{where}", **result}
    if unseen:
        return {"decision": "INCOMPLETE", "reason": f"{len(unseen)} gating criteria not evaluated: "
                f"{', '.join(c['id'] for c in unseen)}; evaluate them, carry over recent evidence, or waive "
                f"them{where}", **result}
    reason = "every gating criterion passed, is waived or does not apply" + where
    unchecked = [str(r["phase"]) for r in summary.get("phases", []) if r["status"] == "no checks yet"]
    if unchecked and scope["kind"] == "all":
        reason += f"; phases {', '.join(unchecked)} have no checks yet, so they are not part of this verdict"
    if waived:
        reason += f"; waived: {', '.join(waived)}"
    return {"decision": "PASS", "reason": reason, **result}
