"""The platform's secrets store, and sealing or unsealing it through its own HTTP API.

With a Vault binary in the cache (Vault 1.14.0, the last MPL-2.0 release, built by sandbox/build.py), the
sandbox runs ``vault server -dev``: in memory, unsealed at start, with a known root token. Where it cannot be
built, this module's ``main`` is a stand-in that answers the same endpoints (``/v1/sys/health`` with Vault's
status codes, ``/v1/sys/seal``, ``/v1/sys/unseal``, ``/v1/sys/seal-status``), and the README says which one ran.

Both print ``Unseal Key: ...`` to their log, which is where ``unseal`` reads the key, as an operator would
take it from the init output.

    python -m sandbox.secrets_store --port PORT --token TOKEN      # the stand-in
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from sandbox.layout import Layout

ROOT_TOKEN = "sandbox-root"
VERSION = "1.14.0"


def argv(layout: Layout, python: str) -> list[str]:
    binary = layout.bin / "vault"
    if binary.exists():
        return [str(binary), "server", "-dev", f"-dev-listen-address=127.0.0.1:{layout.ports.vault}",
                f"-dev-root-token-id={ROOT_TOKEN}", "-dev-no-store-token"]
    return [python, "-m", "sandbox.secrets_store", "--port", str(layout.ports.vault), "--token", ROOT_TOKEN]


def _put(layout: Layout, path: str, body: dict | None = None) -> None:
    response = requests.put(f"{layout.url('vault')}{path}", json=body or {}, timeout=10,
                            headers={"X-Vault-Token": ROOT_TOKEN})
    if response.status_code >= 300:
        raise RuntimeError(f"PUT {path}: HTTP {response.status_code} {response.text[:200]}")


def seal(layout: Layout) -> None:
    _put(layout, "/v1/sys/seal")


def unseal(layout: Layout) -> None:
    log = (layout.root / "logs" / "vault.log").read_text(errors="replace")
    keys = re.findall(r"Unseal Key: (\S+)", log)
    if not keys:
        raise RuntimeError(f"no 'Unseal Key:' line in {layout.root / 'logs' / 'vault.log'}")
    _put(layout, "/v1/sys/unseal", {"key": keys[-1]})


class StandIn:
    def __init__(self, token: str):
        self.token, self.key, self.sealed, self.lock = token, base64.b64encode(os.urandom(32)).decode(), False, \
            threading.Lock()

    def health(self) -> tuple[int, dict]:
        with self.lock:
            sealed = self.sealed
        body = {"initialized": True, "sealed": sealed, "standby": False, "performance_standby": False,
                "replication_dr_mode": "disabled", "replication_performance_mode": "disabled",
                "server_time_utc": 0, "version": f"{VERSION}+sandbox-stand-in", "cluster_name": "sandbox"}
        return (503 if sealed else 200), body


def _handler(store: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: dict | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/v1/sys/health":
                return self._reply(*store.health())
            if path == "/v1/sys/seal-status":
                return self._reply(200, {"type": "shamir", "initialized": True, "sealed": store.sealed, "t": 1,
                                         "n": 1, "progress": 0, "version": VERSION})
            self._reply(404, {"errors": []})

        def do_PUT(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/v1/sys/seal":
                if self.headers.get("X-Vault-Token") != store.token:
                    return self._reply(403, {"errors": ["permission denied"]})
                with store.lock:
                    store.sealed = True
                return self._reply(204)
            if self.path == "/v1/sys/unseal":
                if body.get("key") != store.key:
                    return self._reply(400, {"errors": ["invalid key"]})
                with store.lock:
                    store.sealed = False
                return self._reply(200, {"sealed": False, "t": 1, "n": 1, "progress": 0})
            self._reply(404, {"errors": []})

        def log_message(self, fmt, *args):
            pass
    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="stand-in for Vault's sys endpoints")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    store = StandIn(args.token)
    print(f"Unseal Key: {store.key}\nRoot Token: {args.token}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), _handler(store)).serve_forever()


if __name__ == "__main__":
    main()
