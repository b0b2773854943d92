"""A test's tier is its folder: tests/live is marked sandbox, tests/tools is marked tools, and a test elsewhere
that asks for the running sandbox fails collection instead of reaching it unmarked."""
from __future__ import annotations

import shutil
import subprocess
import sys

from tests.suite_runner import ROOT

NEEDS_SANDBOX = "def test_needs_it(sandbox):\n    assert sandbox\n"
OFFLINE = "def test_plain():\n    assert True\n"


def _tree(tmp_path, files: dict[str, str]):
    (tmp_path / "tests").mkdir()
    for name in ("__init__.py", "conftest.py", "suite_runner.py"):
        shutil.copy(ROOT / "tests" / name, tmp_path / "tests" / name)
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).parent.joinpath("__init__.py").touch()
        (tmp_path / path).write_text(text)
    return tmp_path


def _collect(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-o", "addopts=", *args], cwd=root, capture_output=True, text=True, timeout=60)


def test_a_test_outside_tests_live_that_needs_the_sandbox_fails_collection(tmp_path):
    root = _tree(tmp_path, {"tests/offline/test_sneaky.py": NEEDS_SANDBOX, "tests/offline/test_plain.py": OFFLINE})
    proc = _collect(root)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "must live under tests/live/: tests/offline/test_sneaky.py::test_needs_it" in proc.stderr


def test_each_folder_marks_its_tier(tmp_path):
    root = _tree(tmp_path, {"tests/live/test_live.py": NEEDS_SANDBOX + OFFLINE.replace("plain", "live_plain"),
                            "tests/tools/test_tool.py": OFFLINE, "tests/offline/test_plain.py": OFFLINE})
    sandbox = _collect(root, "-m", "sandbox")
    assert sandbox.returncode == 0, sandbox.stdout + sandbox.stderr
    assert "tests/live/test_live.py::test_needs_it" in sandbox.stdout
    assert "tests/live/test_live.py::test_live_plain" in sandbox.stdout
    assert "2/4 tests collected" in sandbox.stdout
    tools = _collect(root, "-m", "tools")
    assert "tests/tools/test_tool.py::test_plain" in tools.stdout and "1/4 tests collected" in tools.stdout
