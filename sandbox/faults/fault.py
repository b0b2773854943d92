"""A named fault: how it breaks the platform, which criterion it breaks, what the suite must then say, and how it
is undone; and the small steps faults are made of (each returns a function of the sandbox's layout).

Each phase's faults live beside it, in ``sandbox/faults/phaseN.py`` (as ``suites/phaseN/``); the registry of all
of them, and applying and healing them, is ``sandbox/faults/registry.py``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from sandbox.manifests import platform
from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.run.processes import Supervisor

Step = Callable[[Layout], None]


@dataclass(frozen=True)
class Expect:
    """What the suite must say of the fault's criterion once the fault is applied (proven by the fault tests)."""
    line: str                      # text the criterion's failure must contain: it names the broken object
    within_s: int                  # how long the fault may take to show, in seconds
    options: tuple[str, ...] = ()  # extra suite options the criterion needs (e.g. --allow-alert-delivery)
    verdict: str = "failed"        # "broken" where the fault leaves nothing current to judge by


@dataclass(frozen=True)
class Fault:
    name: str
    criterion: str
    description: str
    apply: Step
    heal: Step
    expect: Expect | None          # None: proven by another test (named where the fault is defined)

    @property
    def phase(self) -> int:
        """The phase of its criterion: ``P5-DB-BACKUP`` is phase 5."""
        return int(self.criterion.split("-", 1)[0][1:])


def kubectl(*args: str, check: bool = True) -> Step:
    return lambda layout: kube.kubectl(layout, *args, check=check)


def merge_patch(kind: str, namespace: str, name: str, body: dict) -> Step:
    return kubectl("-n", namespace, "patch", kind, name, "--type=merge", "-p", json.dumps(body))


def delete(kind: str, namespace: str, name: str) -> Step:
    return kubectl("-n", namespace, "delete", kind, name, "--ignore-not-found")


def scale(namespace: str, name: str, replicas: int) -> Step:
    return kubectl("-n", namespace, "scale", "deployment", name, f"--replicas={replicas}")


def apply(objects: Callable[[], list[dict]]) -> Step:
    return lambda layout: kube.apply(layout, objects())


def reapply(*kinds_names: tuple[str, str]) -> Step:
    """Heal by re-applying the platform's own definition of these (kind, name) objects."""
    def heal(layout: Layout) -> None:
        wanted = [o for o in platform.platform_objects() if (o["kind"], o["metadata"]["name"]) in kinds_names]
        kube.apply(layout, wanted)
    return heal


def wait_rollout(layout: Layout, namespace: str, workload: str, timeout_s: int = 90) -> None:
    """``workload`` as kubectl names it: deployment/x, statefulset/y."""
    kube.kubectl(layout, "-n", namespace, "rollout", "status", workload, f"--timeout={timeout_s}s")


def restart(layout: Layout, name: str) -> None:
    """Start a stopped sandbox component again and wait until it is ready."""
    from sandbox.run.cluster import specs
    sup = Supervisor(layout.root)
    spec = next(s for s in specs(layout) if s.name == name)
    sup.start(spec)
    sup.wait_ready(spec, time.monotonic() + 60)


def stop(name: str) -> Step:
    return lambda layout: Supervisor(layout.root).stop(name)


def start(name: str) -> Step:
    """Undo ``stop``: start the component again and wait until it is ready."""
    return lambda layout: restart(layout, name)
