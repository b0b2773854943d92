"""P4-LOKI asks Loki in queries small enough for its series limit (max_query_series: 500 by default), which a
1,000-node cluster's log-agent pods alone exceed: Loki refused the one query with HTTP 400 there."""
from __future__ import annotations

import json

import yaml

from suites.phase4.test_loki import _query, _shards
from tests.builders import pod
from tests.suite_runner import ROOT, run_suite


def _pods(count: int, containers=("main",)) -> list[dict]:
    return [pod("monitoring", f"promtail-{i:04d}", f"w{i}", {"app": "promtail"}, containers=containers)
            for i in range(count)]


def test_shards_hold_at_most_the_limit_of_containers_and_every_pod_once():
    pods = _pods(7, containers=("a", "b"))
    shards = _shards(pods, 5)
    assert [len(s) for s in shards] == [2, 2, 2, 1]          # two containers each: 4 series per shard
    assert [p for s in shards for p in s] == pods


def test_a_pod_with_more_containers_than_the_limit_is_still_asked_for():
    shards = _shards(_pods(2, containers=("a", "b", "c")), 2)
    assert [len(s) for s in shards] == [1, 1]


def test_query_names_exactly_its_pods_with_dots_escaped():
    pods = [pod("data-platform", "trino.coordinator-0", "w1", {"app": "trino"}),
            pod("monitoring", "promtail-x", "w1", {"app": "promtail"})]
    spec = type("Spec", (), {"namespace_label": "namespace", "pod_label": "pod", "container_label": "container"})
    query = _query(spec, pods, 15)
    assert 'namespace=~"data-platform|monitoring"' in query
    assert 'pod=~"promtail-x|trino\\\\.coordinator-0"' in query
    assert query.startswith("sum by (namespace, pod, container) (count_over_time({") and query.endswith("[15s]))")


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
