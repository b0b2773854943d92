"""The suite, chaos and reports never import the sandbox: it is a platform they are pointed at, found through
the env.json it writes (fixtures/target.py), not through its modules."""
import subprocess
import sys

from tests.suite_runner import ROOT

PROBE = """
import sys
import readiness.plugin, fixtures.plugin, chaos.plugin, chaos.__main__
import reports.summary, reports.gate, reports.carry_over, reports.allure_files, reports.waivers
from readiness.catalog import load_all
load_all()
loaded = sorted(m for m in sys.modules if m == "sandbox" or m.startswith("sandbox."))
print(",".join(loaded))
"""


def test_suite_chaos_and_reports_import_nothing_of_the_sandbox():
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"imported: {proc.stdout.strip()}"
