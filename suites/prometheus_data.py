"""Is the data a Prometheus-based check judges current and complete?

A PromQL answer says nothing about the present once its samples stopped: a rate over an hour still answers 49
minutes after the last scrape, and a window's average does not see its holes. So each check names the raw series
its queries read (a :class:`Source`) and asks Prometheus first:

- every expected group of that series is there (one per value of a label, such as each critical service): a
  group missing is a failure, named;
- each group's newest sample is at most ``prometheus.max_sample_age_s`` old: older data is not judged (broken,
  "newest sample 49m old");
- for windowed criteria, the share of the window's steps that hold a sample (:func:`coverage`).

Times are Prometheus' own (``time()``): the suite's clock never meets a sample's timestamp.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from readiness.evidence import attach_query
from readiness.timing import prom_duration_s, shown
from readiness.verdict import CouldNotLook



@dataclass(frozen=True)
class Source:
    """The raw series a query reads, and which of it must be there: one group per value of ``per`` (each of
    ``expected``, or at least one when none are listed)."""
    selector: str
    per: str | None = None
    expected: tuple[str, ...] = ()

    def group(self, metric: dict) -> str:
        return metric.get(self.per, "") if self.per else ""

    def named(self, group: str) -> str:
        return f'{self.selector} with {self.per}="{group}"' if self.per else self.selector

    def by(self) -> str:
        return f" by ({self.per})" if self.per else ""


NEAR_STEPS = 30          # fine steps searched just before now
FAR_STEPS = 720          # coarse steps over the whole horizon: an hour apart over 30 days


def ages_query(source: Source, horizon: str, max_age_s: float) -> str:
    """Seconds since each group's newest sample in the horizon. Exact while a sample is within Prometheus'
    lookback (``timestamp``); a series that ended (a staleness marker, or none for longer) keeps its last time
    through subqueries, finely over the last minutes (steps of a quarter of the age allowed) and coarsely over
    the whole horizon, so "ended 10 s ago" and "ended 10 days ago" are both told, at a few hundred points a
    series."""
    fine = max(1, min(60, int(max_age_s // 4)))
    coarse = max(fine, int((prom_duration_s(horizon) or 0) // FAR_STEPS))
    stamp = f"timestamp({source.selector})"
    return (f"time() - max{source.by()} ({stamp} or max_over_time({stamp}[{NEAR_STEPS * fine}s:{fine}s]) "
            f"or max_over_time({stamp}[{horizon}:{coarse}s]))")


@dataclass
class Freshness:
    """Each group's seconds since its newest sample, judged against what is expected and the maximum age."""
    source: Source
    horizon: str
    max_age_s: float
    ages: dict[str, float]
    what: str

    def missing(self) -> list[str]:
        """Problems: expected groups without a sample in the horizon."""
        return [f"{self.source.named(g)}: no sample in the last {self.horizon}, expected one"
                for g in self.source.expected if g not in self.ages]

    def old(self) -> list[str]:
        return sorted((g for g, age in self.ages.items() if age > self.max_age_s), key=lambda g: -self.ages[g])

    def current(self) -> set[str]:
        return set(self.ages) - set(self.old())

    def stale(self) -> CouldNotLook | None:
        """Broken, naming every group whose data is too old to judge by; None when all are current."""
        old = self.old()
        if not old:
            return None
        listed = "; ".join(f"{self.source.named(g)}: newest sample {shown(self.ages[g])} old" for g in old)
        return CouldNotLook(self.what, f"{listed}; expected within {shown(self.max_age_s)} "
                                       "(prometheus.max_sample_age_s): data that old is not judged (scraping "
                                       "stopped?)", "stale")


def freshness(prometheus, source: Source, horizon: str, max_age_s: float, what: str) -> Freshness:
    """Which groups of ``source`` are there, and how old their newest samples are. No sample at all in the
    horizon is broken: a check that reads nothing proves nothing."""
    query = ages_query(source, horizon, max_age_s)
    result = prometheus.query(query)
    attach_query(f"{what}: seconds since the newest sample", "PromQL", query, result)
    ages = {source.group(s["metric"]): float(s["value"][1]) for s in result}
    if not ages:
        raise CouldNotLook(what, f"no {source.selector} sample in the last {horizon} (not scraped, or a wrong "
                                 "selector)", "empty")
    impossible = [g for g, age in ages.items() if not -max_age_s <= age < math.inf]
    if impossible:
        raise CouldNotLook(what, f"{source.named(impossible[0])}: newest sample {ages[impossible[0]]:g} s old, "
                                 "which cannot be (Prometheus' clock or the samples' timestamps are wrong)",
                           "invalid")
    return Freshness(source, horizon, max_age_s, ages, what)


@dataclass
class Coverage:
    """A group's steps in the window: those since its first sample, those holding a sample, and the sum of the
    value over them (for 0/1 series: the steps it was 1)."""
    span_s: float
    steps: int
    present: float
    total: float

    @property
    def share(self) -> float:
        return self.present / self.steps if self.steps else 0.0


def step_series(source: Source, interval: str) -> str:
    """One value per group at each step: the lowest of its series' latest samples within two intervals (a gap
    shorter than that is not seen; scrape jitter never makes one)."""
    range_s = 2 * (prom_duration_s(interval) or 0)
    return f"min{source.by()} (last_over_time({source.selector}[{range_s}s]))"


def coverage_queries(source: Source, window: str, interval: str) -> dict[str, str]:
    per_step = f"({step_series(source, interval)})[{window}:{interval}]"
    first = f"timestamp({step_series(source, interval)})[{window}:{interval}]"
    return {"present": f"count_over_time({per_step})", "total": f"sum_over_time({per_step})",
            "span": f"time() - min_over_time({first})"}


def coverage(prometheus, source: Source, window: str, interval: str, what: str) -> dict[str, Coverage]:
    """Per group: the steps of ``interval`` from its first sample in the window (or the window's start) to now,
    how many held a sample, and the sum of the values."""
    answers = {}
    for key, query in coverage_queries(source, window, interval).items():
        result = prometheus.query(query)
        attach_query(f"{what}: {key} over the window", "PromQL", query, result)
        answers[key] = {source.group(s["metric"]): float(s["value"][1]) for s in result}
    step_s = prom_duration_s(interval) or 1
    found = {}
    for group, span in answers["span"].items():
        found[group] = Coverage(span, int(span // step_s) + 1, answers["present"].get(group, 0.0),
                                answers["total"].get(group, math.nan))
    return found
