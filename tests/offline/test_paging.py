"""Lists are read page by page; when a continue token expires (HTTP 410 Gone) the list is read again whole, in
one answer, as client-go's pager does, for the snapshot and for chaos alike. Served by a small HTTP API in front
of the real Kubernetes client."""
from __future__ import annotations

import urllib.parse

import pytest
from kubernetes import client

from fixtures.cache import SharedCache
from fixtures.kube import Snapshot
from fixtures.live import LiveCluster
from readiness.verdict import CouldNotLook
from tests.http_stub import JsonHandler, serving


class PagedApi(JsonHandler):
    expire = 0           # how many times the second page answers 410 Gone
    first = 200          # the first page's status
    later = 200          # the second page's status when it does not expire
    seen: list = []

    def do_GET(self):
        path, _, query = self.path.partition("?")
        params = dict(urllib.parse.parse_qsl(query))
        type(self).seen.append((path, params))
        kind = path.rsplit("/", 1)[-1]
        if "limit" not in params:
            self.send_json(200, {"kind": "List", "metadata": {}, "items": [_obj(kind, "a"), _obj(kind, "b")]})
        elif "continue" not in params and self.first != 200:
            self.send_json(self.first, {"kind": "Status", "code": self.first})
        elif "continue" not in params:
            self.send_json(200, {"kind": "List", "metadata": {"continue": "token-1"}, "items": [_obj(kind, "a")]})
        elif type(self).expire > 0:
            type(self).expire -= 1
            self.send_json(410, {"kind": "Status", "code": 410, "reason": "Expired",
                                 "message": "too old resource version"})
        else:
            self.send_json(self.later, {"kind": "List", "metadata": {}, "items": [_obj(kind, "b")]})


def _obj(kind: str, name: str) -> dict:
    return {"metadata": {"name": name, "namespace": "ns"} if kind != "nodes" else {"name": name},
            "spec": {}, "status": {}}


@pytest.fixture
def api():
    PagedApi.seen, PagedApi.expire, PagedApi.first, PagedApi.later = [], 0, 200, 200
    with serving(PagedApi) as url:
        configuration = client.Configuration()
        configuration.host = url
        yield client.ApiClient(configuration)


def _paging(seen) -> list[str]:
    return ["continue" if "continue" in q else "page" if "limit" in q else "whole" for _, q in seen]


def test_an_expired_continue_token_reads_the_list_again_whole(api):
    PagedApi.expire = 1
    nodes = Snapshot(api, SharedCache(), "test").list("nodes")
    assert [n["metadata"]["name"] for n in nodes] == ["a", "b"]
    assert _paging(PagedApi.seen) == ["page", "continue", "whole"]


@pytest.mark.parametrize("first, later, message", [(410, 200, "HTTP 410"), (200, 404, "page after the first")])
def test_a_410_on_the_first_page_or_a_404_mid_list_is_broken(api, first, later, message):
    PagedApi.first, PagedApi.later = first, later
    with pytest.raises(CouldNotLook, match=message):
        Snapshot(api, SharedCache(), "test").items("nodes")


def test_chaos_lists_are_paged_and_read_again_whole_too(api):
    PagedApi.expire = 1
    live = LiveCluster(api, "test", None)
    assert [n["metadata"]["name"] for n in live.nodes()] == ["a", "b"]
    assert [p["metadata"]["name"] for p in live.pods("worker-1")] == ["a", "b"]
    pods = [q for path, q in PagedApi.seen if path == "/api/v1/pods"]
    assert all(q["fieldSelector"] == "spec.nodeName=worker-1" and q["limit"] == "500" for q in pods), pods
