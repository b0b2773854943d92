"""Waivers: accepted, owned and dated exceptions that do not hide a problem forever.

A waivers file is YAML::

    waivers:
      - criterion: P4-EXPORTERS
        object: Kafka              # optional: only the failure lines that name this object
        owner: data-platform-team
        reason: Kafka exporter lands with the Strimzi upgrade
        expires: 2026-12-15

A waived failure is reported as *waived* (Allure: skipped, category "Waived")
and does not fail the gate; once ``expires`` has passed the waiver no longer
applies and the failure counts again, with a note that its waiver expired.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from readiness.verdict import FAILED_OR_BROKEN, Verdict


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    criterion: str
    object: str | None = None
    owner: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: dt.date

    def covers(self, criterion: str, line: str) -> bool:
        """Whether this waiver covers one line of a failure: its criterion, and (if it names an object) a line
        naming that object as a whole word, so waiving ``trino`` does not waive ``trino-hpa``."""
        if self.criterion != criterion:
            return False
        return self.object is None or re.search(rf"(?<![\w.-]){re.escape(self.object)}(?![\w.-])", line) is not None

    def expired(self, today: dt.date) -> bool:
        return today > self.expires


class WaiverError(Exception):
    pass


@dataclass
class Decision:
    waived: bool
    note: str
    remaining: str = ""     # the lines of the failure no active waiver covers


def load(path: str | Path | None) -> list[Waiver]:
    if not path:
        return []
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise WaiverError(f"{path}: cannot read the waivers file ({exc.strerror}); pass --waivers PATH") from None
    except yaml.YAMLError as exc:
        raise WaiverError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    entries = raw.get("waivers") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise WaiverError(f"{path}: expected a mapping with a 'waivers' list")
    waivers = []
    for i, entry in enumerate(entries):
        try:
            waivers.append(Waiver.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise WaiverError(f"{path}: waivers[{i}].{where}: {err['msg']}") from None
    return waivers


def decide(waivers: list[Waiver], criterion: str, message: str, today: dt.date | None = None) -> Decision | None:
    """The waiver decision for a failed or broken case, or None when no waiver names it.

    Each line of a failure names one object; the case is waived only when every line is covered by an active
    waiver. Otherwise the uncovered lines stay failed (``remaining``), with a note on what was waived or expired.
    """
    today = today or dt.date.today()
    lines = [line for line in message.splitlines() if line.strip()] or [message]
    matching = [w for w in waivers if any(w.covers(criterion, line) for line in lines)]
    if not matching:
        return None
    active = [w for w in matching if not w.expired(today)]
    uncovered = [line for line in lines if not any(w.covers(criterion, line) for w in active)]
    if active and not uncovered:
        w = max(active, key=lambda w: w.expires)
        return Decision(True, f"WAIVED until {w.expires} by {w.owner}: {w.reason}")
    if active:
        waived_n = len(lines) - len(uncovered)
        names = ", ".join(sorted({w.object or w.criterion for w in active}))
        return Decision(False, f"{waived_n} line(s) waived ({names}); the others are not covered by any waiver",
                        "\n".join(uncovered))
    w = max(matching, key=lambda w: w.expires)
    return Decision(False, f"waiver by {w.owner} expired on {w.expires}: {w.reason}", "\n".join(lines))


def baseline(summary: dict, owner: str = "unassigned", days: int = 30, today: dt.date | None = None) -> str:
    """A waivers file that accepts today's failed and broken criteria for ``days`` (to adopt the gate)."""
    expires = (today or dt.date.today()) + dt.timedelta(days=days)
    entries = [{"criterion": c["id"], "owner": owner, "expires": expires.isoformat(),
                "reason": f"baseline: {c['verdict']} when the gate was adopted: "
                          f"{(c.get('reasons') or ['no reason recorded'])[0][:160]}"}
               for c in summary["criteria"] if c["verdict"] in (*FAILED_OR_BROKEN, Verdict.NOT_EVALUATED)]
    header = ("# Waivers written by --write-baseline: today's failures, accepted until the date below.\n"
              "# Give each an owner and a reason, and shrink this list; an expired waiver fails the gate again.\n")
    return header + yaml.safe_dump({"waivers": entries}, sort_keys=False)
