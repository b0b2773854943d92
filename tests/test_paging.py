"""Lists are read page by page; an expired continue token (HTTP 410 Gone) restarts the list once, for the
snapshot and for chaos alike. Served by a small HTTP API in front of the real Kubernetes client."""
from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from kubernetes import client

from fixtures.cache import SharedCache
from fixtures.kube import Snapshot
from fixtures.live import LiveCluster
from readiness.verdict import CouldNotLook


class PagedApi(BaseHTTPRequestHandler):
    expire = 0           # how many times the second page answers 410 Gone
    seen: list = []

    def do_GET(self):
        path, _, query = self.path.partition("?")
        params = dict(urllib.parse.parse_qsl(query))
        type(self).seen.append((path, params))
        kind = path.rsplit("/", 1)[-1]
        if "continue" not in params:
            self._send(200, {"kind": "List", "metadata": {"continue": "token-1"}, "items": [_obj(kind, "a")]})
        elif type(self).expire > 0:
            type(self).expire -= 1
            self._send(410, {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version"})
        else:
            self._send(200, {"kind": "List", "metadata": {}, "items": [_obj(kind, "b")]})

    def _send(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _obj(kind: str, name: str) -> dict:
    return {"metadata": {"name": name, "namespace": "ns"} if kind != "nodes" else {"name": name},
            "spec": {}, "status": {}}


@pytest.fixture
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), PagedApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    PagedApi.seen = []
    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{server.server_address[1]}"
    yield client.ApiClient(configuration)
    server.shutdown()


def test_an_expired_continue_token_restarts_the_list_once(api):
    PagedApi.expire = 1
    nodes = Snapshot(api, SharedCache(), "test").list("nodes")
    assert [n["metadata"]["name"] for n in nodes] == ["a", "b"]
    assert [("continue" in q) for _, q in PagedApi.seen] == [False, True, False, True]


def test_a_token_that_expires_again_is_broken(api):
    PagedApi.expire = 2
    with pytest.raises(CouldNotLook, match="HTTP 410"):
        Snapshot(api, SharedCache(), "test").items("nodes")


def test_chaos_lists_are_paged_and_restarted_too(api):
    PagedApi.expire = 1
    live = LiveCluster(api, "test", None)
    assert [n["metadata"]["name"] for n in live.nodes()] == ["a", "b"]
    assert [p["metadata"]["name"] for p in live.pods("worker-1")] == ["a", "b"]
    pods = [q for path, q in PagedApi.seen if path == "/api/v1/pods"]
    assert all(q["fieldSelector"] == "spec.nodeName=worker-1" and q["limit"] == "500" for q in pods), pods
