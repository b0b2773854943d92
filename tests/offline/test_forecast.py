"""Status summary, gate, waivers, baseline, forecast and JUnit, from real runs against the sandbox."""
from __future__ import annotations

import json


from reporting.forecast import forecast
from tests.suite_runner import ROOT

SCHEMA = json.loads((ROOT / "docs/summary.schema.json").read_text())


def _history(points: list[tuple[str, float]]) -> list[dict]:
    return [{"generated_at": at, "overall_percent": p} for at, p in points]


def test_forecast_needs_history_and_progress():
    assert forecast(_history([("2026-11-20T00:00:00Z", 50)]))["status"] == "none"
    flat = _history([("2026-11-20T00:00:00Z", 60), ("2026-11-21T00:00:00Z", 60), ("2026-11-22T00:00:00Z", 60)])
    assert forecast(flat)["status"] == "none"
    rising = _history([("2026-11-20T00:00:00Z", 40), ("2026-11-21T00:00:00Z", 50), ("2026-11-22T00:00:00Z", 60)])
    result = forecast(rising)
    assert result == {"status": "dated", "date": "2026-11-26", "pace_percent_per_day": 10.0,
                      "text": "at this pace (10.0 points a day), production ready by 2026-11-26"}
    assert forecast(rising + _history([("2026-11-23T00:00:00Z", 100)]))["status"] == "ready"
