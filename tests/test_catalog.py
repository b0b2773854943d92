"""The criteria catalog is generated from the suites' metadata, and the committed copy is current."""
from readiness.catalog import load_all, markdown, runbook
from tests.suite_runner import ROOT


def test_committed_catalog_is_current():
    committed = (ROOT / "docs/criteria.md").read_text()
    assert committed == markdown(load_all()), "docs/criteria.md is stale: python -m readiness.catalog --markdown"


def test_every_criterion_has_requirement_next_step_and_phase():
    for cid, meta in load_all().items():
        assert cid.startswith(f"P{meta.phase}-"), cid
        assert meta.requirement and meta.next_step and meta.title, cid


def test_committed_runbooks_are_current():
    for cid, meta in load_all().items():
        page = ROOT / "docs/runbooks" / f"{cid}.md"
        assert page.exists() and page.read_text() == runbook(meta), \
            f"{page} is stale: python -m readiness.catalog --runbooks docs/runbooks"
