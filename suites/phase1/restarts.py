"""Restart loops, read from container statuses: one definition for the platform's pods (P1-EVENTS) and the
control plane's static pods (P1-SYSTEM).

A pod keeps only a container's restart count over its life, its last termination (``lastState``) and its
current state, so no more than the latest restart can be placed in time: a loop is a count above the allowed
whose latest restart falls inside the window, or a container waiting in CrashLoopBackOff now.
"""
from __future__ import annotations

import datetime as dt

from readiness.timing import parse


def last_restart(container: dict) -> tuple[dt.datetime, str, str] | None:
    """The latest restart a container status can place in time, as (when, its timestamp, what it was): the
    current run's start once it has restarted, its current termination, or its last one."""
    state, last = container.get("state") or {}, (container.get("lastState") or {}).get("terminated") or {}
    running, terminated = state.get("running") or {}, state.get("terminated") or {}
    seen = []
    if container.get("restartCount", 0) > 0 and running.get("startedAt"):
        seen.append((running["startedAt"], f"started again after {last.get('reason') or 'an exit'}"))
    if terminated.get("finishedAt"):
        exited = terminated.get("reason") or "with no reason"
        seen.append((terminated["finishedAt"], f"exited {exited}, waiting to start again"))
    if last.get("finishedAt"):
        seen.append((last["finishedAt"], last.get("reason") or "no reason"))
    placed = [(parse(stamp), stamp, what) for stamp, what in seen if parse(stamp)]
    return max(placed, key=lambda p: p[0], default=None)


def restart_loops(pods: list[dict], since: dt.datetime, allowed: int) -> list[str]:
    """Containers restarting more often than allowed, their last restart within the window, or waiting in
    CrashLoopBackOff now: app containers, init containers and sidecars (restartable init containers) alike."""
    problems = []
    for pod in pods:
        status = pod.get("status") or {}
        for kind, key in (("container", "containerStatuses"), ("init container", "initContainerStatuses")):
            for container in status.get(key) or []:
                count = container.get("restartCount", 0)
                latest = last_restart(container)
                waiting = ((container.get("state") or {}).get("waiting") or {}).get("reason")
                if count <= allowed or not ((latest and latest[0] >= since) or waiting == "CrashLoopBackOff"):
                    continue
                when = f"the last at {latest[1]} ({latest[2]})" if latest else "no record of the last termination"
                now = ", now in CrashLoopBackOff" if waiting == "CrashLoopBackOff" else ""
                problems.append(f"pod {pod['metadata']['namespace']}/{pod['metadata']['name']} {kind} "
                                f"{container['name']}: {count} restarts, {when}{now}, allowed {allowed}")
    return problems
