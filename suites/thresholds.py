"""PromQL queries with bounds (service latency objectives, load-test results): each series checked, named."""
from __future__ import annotations

import math

from readiness.evidence import attach_query
from readiness.profile import Threshold
from readiness.verdict import CouldNotLook


def series_name(metric: dict) -> str:
    labels = {k: v for k, v in metric.items() if k != "__name__"}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "{}"


def out_of_bounds(prometheus, threshold: Threshold, what: str) -> list[str]:
    """The problems of one threshold; CouldNotLook when its query answers no series (nothing measured)."""
    result = prometheus.query(threshold.query)
    attach_query(f"{what} {threshold.name}", "PromQL", threshold.query, result)
    if not result:
        raise CouldNotLook(f"{what} {threshold.name}", f"query {threshold.query!r} returned no series "
                                                       "(nothing measured, or a wrong metric name)", "empty")
    problems = []
    for series in result:
        value, where = float(series["value"][1]), f"{what} {threshold.name} {series_name(series['metric'])}"
        if math.isnan(value):
            problems.append(f"{where}: no value (NaN: nothing counted in its window)")
        elif threshold.max is not None and value > threshold.max:
            problems.append(f"{where}: {value:.4g}{threshold.unit}, expected at most {threshold.max:g}{threshold.unit}")
        elif threshold.min is not None and value < threshold.min:
            problems.append(f"{where}: {value:.4g}{threshold.unit}, expected at least {threshold.min:g}{threshold.unit}")
    return problems


def check_all(prometheus, thresholds: list[Threshold], what: str) -> tuple[list[str], CouldNotLook | None]:
    """Every threshold's problems, and the first one that could not be looked at (the others still run)."""
    problems, blind = [], None
    for threshold in thresholds:
        try:
            problems += out_of_bounds(prometheus, threshold, what)
        except CouldNotLook as exc:
            blind = blind or exc
    return problems, blind
