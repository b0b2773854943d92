"""A STAND-IN for Grafana's HTTP API. Grafana itself cannot be built on these machines.

It serves the subset of Grafana's API that readiness checks read, with
Grafana's paths and response shapes, from real dashboard JSON files:

- ``GET /api/health``
- ``GET /api/search?type=dash-db&query=&tag=``
- ``GET /api/dashboards/uid/<uid>``
- ``GET /api/datasources`` and ``GET /api/datasources/uid/<uid>/health``; the
  health check really queries the sandbox's Prometheus and Loki, so a stopped
  backend makes its datasource unhealthy, as in Grafana.
- ``GET /metrics`` (Prometheus exposition of its own request counts)

    python -m sandbox.services.grafana --port 13000 --prometheus URL --loki URL --dashboards DIR
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

VERSION = "11.2.0-sandbox-standin"


def datasources(prometheus: str, loki: str) -> list[dict]:
    return [{"id": 1, "uid": "prometheus", "name": "Prometheus", "type": "prometheus", "url": prometheus,
             "access": "proxy", "isDefault": True},
            {"id": 2, "uid": "loki", "name": "Loki", "type": "loki", "url": loki, "access": "proxy",
             "isDefault": False}]


def datasource_health(ds: dict) -> tuple[int, dict]:
    try:
        if ds["type"] == "prometheus":
            r = requests.get(f"{ds['url']}/api/v1/query", params={"query": "1+1"}, timeout=3)
            ok = r.status_code == 200 and r.json().get("status") == "success"
            message = "Successfully queried the Prometheus API." if ok else f"HTTP {r.status_code}"
        else:
            r = requests.get(f"{ds['url']}/loki/api/v1/labels", timeout=3)
            ok = r.status_code == 200 and r.json().get("status") == "success"
            message = "Data source successfully connected." if ok else f"HTTP {r.status_code}"
    except (requests.RequestException, ValueError) as exc:
        ok, message = False, f"error reading {ds['type']}: {exc.__class__.__name__}"
    return (200 if ok else 400), {"status": "OK" if ok else "ERROR", "message": message}


def _handler(board_dir: Path, sources: list[dict]):
    requests_seen: Counter = Counter()

    def boards() -> list[dict]:
        found = []
        for path in sorted(board_dir.glob("*.json")):
            try:
                found.append(json.loads(path.read_text()))
            except (OSError, json.JSONDecodeError):
                continue
        return found

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: object, content_type: str = "application/json") -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            query = parse_qs(url.query)
            path = url.path.rstrip("/")
            requests_seen[path.split("/")[2] if path.startswith("/api/") and path.count("/") > 1 else path] += 1
            if path == "/api/health":
                return self._reply(200, {"commit": "standin", "database": "ok", "version": VERSION})
            if path == "/api/search":
                text = query.get("query", [""])[0].lower()
                tags = set(query.get("tag", []))
                hits = [{"id": i, "uid": b["uid"], "title": b["title"], "uri": f"db/{b['uid']}",
                         "url": f"/d/{b['uid']}", "type": "dash-db", "tags": b.get("tags", [])}
                        for i, b in enumerate(boards(), 1)
                        if text in b["title"].lower() and tags <= set(b.get("tags", []))]
                if query.get("type", ["dash-db"])[0] not in ("dash-db", ""):
                    hits = []
                return self._reply(200, hits)
            if path.startswith("/api/dashboards/uid/"):
                uid = path.rsplit("/", 1)[1]
                for b in boards():
                    if b["uid"] == uid:
                        return self._reply(200, {"dashboard": b, "meta": {"slug": uid, "url": f"/d/{uid}"}})
                return self._reply(404, {"message": "Dashboard not found"})
            if path == "/api/datasources":
                return self._reply(200, sources)
            if path.startswith("/api/datasources/uid/") and path.endswith("/health"):
                uid = path.split("/")[4]
                for ds in sources:
                    if ds["uid"] == uid:
                        return self._reply(*datasource_health(ds))
                return self._reply(404, {"message": "Data source not found"})
            if path == "/metrics":
                lines = ["# TYPE grafana_standin_http_requests_total counter"] + [
                    f'grafana_standin_http_requests_total{{handler="{k}"}} {v}' for k, v in requests_seen.items()]
                return self._reply(200, "\n".join(lines) + "\n", "text/plain; version=0.0.4")
            self._reply(404, {"message": "Not found"})

        def log_message(self, fmt, *args):
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--loki", required=True)
    parser.add_argument("--dashboards", type=Path, required=True)
    args = parser.parse_args()
    handler = _handler(args.dashboards, datasources(args.prometheus, args.loki))
    ThreadingHTTPServer(("127.0.0.1", args.port), handler).serve_forever()


if __name__ == "__main__":
    main()
