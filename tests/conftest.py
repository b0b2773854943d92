"""Fixtures of the project's own tests: the running sandbox, brought up once if it is not."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.suite_runner import ROOT


@pytest.fixture(scope="session")
def sandbox():
    """The running sandbox (started when needed); every test leaves it healed."""
    from sandbox.layout import Layout
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


def sandbox_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"python -m sandbox {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def pytest_collection_modifyitems(items):
    # Every test that needs the running sandbox (its fixture, directly or through another fixture) is marked,
    # so `pytest tests -m "not sandbox"` is the fast tier and the mark cannot be forgotten.
    for item in items:
        if "sandbox" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sandbox)
    # Tests that stop the whole sandbox run last, so the others share one running instance.
    items.sort(key=lambda item: item.get_closest_marker("lifecycle") is not None)


def pytest_configure(config):
    config.addinivalue_line("markers", "lifecycle: stops and restarts the whole sandbox (runs last)")
