"""PromQL queries with bounds (service latency objectives, load-test results): each series checked, named, on
current data.

Each threshold names the raw series it reads: that series must be current, and with ``per`` every expected
group (or every group the series carries) must have an answer. NaN (0/0: nothing counted in the window) is
"no traffic" only where the threshold's ``requests`` query shows none for the same labels, and broken anywhere
else (a histogram without its +Inf bucket answers NaN too). +Inf above a maximum is slower than the
histogram's highest bucket: a violation; any other infinity cannot be measured, so it is broken.
"""
from __future__ import annotations

import math

from readiness.evidence import attach_query
from readiness.profile import Threshold
from readiness.verdict import CouldNotLook
from suites.prometheus_data import AGE_HORIZON, Source, freshness


def series_name(metric: dict) -> str:
    labels = {k: v for k, v in metric.items() if k != "__name__"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "{}"


def _labels(metric: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in metric.items() if k != "__name__"))


def idle_series(prometheus, threshold: Threshold, what: str) -> set[tuple]:
    """Label sets where the threshold's ``requests`` query shows no requests."""
    if not threshold.requests:
        return set()
    result = prometheus.query(threshold.requests)
    attach_query(f"{what} {threshold.name}: requests", "PromQL", threshold.requests, result)
    return {_labels(s["metric"]) for s in result if float(s["value"][1]) == 0}


def raw_nan(prometheus, threshold: Threshold, name: str) -> list[str]:
    """Current raw samples that are NaN (a figure that could not be computed): an aggregation over them (max,
    sum) would hide them behind another series' value. With a ``requests`` query, NaN may be idleness, which
    the answers' own NaN judge."""
    if threshold.requests:
        return []
    query = f"{threshold.series} != {threshold.series}"          # only NaN differs from itself
    result = prometheus.query(query)
    attach_query(f"{name}: raw samples that are NaN", "PromQL", query, result)
    return [f"{s['metric'].get('__name__', '')}{series_name(s['metric'])} is NaN (nothing measured; an "
            "aggregation would hide it)" for s in result]


def judged(threshold: Threshold, value: float, where: str, idle: bool) -> tuple[str | None, str | None]:
    """(problem, could-not-look reason) of one answer."""
    unit = threshold.unit
    if math.isnan(value):
        if idle:
            return None, None
        why = "its requests query shows traffic" if threshold.requests else "no requests query shows it idle"
        return None, f"{where}: no value (NaN) and {why}: nothing counted, or a histogram without its +Inf bucket"
    if math.isinf(value) and not (value > 0 and threshold.max is not None):
        return None, f"{where}: {value} cannot be measured against its bound"
    if threshold.max is not None and value > threshold.max:
        seen = "+Inf (no answer, or above a histogram's highest bucket)" if math.isinf(value) else f"{value:.4g}{unit}"
        return f"{where}: {seen}, expected at most {threshold.max:g}{unit}", None
    if threshold.min is not None and value < threshold.min:
        return f"{where}: {value:.4g}{unit}, expected at least {threshold.min:g}{unit}", None
    return None, None


def out_of_bounds(prometheus, threshold: Threshold, what: str,
                  max_age_s: float) -> tuple[list[str], CouldNotLook | None]:
    """The problems of one threshold, and why part of it could not be judged (stale, unmeasurable), if so."""
    name = f"{what} {threshold.name}"
    source = Source(threshold.series, threshold.per, tuple(threshold.expected))
    fresh = freshness(prometheus, source, AGE_HORIZON, max_age_s, name)
    result = prometheus.query(threshold.query)
    attach_query(name, "PromQL", threshold.query, result)
    if not result:
        raise fresh.stale() or CouldNotLook(name, f"query {threshold.query!r} returned no series (nothing "
                                                  "measured, or a wrong metric name)", "empty")
    answered = {source.group(s["metric"]) for s in result}
    wanted = set(threshold.expected) or (fresh.current() if threshold.per else set())
    problems = fresh.missing() + [f"{name}: no answer for {threshold.per}={g}, whose {threshold.series} is there"
                                  for g in sorted(wanted - answered) if g in fresh.current()]
    idle, blind = idle_series(prometheus, threshold, what), raw_nan(prometheus, threshold, name)
    for series in result:
        problem, unmeasured = judged(threshold, float(series["value"][1]), f"{name} {series_name(series['metric'])}",
                                     _labels(series["metric"]) in idle)
        problems += [problem] if problem else []
        blind += [unmeasured] if unmeasured else []
    if blind:
        return problems, CouldNotLook(name, "; ".join(blind), "invalid")
    return problems, fresh.stale()


def check_all(prometheus, thresholds: list[Threshold], what: str,
              max_age_s: float) -> tuple[list[str], CouldNotLook | None]:
    """Every threshold's problems, and the first one that could not be looked at (the others still run)."""
    problems, blind = [], None
    for threshold in thresholds:
        try:
            found, unjudged = out_of_bounds(prometheus, threshold, what, max_age_s)
        except CouldNotLook as exc:
            found, unjudged = [], exc
        problems += found
        blind = blind or unjudged
    return problems, blind
