"""Per-criterion verdicts gathered from test reports (works across pytest-xdist workers)."""
from __future__ import annotations

from dataclasses import dataclass, field

from readiness.criteria import Criterion
from readiness.verdict import FAILED_OR_BROKEN, Verdict

# When a criterion's cases disagree, the worst verdict is the criterion's: one case not evaluated leaves the
# criterion not evaluated, however many others passed.
PRECEDENCE = [Verdict.FAILED, Verdict.BROKEN, Verdict.NOT_EVALUATED, Verdict.WAIVED, Verdict.PASSED,
              Verdict.NOT_APPLICABLE]
MAX_REASONS = 30


@dataclass
class CaseResult:
    nodeid: str
    criterion: str
    verdict: str
    message: str
    duration: float
    meta: Criterion
    notes: list[str] = field(default_factory=list)    # what the check noted (readiness.evidence.note)


@dataclass
class CriterionResult:
    id: str
    verdict: str
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Every line of every failed or broken case (each line names one object), at most MAX_REASONS."""
        lines = [line for c in self.cases if c.verdict in FAILED_OR_BROKEN
                 for line in c.message.splitlines() if line.strip()]
        return lines[:MAX_REASONS] + ([f"... and {len(lines) - MAX_REASONS} more"] if len(lines) > MAX_REASONS else [])

    @property
    def notes(self) -> list[str]:
        """What its cases noted, each once, in case order, whatever the verdict (at most MAX_REASONS)."""
        lines = list(dict.fromkeys(n for c in self.cases for n in c.notes))
        return lines[:MAX_REASONS] + ([f"... and {len(lines) - MAX_REASONS} more"] if len(lines) > MAX_REASONS else [])


def case_from_report(report) -> CaseResult | None:
    props = dict(report.user_properties)
    if "criterion_meta" not in props:     # only the report that decided the verdict carries the metadata
        return None
    raw = dict(props["criterion_meta"])
    meta = Criterion(**{**raw, **{k: tuple(raw[k]) for k in ("needs", "tags", "profile_keys", "derived_from") if k in raw}})
    notes = [line for line in str(props.get("notes", "")).splitlines() if line.strip()]
    return CaseResult(report.nodeid, props["criterion"], props["verdict"], props.get("message", ""),
                      getattr(report, "duration", 0.0), meta, notes)


def worse(a: str, b: str) -> str:
    return a if PRECEDENCE.index(a) <= PRECEDENCE.index(b) else b


def by_criterion(cases: list[CaseResult]) -> dict[str, CriterionResult]:
    """Each criterion with its cases, one per node ID (the worst, when a case reported twice: a call that
    passed and a teardown that failed), and the worst verdict of its cases as its own."""
    per_case: dict[str, CaseResult] = {}
    for case in cases:
        known = per_case.get(case.nodeid)
        if known is None or worse(case.verdict, known.verdict) != known.verdict:
            per_case[case.nodeid] = case
    grouped: dict[str, CriterionResult] = {}
    for case in per_case.values():
        entry = grouped.setdefault(case.criterion, CriterionResult(case.criterion, Verdict.NOT_APPLICABLE))
        entry.cases.append(case)
        entry.verdict = worse(case.verdict, entry.verdict)
    return grouped
