"""The criteria catalog and runbooks are generated from the suites' metadata, and the committed copies are
current."""
import subprocess
import sys

from readiness.catalog import load_all
from tests.suite_runner import ROOT


def test_committed_catalog_and_runbooks_are_current():
    proc = subprocess.run([sys.executable, "scripts/docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_criterion_has_requirement_next_step_and_phase():
    for cid, meta in load_all().items():
        assert cid.startswith(f"P{meta.phase}-"), cid
        assert meta.requirement and meta.next_step and meta.title, cid


def test_titles_and_requirements_name_no_thresholds_of_the_reference_platform():
    """Numbers belong to the profile; the report shows the profile's values next to the requirement."""
    import re
    for cid, meta in load_all().items():
        text = f"{meta.title} {meta.requirement}"
        assert not re.search(r"\(\d+%?\)|\b\d+\+|\b(9|14|15|90)\b", text), f"{cid} hard-codes a threshold: {text}"
