"""readiness.ready.selects against the API server's own label selector: objects with many label sets in a
scratch namespace, listed with each selector as a labelSelector query, must be exactly the ones we select."""
from __future__ import annotations



from readiness.ready import selects

NS = "selector-oracle"
LABEL_SETS = [{}, {"app": "trino"}, {"app": "superset"}, {"app": "trino", "tier": "web"}, {"tier": "db"},
              {"app": "trino", "tier": "db", "canary": "true"}, {"canary": "false"}, {"app": ""},
              {"app": "portal", "canary": "true"}, {"tier": "web", "zone": "a"}]
SELECTORS = [
    {},
    {"matchLabels": {}},
    {"matchLabels": {"app": "trino"}},
    {"matchLabels": {"app": "trino", "tier": "db"}},
    {"matchLabels": {"app": ""}},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": ["trino", "portal"]}]},
    {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["trino"]}]},
    {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["trino", "superset", "portal"]}]},
    {"matchExpressions": [{"key": "canary", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": [""]}]},
    {"matchLabels": {"app": "trino"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists"}, {"key": "zone", "operator": "DoesNotExist"}]},
    {"matchExpressions": [{"key": "canary", "operator": "In", "values": ["true"]},
                          {"key": "app", "operator": "NotIn", "values": ["portal"]}]},
    {"matchExpressions": [{"key": "missing", "operator": "NotIn", "values": ["x"]}]},
    {"matchExpressions": [{"key": "missing", "operator": "In", "values": ["x"]}]},
]


def test_a_missing_selector_selects_nothing():
    assert not selects(None, {"app": "trino"}) and not selects(None, {})
