"""The platform's TLS edge: serves each hostname's certificate (chosen by SNI) from ``<pki>/served``.

It stands where the ingress controller terminates TLS for portal.254carbon.com and the others; certificates are
read at each handshake, so a re-issued certificate is served at once, as a controller reloads a renewed secret.

    python -m sandbox.services.edge --root STATE_DIR
"""
from __future__ import annotations

import argparse
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sandbox.run.layout import Layout
from sandbox.run.pki import served_dir


def context_for(directory: Path, host: str) -> ssl.SSLContext | None:
    cert, key = directory / f"{host}.crt", directory / f"{host}.key"
    if not cert.exists():
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


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

    def choose(sock: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext):
        chosen = context_for(directory, server_name or "")
        if chosen is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        sock.context = chosen
        return None

    default = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    default.sni_callback = choose
    server = ThreadingHTTPServer(("127.0.0.1", layout.ports.edge), Handler)
    server.socket = default.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
