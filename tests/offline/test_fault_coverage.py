"""Every criterion has a sandbox fault (or is proven elsewhere, said where), and every fault has its live test
(tests/live/test_faults.py)."""
from __future__ import annotations

from plugin.catalog import load_all
from sandbox.faults import FAULTS
from tests.live.test_faults import EXPECTED, NOT_HERE, PROVEN_ELSEWHERE


def test_every_criterion_has_a_fault():
    covered = {f.criterion for f in FAULTS.values()} | set(PROVEN_ELSEWHERE)
    assert set(load_all()) <= covered, f"criteria without a sandbox fault: {sorted(set(load_all()) - covered)}"


def test_every_fault_is_covered():
    assert set(FAULTS) - NOT_HERE == set(EXPECTED), "a sandbox fault without a test, or a test without a fault"
