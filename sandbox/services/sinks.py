"""Notification sinks that really receive what Alertmanager sends.

An SMTP server (aiosmtpd) for the email receivers and an HTTP server that
accepts PagerDuty Events API v2 and Slack incoming-webhook payloads. Every
delivery is appended to ``<dir>/received.jsonl`` and can be read back with
``GET /received?kind=email|pagerduty|slack``.

    python -m sandbox.services.sinks --http-port 18080 --smtp-port 12525 --dir /tmp/sinks
"""
from __future__ import annotations

import argparse
import email
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

_lock = threading.Lock()


class Store:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "received.jsonl"

    def add(self, kind: str, payload: dict) -> None:
        with _lock, self.path.open("a") as f:
            f.write(json.dumps({"kind": kind, "at": time.time(), "payload": payload}) + "\n")

    def read(self, kind: str | None = None) -> list[dict]:
        if not self.path.exists():
            return []
        with _lock:
            rows = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        return [r for r in rows if kind in (None, r["kind"])]

    def clear(self) -> None:
        with _lock:
            self.path.unlink(missing_ok=True)


class SmtpHandler:
    def __init__(self, store: Store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content)
        self.store.add("email", {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                 "subject": message.get("Subject", "")})
        return "250 Message accepted for delivery"


def _handler(store: Store):
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            if url.path == "/healthz":
                return self._reply(200, {"status": "ok"})
            if url.path == "/received":
                kind = parse_qs(url.query).get("kind", [None])[0]
                return self._reply(200, store.read(kind))
            self._reply(404, {"error": "not found"})

        def do_DELETE(self):  # noqa: N802
            if urlparse(self.path).path == "/received":
                store.clear()
                return self._reply(200, {"status": "cleared"})
            self._reply(404, {"error": "not found"})

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                return self._reply(400, {"status": "invalid event", "message": "body is not JSON"})
            path = urlparse(self.path).path
            if path == "/pagerduty/v2/enqueue":
                if not payload.get("routing_key") or payload.get("event_action") not in (
                        "trigger", "acknowledge", "resolve"):
                    return self._reply(400, {"status": "invalid event", "message": "routing_key/event_action"})
                store.add("pagerduty", payload)
                return self._reply(202, {"status": "success", "message": "Event processed",
                                         "dedup_key": payload.get("dedup_key", "")})
            if path == "/slack/webhook":
                if not isinstance(payload.get("attachments", payload.get("text")), (list, str)):
                    return self._reply(400, {"error": "no_text"})
                store.add("slack", payload)
                return self._reply(200, {"ok": True})
            self._reply(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    store = Store(args.dir)
    smtp = Controller(SmtpHandler(store), hostname="127.0.0.1", port=args.smtp_port)
    smtp.start()
    try:
        ThreadingHTTPServer(("127.0.0.1", args.http_port), _handler(store)).serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
