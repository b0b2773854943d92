"""The platform's secrets store, a real Vault, and sealing or unsealing it through its own HTTP API.

The sandbox runs Vault 1.13.0 (MPL-2.0, built by sandbox/build/go.py) as ``vault server -dev``: in memory,
initialized and unsealed at start, with a known root token, and its unseal key printed to its log, which is
where ``unseal`` reads it, as an operator would take it from the init output.
"""
from __future__ import annotations

import re

import requests

from sandbox.run.layout import Layout

ROOT_TOKEN = "sandbox-root"


def argv(layout: Layout) -> list[str]:
    return [str(layout.bin / "vault"), "server", "-dev", f"-dev-listen-address=127.0.0.1:{layout.ports.vault}",
            f"-dev-root-token-id={ROOT_TOKEN}", "-dev-no-store-token"]


def _put(layout: Layout, path: str, body: dict | None = None) -> None:
    response = requests.put(f"{layout.url('vault')}{path}", json=body or {}, timeout=10,
                            headers={"X-Vault-Token": ROOT_TOKEN})
    if response.status_code >= 300:
        raise RuntimeError(f"PUT {path}: HTTP {response.status_code} {response.text[:200]}")


def seal(layout: Layout) -> None:
    """What ``vault operator seal`` does."""
    _put(layout, "/v1/sys/seal")


def unseal(layout: Layout) -> None:
    """What ``vault operator unseal KEY`` does, with the key the dev server printed at start."""
    log = layout.root / "logs" / "vault.log"
    keys = re.findall(r"Unseal Key: (\S+)", log.read_text(errors="replace"))
    if not keys:
        raise RuntimeError(f"no 'Unseal Key:' line in {log}")
    _put(layout, "/v1/sys/unseal", {"key": keys[-1]})
