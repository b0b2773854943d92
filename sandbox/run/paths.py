"""Where the sandbox keeps its build cache and its running state (never in the source tree)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

# The repository's root: the sandbox's own Python processes run from here, as ``python -m sandbox.<package>.<module>``.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    base = os.environ.get("READINESS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "platform-readiness")
    return Path(base)


def bin_dir() -> Path:
    return cache_dir() / "bin"


def state_dir() -> Path:
    base = os.environ.get("READINESS_SANDBOX_HOME") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"),
        "platform-readiness", "sandbox")
    return Path(base)


def logged_build(tag: str, log_name: str, action: Callable, progress) -> None:
    """Run ``action(log)`` with its output in the cache's log directory, saying how long it took."""
    log_dir = cache_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    progress(f"{tag}: building (cold builds take minutes; log {log_dir / log_name})")
    started = time.monotonic()
    with open(log_dir / log_name, "w") as log:
        action(log)
    progress(f"{tag}: built in {time.monotonic() - started:.0f}s")
