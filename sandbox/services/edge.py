"""The platform's TLS edge, where the ingress controller terminates TLS for portal.254carbon.com and the others.

As ingress-nginx does, it serves for each host of an nginx Ingress's ``spec.tls`` the certificate in the Secret
that entry names (the oldest Ingress claims a host), and its default self-signed "Fake Certificate" for a host
without one. Every ``SYNC_S`` it reads the Ingresses and their Secrets from the API server and writes what
changed to ``<pki>/served``, which is read at each handshake: a renewed Secret is served within seconds.

    python -m sandbox.services.edge --root STATE_DIR
"""
from __future__ import annotations

import argparse
import base64
import shutil
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from sandbox.run.layout import Layout
from sandbox.run.pki import self_signed, served_dir

SYNC_S = 2
INGRESS_CLASS = "nginx"
FAKE = "ingress-fake"


def context_for(directory: Path, host: str) -> ssl.SSLContext | None:
    cert, key = directory / f"{host}.crt", directory / f"{host}.key"
    if not cert.exists():
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class ApiServer:
    """GETs from the sandbox API server as its admin; the CA is passed on each request, as a session's own
    ``verify`` loses to REQUESTS_CA_BUNDLE."""

    def __init__(self, layout: Layout):
        self.url, self.session = f"https://127.0.0.1:{layout.ports.apiserver}", requests.Session()
        self.session.cert = (str(layout.pki / "admin.crt"), str(layout.pki / "admin.key"))
        self.ca = str(layout.pki / "ca.crt")

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, verify=self.ca, timeout=5)


def served_pairs(api: ApiServer) -> dict[str, tuple[bytes, bytes]]:
    """host -> (certificate, key) from the Secret its oldest nginx Ingress names."""
    ingresses = api.get("/apis/networking.k8s.io/v1/ingresses")
    ingresses.raise_for_status()
    pairs: dict[str, tuple[bytes, bytes]] = {}
    for ing in sorted(ingresses.json()["items"], key=lambda i: i["metadata"]["creationTimestamp"]):
        if (ing.get("spec") or {}).get("ingressClassName") != INGRESS_CLASS:
            continue
        namespace = ing["metadata"]["namespace"]
        for tls in ing["spec"].get("tls") or []:
            hosts = [h for h in tls.get("hosts") or [] if h not in pairs]
            if not hosts or not tls.get("secretName"):
                continue
            secret = api.get(f"/api/v1/namespaces/{namespace}/secrets/{tls['secretName']}")
            data = (secret.json().get("data") or {}) if secret.status_code == 200 else {}
            if data.get("tls.crt") and data.get("tls.key"):
                pair = (base64.b64decode(data["tls.crt"]), base64.b64decode(data["tls.key"]))
                pairs.update({host: pair for host in hosts})
    return pairs


def write_served(directory: Path, pairs: dict[str, tuple[bytes, bytes]]) -> None:
    for host, (cert, key) in pairs.items():
        if (directory / f"{host}.crt").exists() and (directory / f"{host}.crt").read_bytes() == cert:
            continue
        # key first, then certificate: a handshake loads the pair when the certificate changes
        for suffix, body in ((".key", key), (".crt", cert)):
            (directory / f"{host}{suffix}.new").write_bytes(body)
            (directory / f"{host}{suffix}.new").replace(directory / f"{host}{suffix}")
    for stale in directory.glob("*.crt"):
        if stale.name.removesuffix(".crt") not in pairs:
            stale.unlink(missing_ok=True)


def sync_forever(layout: Layout, directory: Path, stop: threading.Event) -> None:
    api, last_error = ApiServer(layout), None
    while not stop.wait(SYNC_S):
        try:
            write_served(directory, served_pairs(api))
            last_error = None
        except (requests.RequestException, ValueError, KeyError) as exc:
            # the API server restarting, say: what is served stays as it was, as in ingress-nginx
            if str(exc) != last_error:
                print(f"edge: cannot read the Ingresses and their Secrets: {exc}", file=sys.stderr, flush=True)
            last_error = str(exc)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    layout = Layout(parser.parse_args().root)
    directory = served_dir(layout.pki)
    shutil.rmtree(directory, ignore_errors=True)      # nothing from an earlier run is served
    directory.mkdir(parents=True)
    fake = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    fake.load_cert_chain(*self_signed(layout.pki, FAKE, "Kubernetes Ingress Controller Fake Certificate"))

    def choose(sock: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext):
        sock.context = context_for(directory, server_name or "") or fake
        return None

    fake.sni_callback = choose
    stop = threading.Event()
    threading.Thread(target=sync_forever, args=(layout, directory, stop), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", layout.ports.edge), Handler)
    server.socket = fake.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
