"""A small supervisor: each sandbox component is a detached process with a pid file and a log.

The pid file stores the pid and the process start time, so a pid reused by an
unrelated process after a crash is never mistaken for ours (and never killed).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    port: int | None = None               # the port whose binding means "started"
    ready: Callable[[], bool] | None = None  # a stronger readiness check
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    user: str | None = None                 # run as this user (PostgreSQL refuses to run as root)


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class Supervisor:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.pid_dir = run_dir / "pids"
        self.log_dir = run_dir / "logs"

    def pid(self, name: str) -> int | None:
        """The live pid of component ``name``, or None when it is not running."""
        try:
            pid_s, started = (self.pid_dir / f"{name}.pid").read_text().split()
        except (OSError, ValueError):
            return None
        pid = int(pid_s)
        state = None
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return None
        if state == "Z" or _start_time(pid) != started:
            return None
        return pid

    def start(self, spec: ProcessSpec) -> int:
        if (pid := self.pid(spec.name)) is not None:
            return pid
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{spec.name}.log", "ab")
        proc = subprocess.Popen(spec.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=spec.cwd, env={**os.environ, **spec.env}, start_new_session=True,
                                user=spec.user if spec.user and os.geteuid() == 0 else None)
        log.close()
        (self.pid_dir / f"{spec.name}.pid").write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
        return proc.pid

    def wait_ready(self, spec: ProcessSpec, deadline: float) -> None:
        """Wait until ``spec`` is ready; raise with the log's last lines if it dies or the deadline passes."""
        while True:
            if self.pid(spec.name) is None:
                raise ComponentError(spec.name, "exited during start", self.log_tail(spec.name))
            ok = (spec.port is None or port_open(spec.port)) and (spec.ready is None or _safe(spec.ready))
            if ok:
                return
            if time.monotonic() > deadline:
                raise ComponentError(spec.name, "not ready before the deadline", self.log_tail(spec.name))
            time.sleep(0.2)

    def stop(self, name: str, timeout: float = 10.0) -> None:
        pid = self.pid(name)
        if pid is not None:
            _signal_group(pid, signal.SIGTERM)
            end = time.monotonic() + timeout
            while self.pid(name) is not None and time.monotonic() < end:
                time.sleep(0.1)
            if self.pid(name) is not None:
                _signal_group(pid, signal.SIGKILL)
                end = time.monotonic() + 5
                while self.pid(name) is not None and time.monotonic() < end:
                    time.sleep(0.1)
        (self.pid_dir / f"{name}.pid").unlink(missing_ok=True)

    def strays(self, bin_dir: Path) -> list[int]:
        """Processes of ``bin_dir``'s programs working on this sandbox's state directory that no pid file tracks
        (a component started by a process that was killed before it wrote, or lost, the pid file)."""
        tracked = {self.pid(n) for n in self.known()}
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in tracked or int(entry) == os.getpid():
                continue
            try:
                argv = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if argv[0].startswith(str(bin_dir).encode() + b"/") and \
                    any(str(self.run_dir).encode() in arg for arg in argv[1:]):
                found.append(int(entry))
        return found

    def kill(self, pid: int, timeout: float = 5.0) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            end = time.monotonic() + timeout
            while _start_time(pid) is not None and time.monotonic() < end:
                time.sleep(0.1)

    def known(self) -> list[str]:
        return sorted(p.stem for p in self.pid_dir.glob("*.pid")) if self.pid_dir.exists() else []

    def log_tail(self, name: str, lines: int = 8) -> str:
        try:
            return "\n".join((self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class ComponentError(RuntimeError):
    def __init__(self, name: str, what: str, tail: str = ""):
        super().__init__(f"{name}: {what}" + (f"\n--- last lines of its log ---\n{tail}" if tail else ""))
        self.name = name


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # a readiness probe that raises is simply "not ready yet"
        return False
