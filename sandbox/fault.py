"""A named fault: how it breaks the platform, which criterion it breaks, and how it is undone."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sandbox.layout import Layout


@dataclass(frozen=True)
class Fault:
    name: str
    criterion: str
    description: str
    apply: Callable[[Layout], None]
    heal: Callable[[Layout], None]
