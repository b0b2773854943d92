"""Print pip `==` pins of the lowest version pyproject.toml allows for every dependency (extras included), so
the oldest versions we claim to support are the ones a CI step installs and tests.

    python scripts/lowest_pins.py > /tmp/lowest.txt && pip install -r /tmp/lowest.txt
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def lowest_pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = list(project["dependencies"]) + [r for extra in project.get("optional-dependencies", {}).values()
                                              for r in extra]
    pins = []
    for text in wanted:
        requirement = Requirement(text)
        floors = [s.version for s in requirement.specifier if s.operator in (">=", "==", "~=")]
        if len(floors) != 1:
            raise SystemExit(f"pyproject.toml: {text!r} needs exactly one lower bound (>=) to be tested")
        pins.append(f"{requirement.name}=={floors[0]}")
    return pins


if __name__ == "__main__":
    sys.stdout.write("\n".join(lowest_pins()) + "\n")
