"""The criteria catalog and runbooks are generated from the suites' metadata, and the committed copies are
current."""
import subprocess
import sys

from plugin.catalog import load_all
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


TABLED_PHASES = (1, 2, 5, 6, 7, 8)   # the phases whose criteria carry adversarial tables so far
MIN_ROWS = 5


def _module_tables() -> dict[str, dict[str, str]]:
    import importlib
    from readiness.adversarial import tables
    found: dict[str, dict[str, str]] = {}
    for path in sorted((ROOT / "suites").glob("phase*/test_*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for cid, rows in tables(module.__doc__).items():
            assert cid not in found, f"{cid}: two adversarial tables ({path.name} and another module)"
            found[cid] = rows
    return found


def test_every_criterion_of_the_tabled_phases_has_an_adversarial_table_of_five_rows():
    found = _module_tables()
    short = {cid: len(found.get(cid, {})) for cid, meta in load_all().items()
             if meta.phase in TABLED_PHASES and len(found.get(cid, {})) < MIN_ROWS}
    assert not short, f"criteria with fewer than {MIN_ROWS} adversarial rows (criterion: rows): {short}"
    assert set(found) <= set(load_all()), f"tables of unknown criteria: {sorted(set(found) - set(load_all()))}"


def test_every_adversarial_row_has_its_recorded_input_test_and_every_test_its_row():
    from readiness.adversarial import tested_rows
    rows = {(cid, row) for cid, table in _module_tables().items() for row in table}
    tested = tested_rows(ROOT / "tests")
    assert not rows - tested, f"rows without a test (@pytest.mark.row): {sorted(rows - tested)}"
    assert not tested - rows, f"tests of rows no table lists: {sorted(tested - rows)}"
