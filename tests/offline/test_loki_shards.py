"""P4-LOKI asks Loki in queries small enough for its series limit (max_query_series: 500 by default), which a
1,000-node cluster's log-agent pods alone exceed: Loki refused the one query with HTTP 400 there."""
from __future__ import annotations



from suites.phase4.test_loki import _query, _shards
from tests.builders import pod


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


