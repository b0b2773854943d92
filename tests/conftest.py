"""The project's tests in three tiers, by folder: tests/offline (no tool, no sandbox), tests/tools (Debian's
promtool, amtool and Alertmanager, no sandbox) and tests/live (the running sandbox, brought up once if it is not).
A test's tier is its folder: it is marked from it, and a test outside tests/live that asks for the sandbox fails
collection."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.suite_runner import ROOT

TIERS = {"live": "sandbox", "tools": "tools"}  # folder under tests/ -> the marker its tests carry


@pytest.fixture(scope="session")
def sandbox():
    """The running sandbox (started when needed); every test leaves it healed."""
    from sandbox.run.layout import Layout
    proc = subprocess.run([sys.executable, "-m", "sandbox", "up"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"the sandbox did not come up:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}", pytrace=False)
    layout = Layout.default()
    yield layout
    subprocess.run([sys.executable, "-m", "sandbox", "heal"], cwd=ROOT, capture_output=True, timeout=300)


@pytest.fixture(autouse=True)
def _sandbox_only_when_marked(request, monkeypatch, tmp_path_factory):
    """A test without the sandbox mark cannot find the sandbox (its state directory is hidden), so a test that
    needs it without saying so fails on every run, sandbox up or not, and the offline tier stays offline."""
    if request.node.get_closest_marker("sandbox") is None:
        monkeypatch.setenv("READINESS_SANDBOX_HOME", str(tmp_path_factory.mktemp("no-sandbox")))


def _tier(item) -> str | None:
    relative = Path(item.path).resolve().relative_to(ROOT / "tests")
    return relative.parts[0] if len(relative.parts) > 1 else None


def pytest_collection_modifyitems(items):
    misplaced = [item.nodeid for item in items if "sandbox" in getattr(item, "fixturenames", ())
                 and _tier(item) != "live"]
    if misplaced:
        raise pytest.UsageError(f"tests that need the running sandbox must live under tests/live/: "
                                f"{', '.join(misplaced)}")
    for item in items:
        marker = TIERS.get(_tier(item))
        if marker:
            item.add_marker(marker)
    # Tests that stop the whole sandbox run last, so the others share one running instance.
    items.sort(key=lambda item: item.get_closest_marker("lifecycle") is not None)


def pytest_configure(config):
    config.addinivalue_line("markers", "lifecycle: stops and restarts the whole sandbox (runs last)")
