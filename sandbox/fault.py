"""A named fault: how it breaks the platform, which criterion it breaks, and how it is undone; and the small
steps faults are made of (each returns a function of the sandbox's layout)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from sandbox import kube
from sandbox.layout import Layout
from sandbox.processes import Supervisor

Step = Callable[[Layout], None]


@dataclass(frozen=True)
class Fault:
    name: str
    criterion: str
    description: str
    apply: Step
    heal: Step


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


def wait_rollout(layout: Layout, namespace: str, workload: str, timeout_s: int = 90) -> None:
    """``workload`` as kubectl names it: deployment/x, statefulset/y."""
    kube.kubectl(layout, "-n", namespace, "rollout", "status", workload, f"--timeout={timeout_s}s")


def restart(layout: Layout, name: str) -> None:
    """Start a stopped sandbox component again and wait until it is ready."""
    from sandbox.cluster import specs
    sup = Supervisor(layout.root)
    spec = next(s for s in specs(layout) if s.name == name)
    sup.start(spec)
    sup.wait_ready(spec, time.monotonic() + 60)


def stop(name: str) -> Step:
    return lambda layout: Supervisor(layout.root).stop(name)
