"""readiness.ready.selects against the API server's own label selector: objects with many label sets in a
scratch namespace, listed with each selector as a labelSelector query, must be exactly the ones we select."""
from __future__ import annotations

import json

import pytest

from readiness.ready import selects
from sandbox.run import kube

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


def as_query(selector: dict) -> str:
    """The selector as a labelSelector query string (metav1.LabelSelectorAsSelector's String form)."""
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or []:
        values = ",".join(e.get("values") or [])
        parts.append({"In": f"{e['key']} in ({values})", "NotIn": f"{e['key']} notin ({values})",
                      "Exists": e["key"], "DoesNotExist": f"!{e['key']}"}[e["operator"]])
    return ",".join(parts)


def _kubectl(layout, *args: str, stdin: str | None = None) -> str:
    return kube.kubectl(layout, *args, stdin=stdin).stdout


@pytest.fixture(scope="module")
def labelled(sandbox):
    _kubectl(sandbox, "create", "namespace", NS)
    objects = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"set-{i}", "namespace": NS,
                                                                      "labels": labels}}
               for i, labels in enumerate(LABEL_SETS)]
    _kubectl(sandbox, "apply", "-f", "-", stdin="\n".join(json.dumps(o) for o in objects))
    yield sandbox
    _kubectl(sandbox, "delete", "namespace", NS, "--timeout=90s")   # gone before a next run creates it


@pytest.mark.parametrize("selector", SELECTORS, ids=[as_query(s) or "{}" for s in SELECTORS])
def test_selects_what_the_api_server_selects(labelled, selector):
    listed = json.loads(_kubectl(labelled, "-n", NS, "get", "configmaps", "-l", as_query(selector), "-o", "json")
                        if as_query(selector) else _kubectl(labelled, "-n", NS, "get", "configmaps", "-o", "json"))
    served = {o["metadata"]["name"] for o in listed["items"] if o["metadata"]["name"].startswith("set-")}
    ours = {f"set-{i}" for i, labels in enumerate(LABEL_SETS) if selects(selector, labels)}
    assert ours == served, f"{as_query(selector)!r}: we select {sorted(ours)}, the API server {sorted(served)}"


