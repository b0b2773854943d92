"""Every criterion has a sandbox fault (or is proven elsewhere, said where); every fault breaks a criterion of the
catalog, sits beside its phase (sandbox/faults/phaseN.py for PN-*) and carries what the suite must then say, which
tests/live/test_faults.py proves on the running sandbox."""
from __future__ import annotations

import pytest

from plugin.catalog import load_all
from sandbox.faults.registry import FAULTS, PHASES, PROVEN_ELSEWHERE, of_criterion

CATALOG = load_all()


def test_every_criterion_has_a_fault():
    covered = {f.criterion for f in FAULTS.values()} | set(PROVEN_ELSEWHERE)
    assert set(CATALOG) <= covered, f"criteria without a sandbox fault: {sorted(set(CATALOG) - covered)}"
    both = {cid for cid in PROVEN_ELSEWHERE if of_criterion(cid)}
    assert not both, f"criteria said to be proven elsewhere that have a fault: {sorted(both)}"


def test_every_fault_breaks_a_criterion_of_the_catalog():
    unknown = {f.name: f.criterion for f in FAULTS.values() if f.criterion not in CATALOG}
    assert not unknown, f"faults of criteria the catalog does not have: {unknown}"
    assert set(PROVEN_ELSEWHERE) <= set(CATALOG), f"proven elsewhere, unknown: {set(PROVEN_ELSEWHERE) - set(CATALOG)}"


@pytest.mark.parametrize("phase", sorted(PHASES))
def test_each_fault_sits_in_the_module_of_its_criterions_phase(phase):
    module = PHASES[phase]
    assert module.__name__ == f"sandbox.faults.phase{phase}"
    elsewhere = {f.name: f.criterion for f in module.FAULTS
                 if f.criterion not in CATALOG or CATALOG[f.criterion].phase != phase or f.phase != phase}
    assert not elsewhere, f"sandbox/faults/phase{phase}.py holds faults of another phase: {elsewhere}"


def test_every_fault_carries_its_expectation_unless_the_chaos_tests_prove_it():
    for fault in FAULTS.values():
        if fault.expect is None:     # a disruptive criterion: the chaos tests drain for real
            assert CATALOG[fault.criterion].disruptive, f"{fault.name}: no expectation, and {fault.criterion} is " \
                                                        "not proven by the chaos tests"
            continue
        expect = fault.expect
        assert expect.line.strip() and expect.within_s > 0, f"{fault.name}: {expect}"
        assert expect.verdict in ("failed", "broken"), f"{fault.name}: verdict {expect.verdict!r}"
        assert all(option.startswith("--") for option in expect.options), f"{fault.name}: {expect.options}"
