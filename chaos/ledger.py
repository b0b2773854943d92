"""Restore records, written before every change: on the node itself and in a local ledger file.

The annotation lets any machine restore the node; the ledger lets the next
run on this machine find what a killed run left behind without listing the
cluster first. Either is enough.
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock

ANNOTATION = "chaos.platform-readiness.io/restore"
FOREIGN_RECORD_TTL_S = 3600      # longer than any chaos test runs: an older record's run is gone


def process_start(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def ledger_path() -> Path:
    default = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local/state") / "platform-readiness"
    return Path(os.environ.get("READINESS_CHAOS_LEDGER") or default / "chaos-ledger.json")


@dataclass
class NodeRecord:
    """What a node looked like before chaos touched it: the fields chaos may change."""
    node: str
    cluster: str
    action: str
    unschedulable: bool
    taints: list[dict]
    labels: dict[str, str | None] = field(default_factory=dict)   # label -> value before (None: absent)
    pid: int = field(default_factory=os.getpid)
    at: float = field(default_factory=time.time)
    host: str = field(default_factory=socket.gethostname)
    started: str | None = field(default_factory=lambda: process_start(os.getpid()))   # tells a reused pid apart

    def owner_alive(self, now: float | None = None) -> bool:
        """Whether the run that made this change may still be running (and will restore it itself). On this
        host the process is looked up; a record from another host is trusted for FOREIGN_RECORD_TTL_S."""
        if self.host != socket.gethostname():
            return (now or time.time()) - self.at < FOREIGN_RECORD_TTL_S
        return self.started is not None and process_start(self.pid) == self.started

    @property
    def key(self) -> str:
        return f"{self.cluster}|{self.node}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "NodeRecord":
        return cls(**json.loads(text))

    def describe(self) -> str:
        return f"{self.action} by pid {self.pid} on {self.host}"


class Ledger:
    def __init__(self, path: Path | None = None):
        self.path = path or ledger_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(self.path) + ".lock", timeout=60)

    def _read(self) -> dict[str, dict]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return {}

    def _write(self, records: dict[str, dict]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(records, indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    def add(self, record: NodeRecord) -> None:
        """Keep the first record of a node: it holds the state before any chaos."""
        with self.lock:
            records = self._read()
            records.setdefault(record.key, json.loads(record.to_json()))
            self._write(records)

    def remove(self, record: NodeRecord) -> None:
        with self.lock:
            records = self._read()
            records.pop(record.key, None)
            self._write(records)

    def records(self, cluster: str | None = None) -> list[NodeRecord]:
        with self.lock:
            rows = [NodeRecord(**r) for r in self._read().values()]
        return [r for r in rows if cluster is None or r.cluster == cluster]
