"""Criterion metadata: the stable ID, phase, title, severity, requirement, next step and runbook.

A suite test declares its criterion with ``@criterion(...)``; the plugin turns
that into Allure labels, the catalog, the summary and the gate. The ID is the
key everything else uses (profile severity overrides, waivers, sandbox faults).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

PHASES = {1: "Phase 1: Infrastructure", 2: "Phase 2: Security", 3: "Phase 3: High availability",
          4: "Phase 4: Monitoring", 5: "Phase 5: Backup and DR", 6: "Phase 6: Performance",
          7: "Phase 7: GitOps", 8: "Phase 8: Final audit"}
RUNBOOK_BASE = "https://github.com/platform-readiness/runbooks/blob/main"


@dataclass(frozen=True)
class Criterion:
    id: str
    phase: int
    title: str
    severity: str
    requirement: str
    next_step: str
    needs: tuple[str, ...] = ()          # endpoints the check reads: kube, prometheus, alertmanager, loki, grafana
    disruptive: bool = False
    tags: tuple[str, ...] = field(default=())

    @property
    def epic(self) -> str:
        return PHASES[self.phase]

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK_BASE}/{self.id}.md"


REGISTRY: dict[str, Criterion] = {}


def criterion(id: str, phase: int, title: str, *, severity: str = "critical", requirement: str,
              next_step: str, needs: tuple[str, ...] = ("kube",), disruptive: bool = False):
    """Mark a test as the check of one success criterion."""
    if id in REGISTRY and REGISTRY[id].title != title:
        raise ValueError(f"criterion {id} declared twice with different titles")
    meta = Criterion(id, phase, title, severity, " ".join(requirement.split()), next_step, tuple(needs), disruptive)
    REGISTRY[id] = meta

    def mark(fn):
        fn = pytest.mark.criterion(meta)(fn)
        if disruptive:
            fn = pytest.mark.chaos(fn)
            fn = pytest.mark.xdist_group("chaos")(fn)
        return fn

    return mark


def of(item: pytest.Item) -> Criterion | None:
    marker = item.get_closest_marker("criterion")
    return marker.args[0] if marker else None
