"""Reads are retried with backoff under load, and a server that never recovers is broken within a bound.

A small HTTP proxy stands in front of the sandbox's real API server: it answers 429 (Retry-After: 1) to the
first list of nodes, or 503 to everything, and forwards the rest with the sandbox's own credentials.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import yaml
from kubernetes import client, config

from tests.suite_runner import run_suite

NODES = "/api/v1/nodes"


def _upstream(layout) -> tuple[str, dict]:
    conf = client.Configuration()
    config.load_kube_config(config_file=str(layout.kubeconfig), client_configuration=conf, persist_config=False)
    return conf.host, {"cert": (conf.cert_file, conf.key_file), "verify": conf.ssl_ca_cert}


class Proxy:
    def __init__(self, layout, mode: str):
        host, tls = _upstream(layout)
        self.mode, self.answered = mode, []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                proxy.answered.append(path)
                if proxy.mode == "always-503" or (proxy.mode == "429-once" and path == NODES
                                                  and proxy.answered.count(NODES) == 1):
                    status = 503 if proxy.mode == "always-503" else 429
                    body = json.dumps({"kind": "Status", "code": status, "message": "too many requests"}).encode()
                    self.send_response(status)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                upstream = requests.get(host + self.path, headers={"Accept": self.headers.get("Accept", "*/*")},
                                        timeout=20, **tls)
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            def log_message(self, fmt, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kubeconfig(self, path) -> str:
        port = self.server.server_address[1]
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "via-proxy",
            "clusters": [{"name": "proxy", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
            "users": [{"name": "anonymous", "user": {}}],
            "contexts": [{"name": "via-proxy", "context": {"cluster": "proxy", "user": "anonymous"}}]}))
        return str(path)

    def close(self):
        self.server.shutdown()


def _attachments(allure_dir, needle: str) -> list[str]:
    texts = [p.read_text(errors="replace") for p in allure_dir.glob("*-attachment*")]
    return [t for t in texts if needle in t]


def _run(tmp_path, layout, mode: str):
    proxy = Proxy(layout, mode)
    try:
        started = time.monotonic()
        run = run_suite(tmp_path, "suites", "--criteria", "P3-NODES", "--profile", "profiles/sandbox.yaml",
                        "--kubeconfig", proxy.kubeconfig(tmp_path / "kubeconfig"), "--context", "via-proxy")
        return run, time.monotonic() - started, proxy.answered
    finally:
        proxy.close()


def test_a_429_is_retried_after_its_retry_after_and_shown_in_the_evidence(sandbox, tmp_path):
    run, _, answered = _run(tmp_path, sandbox, "429-once")
    assert run.verdict("P3-NODES") == "passed", run.output[-3000:]
    assert answered.count(NODES) == 2, answered
    shown = _attachments(tmp_path / "allure", "HTTP 429 (Retry-After: 1), retried")
    assert shown and NODES in shown[0], "the retry is not in the Allure evidence"


def test_a_server_that_keeps_answering_503_is_broken_within_the_bound(sandbox, tmp_path):
    run, seconds, answered = _run(tmp_path, sandbox, "always-503")
    assert run.verdict("P3-NODES") == "broken", run.output[-3000:]
    assert "HTTP 503" in run.reasons("P3-NODES")
    assert answered.count(NODES) == 5, answered        # the first try and 4 retries, then no more
    assert seconds < 90, f"took {seconds:.0f}s"
