"""readiness.ready.selects where the API server has no query to compare with (tests/live/test_selector_oracle.py
compares the rest with its own labelSelector): a selector that is absent selects nothing."""
from __future__ import annotations

from readiness.ready import selects


def test_a_missing_selector_selects_nothing():
    assert not selects(None, {"app": "trino"}) and not selects(None, {})
