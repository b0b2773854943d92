"""Run the readiness suite in a subprocess, as a user would, and read back its per-criterion verdicts."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    exit_code: int
    output: str
    summary: dict | None

    def criterion(self, cid: str) -> dict:
        assert self.summary, f"no summary.json written; output:\n{self.output[-3000:]}"
        for entry in self.summary["criteria"]:
            if entry["id"] == cid:
                return entry
        raise AssertionError(f"{cid} not in summary; output:\n{self.output[-3000:]}")

    def verdict(self, cid: str) -> str:
        return self.criterion(cid)["verdict"]

    def reasons(self, cid: str) -> str:
        return "\n".join(self.criterion(cid).get("reasons", []))


def run_suite(tmp: Path, *args: str, env: dict | None = None, timeout: float = 300) -> SuiteRun:
    tmp.mkdir(parents=True, exist_ok=True)
    summary_file = tmp / "summary.json"
    before = summary_file.stat().st_mtime_ns if summary_file.exists() else None   # kept: it is the "previous run"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--summary-dir", str(tmp),
           "--state-dir", str(tmp), f"--alluredir={tmp / 'allure'}", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    written = summary_file.exists() and summary_file.stat().st_mtime_ns != before
    summary = json.loads(summary_file.read_text()) if written else None
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr, summary)


def wait_for_verdict(tmp: Path, cid: str, wanted: str, timeout: float, *args: str, needle: str = "") -> SuiteRun:
    """Re-run one criterion until it reaches ``wanted`` (with ``needle`` among its reasons, if given) or
    ``timeout`` passes; returns the last run. A fault can take a scrape or two to show, and a transient
    problem elsewhere must not be mistaken for it."""
    from plugin.catalog import load_all     # not at the top: tests/offline/test_tiers.py copies this module alone
    catalog = load_all()
    # A criterion made of other phases' verdicts runs with them.
    selected = [cid] + [c for c, m in catalog.items() if m.phase in catalog[cid].derived_from]
    deadline = time.monotonic() + timeout
    while True:
        run = run_suite(tmp, "suites", "--criteria", ",".join(selected), *args)
        reached = run.summary and run.verdict(cid) == wanted and needle in run.reasons(cid)
        if reached or time.monotonic() > deadline:
            return run
        time.sleep(2)


def wait_for_healthy(tmp: Path, timeout: float, *args: str) -> SuiteRun:
    """Re-run every criterion until two runs in a row (5 s apart, a scrape interval) have none failed or
    broken, or ``timeout`` passes; returns the last run."""
    deadline = time.monotonic() + timeout
    healthy_runs = 0
    while True:
        run = run_suite(tmp, "suites", *args)
        healthy_runs = healthy_runs + 1 if run.summary and not unhealthy(run) else 0
        if healthy_runs == 2 or time.monotonic() > deadline:
            return run
        time.sleep(5 if healthy_runs else 2)


def unhealthy(run: SuiteRun) -> dict[str, list[str]]:
    return {c["id"]: c.get("reasons", []) for c in (run.summary or {}).get("criteria", [])
            if c["verdict"] in ("failed", "broken")}


USAGE_ERROR = 4  # pytest's exit code for a usage error


def one_line_error(run) -> str:
    """The run's single ERROR: line, after checking it is a usage error without a traceback."""
    assert run.exit_code == USAGE_ERROR, run.output[-2000:]
    assert "Traceback" not in run.output
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, run.output
    return errors[0]


def sandbox_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m sandbox ARGS``, which must succeed."""
    proc = subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"python -m sandbox {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc
