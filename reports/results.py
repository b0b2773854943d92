"""Per-criterion verdicts gathered from test reports (works across pytest-xdist workers)."""
from __future__ import annotations

from dataclasses import dataclass, field

from readiness.criteria import Criterion

# When a criterion's cases disagree, the worst verdict is the criterion's: one case not evaluated leaves the
# criterion not evaluated, however many others passed.
PRECEDENCE = ["failed", "broken", "not_evaluated", "waived", "passed", "not_applicable"]
VERDICTS = tuple(PRECEDENCE)
MAX_REASONS = 30


@dataclass
class CaseResult:
    nodeid: str
    criterion: str
    verdict: str
    message: str
    duration: float
    meta: Criterion


@dataclass
class CriterionResult:
    id: str
    verdict: str
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Every line of every failed or broken case (each line names one object), at most MAX_REASONS."""
        lines = [line for c in self.cases if c.verdict in ("failed", "broken")
                 for line in c.message.splitlines() if line.strip()]
        return lines[:MAX_REASONS] + ([f"... and {len(lines) - MAX_REASONS} more"] if len(lines) > MAX_REASONS else [])


def case_from_report(report) -> CaseResult | None:
    props = dict(report.user_properties)
    if "criterion_meta" not in props:     # only the report that decided the verdict carries the metadata
        return None
    raw = dict(props["criterion_meta"])
    meta = Criterion(**{**raw, **{k: tuple(raw[k]) for k in ("needs", "tags", "profile_keys", "derived_from") if k in raw}})
    return CaseResult(report.nodeid, props["criterion"], props["verdict"], props.get("message", ""),
                      getattr(report, "duration", 0.0), meta)


def by_criterion(cases: list[CaseResult]) -> dict[str, CriterionResult]:
    grouped: dict[str, CriterionResult] = {}
    for case in cases:
        entry = grouped.setdefault(case.criterion, CriterionResult(case.criterion, "not_applicable"))
        entry.cases.append(case)
        if PRECEDENCE.index(case.verdict) < PRECEDENCE.index(entry.verdict):
            entry.verdict = case.verdict
    return grouped
