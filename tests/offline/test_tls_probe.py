"""The TLS probe against a real TLS server on loopback, with chains made by openssl: the served certificate
criterion judges the verified chain's earliest expiry, not only the leaf's."""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from fixtures.cache import SharedCache
from fixtures.tls import TlsProbe
from readiness.profile import ServedCertificate, load_profile
from suites.phase2 import test_certificates as certificates
from tests.fakes import empty_world, run_check
from tests.suite_runner import ROOT

HOST = "portal.254carbon.com"
CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
LEAF_EXT = f"subjectAltName=DNS:{HOST}\nextendedKeyUsage=serverAuth\n"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def signed(d: Path, name: str, subject: str, ca: str, days: int, ext: str) -> None:
    (d / f"{name}.ext").write_text(ext)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject,
            cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", str(days), "-extfile", f"{name}.ext", cwd=d)


def chain(d: Path, intermediate_days: int, leaf_days: int) -> Path:
    """root (10 years) -> intermediate -> leaf for HOST; returns the served chain file (leaf, intermediate)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "3650",
            "-subj", "/CN=Test Root", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    signed(d, "int", "/CN=Test Intermediate", "root", intermediate_days, CA_EXT)
    signed(d, "leaf", f"/CN={HOST}", "int", leaf_days, LEAF_EXT)
    served = d / "chain.pem"
    served.write_text((d / "leaf.pem").read_text() + (d / "int.pem").read_text())
    return served


@pytest.fixture
def serve():
    """serve(chain file, key file) -> the loopback port a TLS server presents them on."""
    stop, threads = threading.Event(), []

    def start(served: Path, key: Path) -> int:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(served, key)
        srv = socket.create_server(("127.0.0.1", 0))
        srv.settimeout(0.2)

        def loop() -> None:
            with srv:
                while not stop.is_set():
                    try:
                        conn, _ = srv.accept()
                    except socket.timeout:
                        continue
                    try:
                        with ctx.wrap_socket(conn, server_side=True) as tls:
                            tls.recv(1)
                    except (OSError, ssl.SSLError):
                        pass
        threads.append(threading.Thread(target=loop, daemon=True))
        threads[-1].start()
        return srv.getsockname()[1]
    yield start
    stop.set()
    for t in threads:
        t.join()


def verdict(tmp_path: Path, port: int) -> tuple[str, str]:
    profile = load_profile(ROOT / "profiles" / "sandbox.yaml")
    endpoint = ServedCertificate(host=HOST, address=f"127.0.0.1:{port}")
    probe = TlsProbe(SharedCache(), ca_bundle=str(tmp_path / "root.pem"))
    return run_check(certificates.test_served_certificate_verifies_and_is_not_expiring,
                     {**empty_world(profile), "tls": probe}, endpoint)


def test_served_chain_with_months_left_passes(tmp_path, serve):
    port = serve(chain(tmp_path, intermediate_days=365, leaf_days=60), tmp_path / "leaf.key")
    assert verdict(tmp_path, port) == ("passed", "")


@pytest.mark.row("P2-CERTIFICATES", "served-intermediate-expiring")
def test_served_chain_whose_intermediate_expires_first_fails(tmp_path, serve):
    port = serve(chain(tmp_path, intermediate_days=3, leaf_days=60), tmp_path / "leaf.key")
    result, message = verdict(tmp_path, port)
    assert result == "failed" and f"served certificate {HOST} (127.0.0.1:{port}): expires in 3.0 days" in message \
        and "(its chain's Test Intermediate first)" in message


def test_served_leaf_expiring_first_is_named_as_the_certificate(tmp_path, serve):
    port = serve(chain(tmp_path, intermediate_days=365, leaf_days=5), tmp_path / "leaf.key")
    result, message = verdict(tmp_path, port)
    assert result == "failed" and "expires in 5.0 days" in message and "its chain's" not in message
