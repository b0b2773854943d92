"""Timestamps and durations as Kubernetes objects and Prometheus carry them."""
from __future__ import annotations

import datetime as dt
import re

# One element of a Go duration (time.ParseDuration): a number with digits before or after an optional point, and a
# unit (both spellings of the micro sign).
GO_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
UNIT_S = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}


def parse(stamp: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def age_s(stamp: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds since ``stamp`` (RFC 3339), or None without one."""
    when = parse(stamp)
    return None if when is None else ((now or dt.datetime.now(dt.timezone.utc)) - when).total_seconds()


def go_duration_s(text: str | None) -> float | None:
    """A Go duration in seconds, as time.ParseDuration reads it: an optional sign, then ``0`` or a sequence of
    numbers with units (``720h0m0s``, ``-1m``, ``1.5h``, ``.5s``); None when it is not one."""
    if not text:
        return None
    sign, body = (-1 if text[0] == "-" else 1, text[1:]) if text[0] in "+-" else (1, text)
    if body == "0":
        return 0.0
    if not body or GO_DURATION.sub("", body) != "":
        return None
    return sign * sum(float(n) * UNIT_S[u] for n, u in GO_DURATION.findall(body))


PROM_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
PROM_UNIT_S = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 1e-3}


def prom_duration_s(text: str | None) -> float | None:
    """A Prometheus duration (``30d``, ``1h30m``, ``90s``) in seconds; None when it is not one."""
    if not text or PROM_DURATION.sub("", text) != "":
        return None
    return sum(int(n) * PROM_UNIT_S[u] for n, u in PROM_DURATION.findall(text))


def shown(seconds: float) -> str:
    """A human-sized duration: 40s, 12m, 5.2h, 3.1d."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
