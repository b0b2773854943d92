"""P4-LOKI asks Loki in queries small enough for its series limit (max_query_series: 500 by default), which a
1,000-node cluster's log-agent pods alone exceed: Loki refused the one query with HTTP 400 there."""
from __future__ import annotations

import json

import yaml

from tests.suite_runner import ROOT, run_suite


def test_small_shards_against_the_real_loki_pass_and_show_each_query(sandbox, tmp_path):
    """The same verdict from many small queries as from one: every shard's query is in the evidence."""
    profile = yaml.safe_load((ROOT / "profiles/sandbox.yaml").read_text())
    profile["phase4"]["loki"]["max_series_per_query"] = 8
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    run = run_suite(tmp_path, "suites", "--criteria", "P4-LOKI", "--profile", str(path))
    assert run.verdict("P4-LOKI") == "passed", run.reasons("P4-LOKI") or run.output[-3000:]
    queries = []
    for result in (tmp_path / "allure").glob("*-result.json"):
        for attachment in json.loads(result.read_text()).get("attachments", []):
            if attachment["name"].startswith("log lines per container"):
                queries.append(json.loads((tmp_path / "allure" / attachment["source"]).read_text())["query"])
    assert len(queries) >= 3, queries
    assert all(q.count("|") <= 8 + 5 for q in queries), queries     # at most 8 pods (and a few namespaces) each
