"""Where the sandbox keeps its build cache and its running state (never in the source tree)."""
from __future__ import annotations

import os
from pathlib import Path


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
