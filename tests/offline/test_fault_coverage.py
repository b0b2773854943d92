"""Every criterion has a sandbox fault (or is proven elsewhere, said where); every fault breaks a criterion of the
catalog, sits beside its phase (sandbox/faults/phaseN.py for PN-*) and carries what the suite must then say, which
tests/live/test_faults.py proves on the running sandbox; ``python -m sandbox fault --criterion ID`` lists them
without one."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from plugin.catalog import load_all
from sandbox.faults.registry import FAULTS, PHASES, PROVEN_ELSEWHERE, of_criterion
from tests.suite_runner import ROOT

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


def _fault_cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """``python -m sandbox fault ARGS`` with a state directory of its own: no sandbox running, none touched."""
    env = {**os.environ, "READINESS_SANDBOX_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "sandbox", "fault", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_fault_criterion_lists_the_faults_of_a_criterion_and_the_line_each_must_produce(tmp_path):
    proc = _fault_cli(tmp_path, "--criterion", "P5-BACKUP-RECENT")
    assert proc.returncode == 0 and not proc.stderr, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    wanted = of_criterion("P5-BACKUP-RECENT")
    assert len(lines) == len(wanted) >= 1, proc.stdout
    for line, fault in zip(lines, wanted):
        assert line.startswith(fault.name + " ") and line.endswith(f": {fault.expect.line}"), line
        assert f"{fault.expect.verdict} within {fault.expect.within_s}s" in line, line


def test_fault_criterion_names_the_options_and_the_broken_verdict(tmp_path):
    delivery = _fault_cli(tmp_path, "--criterion", "P4-ALERT-DELIVERY").stdout
    assert "slack-webhook-broken" in delivery and "with --allow-alert-delivery:" in delivery, delivery
    latency = _fault_cli(tmp_path, "--criterion", "P6-API-LATENCY").stdout
    assert any(line.startswith("apiserver-histogram-dropped ") and " broken within " in line
               for line in latency.splitlines()), latency


def test_fault_criterion_says_where_a_criterion_without_a_fault_is_proven(tmp_path):
    proc = _fault_cli(tmp_path, "--criterion", "P3-NODE-FAILURE")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"P3-NODE-FAILURE: no sandbox fault; proven by {PROVEN_ELSEWHERE['P3-NODE-FAILURE']}"


def test_fault_criterion_refuses_an_unknown_criterion_in_one_line(tmp_path):
    proc = _fault_cli(tmp_path, "--criterion", "P5-NO-SUCH-THING")
    assert proc.returncode == 2 and not proc.stdout, proc.stdout + proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "P5-NO-SUCH-THING" in proc.stderr, proc.stderr
