"""Talking to the sandbox's own API server: kubeconfig, kubectl apply, and bounded waits."""
from __future__ import annotations

import json
import subprocess
import time
from typing import Callable

import yaml

from sandbox.run.layout import Layout

CONTEXT = "platform-sandbox"


def write_kubeconfig(layout: Layout) -> None:
    pki = layout.pki
    layout.kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": CONTEXT,
        "clusters": [{"name": CONTEXT, "cluster": {
            "server": f"https://127.0.0.1:{layout.ports.apiserver}",
            "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": "sandbox-admin", "user": {
            "client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "sandbox-admin"}}],
    }))


def kubectl(layout: Layout, *args: str, stdin: str | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(layout.bin / "kubectl"), f"--kubeconfig={layout.kubeconfig}", *args],
                          input=stdin, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise KubectlError(f"kubectl {' '.join(args[:3])}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


class KubectlError(RuntimeError):
    pass


def apply(layout: Layout, objects: list[dict], subresource: str | None = None) -> None:
    if not objects:
        return
    args = ["apply", "--server-side", "--force-conflicts", "--field-manager=sandbox", "-f", "-"]
    if subresource:
        args.append(f"--subresource={subresource}")
    kubectl(layout, *args, stdin=yaml.safe_dump_all(objects))


def get_json(layout: Layout, *args: str) -> dict:
    return json.loads(kubectl(layout, "get", *args, "-o", "json").stdout)


def wait_for(what: str, condition: Callable[[], tuple[bool, str]], timeout: float, interval: float = 1.0) -> str:
    """Poll ``condition`` (returning done, description) until done or ``timeout``; report what was last seen."""
    deadline = time.monotonic() + timeout
    last = "nothing observed yet"
    while True:
        try:
            done, last = condition()
        except Exception as exc:  # a transient API error is something seen, not a reason to stop waiting
            done, last = False, f"{exc.__class__.__name__}: {exc}"
        if done:
            return last
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last}")
        time.sleep(interval)
