"""A metric read from the scrape targets that exist now (a Deployment's ready pods, an exporter's targets), each
judged on current data.

Whether a target's reading is missing or merely unseen is told by the target's own ``up`` series, which
Prometheus writes at every scrape attempt:

- no ``up`` sample of the target in the horizon: Prometheus does not scrape it (``UNSCRAPED``);
- ``up`` older than ``prometheus.max_sample_age_s``: Prometheus stopped scraping it, so nothing is known about
  it now (``STALE``: the check is broken, :meth:`Readings.stale`);
- ``up`` current but the metric's newest sample is not: the target is scraped and no longer exposes the metric,
  or its scrapes fail (``ENDED``), or it never did in the horizon (``ABSENT``);
- both current (``CURRENT``): :attr:`Readings.values` holds its readings for the check to judge.

Only the groups asked for are judged: the series of a pod that was replaced, or of an exporter's old address,
are history, not stale data.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from readiness.evidence import attach_query
from readiness.verdict import CouldNotLook
from suites.prometheus_data import Freshness, Source, freshness

UNSCRAPED, STALE, ABSENT, ENDED, CURRENT = "unscraped", "stale", "absent", "ended", "current"


def value_shown(value: float) -> str:
    """A sample's value as Prometheus writes it: 1, 0.5, NaN, +Inf, -Inf."""
    if math.isnan(value):
        return "NaN"
    return f"{'+' if value > 0 else '-'}Inf" if math.isinf(value) else f"{value:g}"


@dataclass
class Readings:
    metric: Source                           # the metric's series, one group per target (``per``)
    scrapes: Freshness                       # ``up`` of the groups asked for
    ages: dict[str, float]                   # seconds since the metric's newest sample, per group
    values: dict[str, list[float]]           # the current readings of each CURRENT group
    unlabelled: bool                         # some target of the job carries no ``per`` label at all

    def state(self, group: str) -> str:
        max_age = self.scrapes.max_age_s
        if group not in self.scrapes.ages:
            return UNSCRAPED
        if self.scrapes.ages[group] > max_age:
            return STALE
        if group not in self.ages:
            return ABSENT
        if self.ages[group] > max_age or group not in self.values:     # old, or ended by a staleness marker
            return ENDED
        return CURRENT

    def stale(self) -> CouldNotLook | None:
        """Broken, naming each target Prometheus stopped scraping; None when every scraped one is current."""
        return self.scrapes.stale()


def scraped_readings(prometheus, metric: Source, up: str, groups, horizon: str, max_age_s: float,
                     what: str) -> Readings:
    """``metric`` (whose ``per`` names the target) of each of ``groups``, judged by its ``up`` series (the
    selector ``up`` of the same job). No ``up`` sample at all in the horizon is broken (the job is not scraped,
    or the selector is wrong)."""
    groups = set(groups)
    scrapes = freshness(prometheus, Source(up, metric.per), horizon, max_age_s, what)
    unlabelled = "" in scrapes.ages
    scrapes = dataclasses.replace(scrapes, ages={g: age for g, age in scrapes.ages.items() if g in groups})
    try:
        ages = freshness(prometheus, Source(metric.selector, metric.per), horizon, max_age_s, what).ages
    except CouldNotLook as exc:
        if exc.kind != "empty":
            raise
        ages = {}       # the targets are scraped (up says so): the metric is absent, a finding, not blindness
    result = prometheus.query(metric.selector)
    attach_query(f"{what}: current readings", "PromQL", metric.selector, result)
    values: dict[str, list[float]] = {}
    for series in result:
        group = metric.group(series["metric"])
        if group in groups and ages.get(group, float("inf")) <= max_age_s:
            values.setdefault(group, []).append(float(series["value"][1]))
    return Readings(metric, scrapes, ages, values, unlabelled)
