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
MINUTE_STEPS = 120       # then minutes over the last two hours
FAR_STEPS = 720          # then coarse steps over the whole horizon: an hour apart over 30 days
AGE_HORIZON = "1h"       # how far back a check's series is looked for, to say how old it is
TARGET_HORIZON = "7d"    # how far back a target that is still scraped is held to the series it produced
TARGET = ("job", "instance")


def ages_query(source: Source, horizon: str, max_age_s: float, by: str | None = None) -> str:
    """Seconds since each group's newest sample in the horizon. Exact while a sample is within Prometheus'
    lookback (``timestamp``); a series that ended keeps its last time through subqueries (a step after a
    staleness marker sees nothing, so the step is the precision): finely over the last minutes (a quarter of
    the age allowed), by the minute over two hours, coarsely over the whole horizon. "Ended 10 s ago", "20
    minutes ago" and "10 days ago" are all told, at under a thousand points a series."""
    fine = max(1, min(60, int(max_age_s // 4)))
    coarse = max(60, int((prom_duration_s(horizon) or 0) // FAR_STEPS))
    stamp = f"timestamp({source.selector})"
    levels = [stamp] + [f"max_over_time({stamp}[{span}:{step}s])" for span, step in
                        ((f"{NEAR_STEPS * fine}s", fine), (f"{MINUTE_STEPS}m", 60), (horizon, coarse))]
    return f"time() - max{source.by() if by is None else by} ({' or '.join(levels)})"


def targets_query(source: Source, max_age_s: float) -> str:
    """Seconds since the newest sample of ``source`` from each scrape target that produced it in the last week
    and that Prometheus still scrapes (its ``up`` series exists, whatever its value): a target removed from
    discovery drops out, one whose scrapes fail or that stopped exporting the series stays in."""
    by = f" by ({', '.join(TARGET)})"
    return f"{ages_query(source, TARGET_HORIZON, max_age_s, by)} and on ({', '.join(TARGET)}) up"


@dataclass
class Freshness:
    """Each group's seconds since its newest sample, judged against what is expected and the maximum age."""
    source: Source
    horizon: str
    max_age_s: float
    ages: dict[str, float]
    what: str
    targets: dict[str, float]        # "job/instance" of each target still scraped -> seconds since its sample

    def missing(self) -> list[str]:
        """Problems: expected groups without a sample in the horizon."""
        return [f"{self.source.named(g)}: no sample in the last {self.horizon}, expected one"
                for g in self.source.expected if g not in self.ages]

    def old(self) -> list[str]:
        return sorted((g for g, age in self.ages.items() if age > self.max_age_s), key=lambda g: -self.ages[g])

    def current(self) -> set[str]:
        return set(self.ages) - set(self.old())

    def stale(self) -> CouldNotLook | None:
        """Broken, naming every group and every still-scraped target whose data is too old to judge by; None
        when all are current."""
        old = [f"{self.source.named(g)}: newest sample {shown(self.ages[g])} old" for g in self.old()]
        old += [f"{self.source.selector} from target {t} (still scraped): newest sample {shown(age)} old"
                for t, age in sorted(self.targets.items(), key=lambda ta: -ta[1]) if age > self.max_age_s]
        if not old:
            return None
        listed = "; ".join(old)
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
    by_target = targets_query(source, max_age_s)
    targets = prometheus.query(by_target)
    attach_query(f"{what}: seconds since the newest sample per target still scraped", "PromQL", by_target, targets)
    return Freshness(source, horizon, max_age_s, ages, what,
                     {"/".join(t["metric"].get(k, "") for k in TARGET): float(t["value"][1]) for t in targets})


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
