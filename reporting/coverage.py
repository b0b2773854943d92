"""A criterion's verdict covers all of its cases or none.

At collection the run records every case of every criterion in its scope: the cases kept for running, the cases
deselected (``-k``, ``-m``, ``--deselect``, ``--lf``, a node ID naming one parametrisation) and the criteria of
the scope whose module was never collected. After the run each criterion is completed against that record:

- a kept case that produced no verdict (its pytest-xdist worker crashed, the run was interrupted, a report
  was lost) is **broken**, naming the case and why;
- a deselected case makes its criterion **not evaluated** ("3 of 12 cases deselected by -k 'not trino'");
- a criterion of the scope that was never collected is not evaluated, or broken when its module failed to
  collect.

So a criterion never passes on the cases that happened to survive.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from readiness import criteria
from readiness.criteria import Criterion
from readiness.verdict import Verdict
from reporting.results import CaseResult

NO_VERDICT = "produced no verdict (the run was interrupted, or the process running it died)"


@dataclass
class CollectionRecord:
    scope: list[str]                                        # criterion IDs the run set out to check
    cases: dict[str, str] = field(default_factory=dict)     # node ID -> criterion, every case kept for running
    deselected: dict[str, str] = field(default_factory=dict)  # node ID -> criterion, cases of the scope not run
    uncollected: dict[str, list[str]] = field(default_factory=dict)  # criterion -> [verdict, why]
    selection: str = ""                                     # what deselected cases ("-k 'not trino'")

    def write(self, path: Path) -> None:
        """Atomically: several pytest-xdist workers write the same record."""
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> "CollectionRecord | None":
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


class CollectionWatcher:
    """A pytest plugin object: records every case of every criterion in the run's scope once collection is
    done. Under pytest-xdist each worker collects and writes the same record where the controller reads it."""

    def __init__(self, config: pytest.Config, wanted: set[str] | None, path: Path):
        self.config, self.wanted, self.path = config, wanted, path
        self.deselected: list[pytest.Item] = []
        self.errors: dict[Path, str] = {}
        self.record: CollectionRecord | None = None

    def pytest_deselected(self, items) -> None:
        self.deselected.extend(items)

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            lines = report.longreprtext.strip().splitlines() or ["collection error"]
            self.errors[(self.config.rootpath / report.fspath).resolve()] = lines[-1]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.record = self.build(session.items)
        self.record.write(self.path)

    def build(self, kept: list[pytest.Item]) -> CollectionRecord:
        cases = _criteria_of(kept)
        dropped = _criteria_of(self.deselected)
        named = _named_by_args(self.config)
        picked = _picked_by_node_id(self.config, kept)
        seen = set(cases.values()) | set(dropped.values())
        scope = seen | named
        if self.wanted is not None:
            scope &= self.wanted
        how = selection_text(self.config)
        uncollected = {}
        for cid in sorted(scope - seen):
            error = self.errors.get(criteria.DEFINED_IN[cid][0])
            uncollected[cid] = [Verdict.BROKEN, f"its module could not be collected: {error}"] if error else \
                [Verdict.NOT_EVALUATED, f"none of its cases was collected ({how or 'its module was not collected'})"]
        for cid in sorted(picked & scope & seen):
            uncollected[cid] = [Verdict.NOT_EVALUATED, "only some of its cases were named by node ID: run the whole "
                                                 "test function (a criterion is evaluated on all of its cases)"]
        if _last_failed_only(self.config):
            # pytest's --lf leaves passing cases out of collection without deselecting them: nothing here can
            # say a criterion ran whole.
            for cid in sorted(scope & seen):
                uncollected[cid] = [Verdict.NOT_EVALUATED, "--lf ran only the cases that failed last time; run without "
                                                     "it to evaluate the criterion on all of its cases"]
        return CollectionRecord(sorted(scope), {n: c for n, c in cases.items() if c in scope},
                                {n: c for n, c in dropped.items() if c in scope and n not in cases},
                                uncollected, how)


def _criteria_of(items: list[pytest.Item]) -> dict[str, str]:
    return {item.nodeid: meta.id for item in items if (meta := criteria.of(item)) is not None}


def _named_by_args(config: pytest.Config) -> set[str]:
    """Criteria whose test the command line names (a directory, a module, a function), collected or not."""
    named = set()
    for arg in config.args:
        path_part, *names = arg.split("::")
        path = Path(path_part)
        path = (path if path.is_absolute() else config.invocation_params.dir / path).resolve()
        for cid, (file, function) in criteria.DEFINED_IN.items():
            if file.is_relative_to(path) and (not names or names[-1].split("[")[0] == function):
                named.add(cid)
    return named


def _picked_by_node_id(config: pytest.Config, kept: list[pytest.Item]) -> set[str]:
    """Criteria of which the command line names single parametrisations (``test_x[a]``), not the function."""
    wanted = [names for arg in config.args if (names := arg.split("::")[1:]) and "[" in names[-1]]
    return {meta.id for item in kept if (meta := criteria.of(item)) and item.nodeid.split("::")[1:] in wanted}


def _last_failed_only(config: pytest.Config) -> bool:
    plugin = config.pluginmanager.get_plugin("lfplugin")
    return bool(config.getoption("lf", False) and plugin is not None and getattr(plugin, "lastfailed", None))


def selection_text(config: pytest.Config) -> str:
    """The options that deselect cases, as the user wrote them."""
    parts = []
    if config.option.keyword:
        parts.append(f"-k {config.option.keyword!r}")
    if config.option.markexpr:
        parts.append(f"-m {config.option.markexpr!r}")
    if config.getoption("deselect", None):
        parts.append("--deselect " + " ".join(config.getoption("deselect")))
    if config.getoption("lf", False):
        parts.append("--lf")
    if any("[" in arg.rsplit("::", 1)[-1] for arg in config.args if "::" in arg):
        parts.append("node IDs")
    return " and ".join(parts)


def case_name(nodeid: str) -> str:
    """``suites/phase3/test_x.py::test_y[data-platform/trino]`` -> ``test_y[data-platform/trino]``."""
    return nodeid.rsplit("::", 1)[-1]


def missing_cases(record: CollectionRecord, reported: list[CaseResult], orphans: dict[str, str],
                  catalog: dict[str, Criterion]) -> list[CaseResult]:
    """The cases the record holds that no report stands for, each with the verdict it gets.

    ``orphans``: node ID -> what a report without criterion metadata said about it (a crashed worker's report).
    """
    seen = {c.nodeid for c in reported}
    extra = []
    for nodeid, cid in record.cases.items():
        # A crash report breaks its case even after a passing call (the worker died in the teardown).
        if (nodeid not in seen or nodeid in orphans) and cid in catalog:
            why = orphans.get(nodeid, NO_VERDICT)
            extra.append(CaseResult(nodeid, cid, Verdict.BROKEN, f"case {case_name(nodeid)} {why}", 0.0, catalog[cid]))
    by_criterion: dict[str, list[str]] = {}
    for nodeid, cid in record.deselected.items():
        by_criterion.setdefault(cid, []).append(nodeid)
    for cid, nodeids in by_criterion.items():
        if cid not in catalog:
            continue
        total = len(nodeids) + sum(1 for c in record.cases.values() if c == cid)
        names = ", ".join(case_name(n) for n in sorted(nodeids)[:5]) + (", ..." if len(nodeids) > 5 else "")
        message = (f"{len(nodeids)} of {total} case(s) deselected by {record.selection or 'the selection'} "
                   f"({names}): a criterion is evaluated on all of its cases or not at all")
        extra += [CaseResult(n, cid, Verdict.NOT_EVALUATED, message, 0.0, catalog[cid]) for n in nodeids]
    for cid, (verdict, why) in record.uncollected.items():
        if cid in catalog:
            extra.append(CaseResult(f"{cid} (not collected)", cid, verdict, why, 0.0, catalog[cid]))
    return extra


def selection_summary(record: CollectionRecord | None) -> dict:
    """For summary.json: how many cases of which criteria did not run as collected."""
    if record is None:
        return {"how": "", "deselected_cases": 0, "deselected": {}, "uncollected": {}}
    deselected: dict[str, list[str]] = {}
    for nodeid, cid in sorted(record.deselected.items()):
        deselected.setdefault(cid, []).append(case_name(nodeid))
    return {"how": record.selection, "deselected_cases": len(record.deselected), "deselected": deselected,
            "uncollected": {cid: why for cid, (_, why) in sorted(record.uncollected.items())}}
