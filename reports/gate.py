"""The gate: the exit code follows policy, not the raw count of failed tests.

Exit codes: 0 the gate passes (or report-only); 1 a gating criterion failed or is broken (or, without --gate,
any test failed: pytest's own code); 2 interrupted; 4 usage error (bad profile, context, URL, waivers);
5 no tests collected.
"""
from __future__ import annotations

GATING = ("blocker", "critical")


def decide(summary: dict, gating: tuple[str, ...] = GATING) -> dict:
    blocking = [c for c in summary["criteria"] if c["verdict"] in ("failed", "broken") and c["severity"] in gating]
    waived = [c["id"] for c in summary["criteria"] if c["verdict"] == "waived"]
    if blocking:
        ids = ", ".join(f"{c['id']} ({c['verdict']}, {c['severity']})" for c in blocking)
        return {"decision": "FAIL", "reason": f"{len(blocking)} gating criteria not met: {ids}",
                "blocking": [c["id"] for c in blocking], "waived": waived}
    reason = "no blocker or critical criterion failed or broken"
    if waived:
        reason += f"; waived: {', '.join(waived)}"
    return {"decision": "PASS", "reason": reason, "blocking": [], "waived": waived}
