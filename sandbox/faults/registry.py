"""Every named fault, by name: each breaks exactly one success criterion; ``heal`` undoes every active one.

The faults are defined beside their phase (``sandbox/faults/phaseN.py`` for the criteria ``PN-*``). Active faults
are recorded in ``<state>/faults.json`` before they are applied, so ``heal`` works from any later process, in
reverse order of application.
"""
from __future__ import annotations

import json
import time

from sandbox.agent.rebalance import rebalance
from sandbox.faults import phase1, phase2, phase3, phase4, phase5, phase6, phase7, phase8
from sandbox.faults.fault import Fault
from sandbox.run.layout import Layout

PHASES = {1: phase1, 2: phase2, 3: phase3, 4: phase4, 5: phase5, 6: phase6, 7: phase7, 8: phase8}


def _by_name() -> dict[str, Fault]:
    faults: dict[str, Fault] = {}
    for module in PHASES.values():
        for fault in module.FAULTS:
            if fault.name in faults:
                raise ValueError(f"two sandbox faults named {fault.name}")
            faults[fault.name] = fault
    return faults


FAULTS = _by_name()

# Criteria proven another way than by a named fault, and where.
PROVEN_ELSEWHERE = {"P3-NODE-FAILURE": "tests/live/test_chaos.py: fails with a critical service pinned to one "
                                       "node, passes after heal"}


def of_criterion(criterion: str) -> list[Fault]:
    """The faults that break ``criterion``, in the order their phase module defines them."""
    return [f for f in FAULTS.values() if f.criterion == criterion]


def active(layout: Layout) -> dict[str, dict]:
    try:
        return json.loads(layout.faults.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _record(layout: Layout, records: dict[str, dict]) -> None:
    tmp = layout.faults.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=1))
    tmp.replace(layout.faults)


def inject(layout: Layout, name: str) -> Fault:
    fault = FAULTS[name]
    records = active(layout)
    record = {"criterion": fault.criterion, "at": time.time()}
    records[name] = record
    _record(layout, records)        # recorded before it is applied, so a crash mid-way still heals
    fault.apply(layout)
    return fault


def heal(layout: Layout, progress=print) -> list[str]:
    """Undo every active fault, newest first; returns the errors (empty when all healed)."""
    records = active(layout)
    errors = []
    for name in sorted(records, key=lambda n: records[n].get("at", 0), reverse=True):
        try:
            FAULTS[name].heal(layout)
            progress(f"healed {name}")
            del records[name]
        except Exception as exc:  # keep healing the others; every failure is reported
            errors.append(f"{name}: {exc}")
        _record(layout, records)
    if not errors:
        try:       # chaos and faults leave replicas piled up: spread them again, as a descheduler would
            rebalance(layout, progress)
        except Exception as exc:
            errors.append(f"rebalance: {exc}")
    return errors
