"""When, at the recent pace, every criterion would pass: a least-squares line through the run history.

"no forecast" when there are fewer than three runs over at least an hour, or the pace is flat or falling;
a date is never invented.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

MIN_RUNS = 3
MIN_SPAN_S = 3600


def _points(history: list[dict]) -> list[tuple[float, float]]:
    points = []
    for row in history:
        if row.get("overall_percent") is None:
            continue
        at = dt.datetime.fromisoformat(row["generated_at"].replace("Z", "+00:00")).timestamp()
        points.append((at, float(row["overall_percent"])))
    return points[-20:]


def forecast(history: list[dict]) -> dict:
    points = _points(history)
    if points and points[-1][1] >= 100:
        return {"status": "ready", "text": "every evaluated criterion passes now"}
    if len(points) < MIN_RUNS or points[-1][0] - points[0][0] < MIN_SPAN_S:
        return {"status": "none", "text": f"no forecast: needs {MIN_RUNS}+ runs over at least an hour "
                                          f"(have {len(points)})"}
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_p = sum(p for _, p in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    slope = sum((t - mean_t) * (p - mean_p) for t, p in points) / var if var else 0.0   # percent per second
    if slope <= 1e-9:
        return {"status": "none", "text": "no forecast: readiness is not improving over the recorded runs"}
    last_t, last_p = points[-1]
    eta = last_t + (100.0 - last_p) / slope
    day = dt.datetime.fromtimestamp(eta, dt.timezone.utc).date()
    return {"status": "dated", "date": day.isoformat(), "pace_percent_per_day": round(slope * 86400, 1),
            "text": f"at this pace ({slope * 86400:.1f} points a day), production ready by {day.isoformat()}"}


FILE = "history.jsonl"


def read_history(directory: Path) -> list[dict]:
    """The run history kept in the state directory (``--state-dir``), one line per completed run."""
    try:
        return [json.loads(line) for line in (directory / FILE).read_text().splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError):
        return []


def record_history(directory: Path, summary: dict) -> None:
    """Append this run's progress to the run history (what the forecast extrapolates)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / FILE).open("a") as f:
        f.write(json.dumps({"generated_at": summary["generated_at"], "profile": summary["profile"],
                            "scope": summary["scope"]["label"], "overall_percent": summary["overall_percent"],
                            "phases": summary["phases"]}) + "\n")
