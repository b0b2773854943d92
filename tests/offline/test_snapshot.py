"""One cluster snapshot per run: each kind and each endpoint answer is fetched once, also under -n."""
from __future__ import annotations


import pytest

from fixtures.cache import SharedCache
from readiness.verdict import CouldNotLook


def test_cache_fetches_once_and_replays_could_not_look(tmp_path):
    calls = []

    def broken():
        calls.append(1)
        raise CouldNotLook("prometheus", "GET x failed", "unreachable")

    cache = SharedCache(tmp_path)
    for _ in range(3):
        with pytest.raises(CouldNotLook, match="GET x failed"):
            cache.get("k", broken)
    other = SharedCache(tmp_path)       # another xdist worker sharing the directory
    with pytest.raises(CouldNotLook):
        other.get("k", broken)
    assert len(calls) == 1


