"""Certificates for the sandbox control plane, made with the openssl command line.

One CA signs the apiserver's serving certificate, the admin client
certificate (O=system:masters), the aggregation-layer front-proxy client and
the kwok "kubelet" serving certificate; a separate RSA key signs service
account tokens. The platform's own CA, which cert-manager's CA ClusterIssuer signs the platform's
Certificates with, is separate: a fault can replace the issuer's CA without touching the control plane's.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

DAYS = "3650"


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def _signed(pki: Path, name: str, subject: str, ext: str) -> None:
    (pki / f"{name}.ext").write_text(ext)
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
             "-subj", subject, "-out", f"{name}.csr", cwd=pki)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", DAYS, "-sha256", "-extfile", f"{name}.ext",
             "-out", f"{name}.crt", cwd=pki)


def ensure_pki(pki: Path) -> Path:
    """Create the sandbox PKI under ``pki`` once; later calls reuse it."""
    if (pki / "complete").exists():
        return pki
    pki.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", DAYS, "-subj", "/CN=platform-readiness-sandbox-ca", cwd=pki)
    serving = ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
               "extendedKeyUsage=serverAuth\n"
               "subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
               "DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.96.0.1\n")
    client = ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=clientAuth\n")
    _signed(pki, "apiserver", "/CN=kube-apiserver", serving)
    _signed(pki, "kubelet", "/CN=kwok-kubelet", serving)
    _signed(pki, "admin", "/O=system:masters/CN=sandbox-admin", client)
    _signed(pki, "front-proxy-client", "/CN=front-proxy-client", client)
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    (pki / "complete").write_text("ok\n")
    return pki


PLATFORM_CA = "platform-ca"


def ensure_platform_ca(pki: Path) -> tuple[Path, Path]:
    """The platform CA's (certificate, key), made once."""
    crt, key = pki / f"{PLATFORM_CA}.crt", pki / f"{PLATFORM_CA}.key"
    if not crt.exists():
        issue_ca(pki, PLATFORM_CA, int(DAYS))
    return crt, key


def issue_ca(pki: Path, name: str, days: int) -> tuple[Path, Path]:
    """A self-signed CA ``name`` valid for ``days``, written under ``pki`` as ``name``.crt and .key."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt",
             "-days", str(days), "-subj", f"/O=254carbon/CN={name}", cwd=pki)
    return pki / f"{name}.crt", pki / f"{name}.key"


def served_dir(pki: Path) -> Path:
    return pki / "served"


def serving_pair(pki: Path, host: str, days: int, ca: str = PLATFORM_CA) -> tuple[bytes, bytes]:
    """(certificate, key) in PEM for ``host``, signed by the CA ``ca`` under ``pki`` and valid for ``days``: what
    an operator makes by hand with openssl."""
    work = pki / "by-hand"
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{host}.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                                      f"extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{host}\n")
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{host}.key", "-subj", f"/CN={host}",
             "-out", f"{host}.csr", cwd=work)
    _openssl("x509", "-req", "-in", f"{host}.csr", "-CA", f"../{ca}.crt", "-CAkey", f"../{ca}.key",
             "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", f"{host}.ext", "-out", f"{host}.crt",
             cwd=work)
    return (work / f"{host}.crt").read_bytes(), (work / f"{host}.key").read_bytes()


def self_signed(pki: Path, name: str, cn: str) -> tuple[Path, Path]:
    """A self-signed serving certificate ``name`` (as ingress-nginx's default "Fake Certificate")."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt",
             "-days", "365", "-subj", f"/O=Acme Co/CN={cn}", cwd=pki)
    return pki / f"{name}.crt", pki / f"{name}.key"
