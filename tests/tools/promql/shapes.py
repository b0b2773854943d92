"""What a PromQL criterion's shape test needs: a profile tuned to the synthetic world, and the check's verdict
on series evaluated by Prometheus' own engine (promtool).

The seven shapes every PromQL criterion is tried on (issue 21): healthy, stale, a gap in the window, a series
vanished, NaN, a counter reset, a histogram with a missing bucket. For a gauge, the last two have no literal
meaning; their tests say which real analog they use.
"""
from __future__ import annotations

import pytest

from readiness.profile import Profile, load_profile
from tests.fakes import empty_world, run_check
from tests.tools.promql.promtool import PromtoolPrometheus
from tests.suite_runner import ROOT

SANDBOX = load_profile(ROOT / "profiles" / "sandbox.yaml")
REFERENCE = load_profile(ROOT / "profiles" / "254carbon.yaml")
SHAPES = ("healthy", "stale", "gap", "vanished", "nan", "counter-reset", "missing-bucket")
MINUTE, HOUR, DAY = 60, 3600, 86400


def verdict(check, profile: Profile, series, at_s: float, interval: str) -> tuple[str, str]:
    """(passed | failed | broken, message) of ``check`` on ``series`` as Prometheus evaluates them at ``at_s``."""
    return run_check(check, {**empty_world(profile), "prometheus": PromtoolPrometheus(series, at_s, interval)})


def params(shapes: dict, rows: dict) -> list:
    """The shape names as pytest parameters, each carrying its adversarial-table row mark where it has one."""
    return [pytest.param(name, marks=rows.get(name, ()), id=name) for name in shapes]


def assert_shape(judge, shapes: dict, shape: str) -> None:
    """``judge`` (series -> (verdict, message)) gives the shape's expected verdict, with its message fragment."""
    series, wanted, fragment = shapes[shape]
    got, message = judge(series)
    assert got == wanted and fragment in message, (got, message)
