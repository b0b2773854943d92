"""The agent's watched copies (sandbox/mirror.py) follow the real API server: additions, changes and deletions
arrive through the watch, and a version the server no longer keeps is recognised (410 Gone: list again)."""
from __future__ import annotations

import time

import pytest
from kubernetes import client, config

from sandbox.agent.mirror import Gone, Mirror

NAMESPACE = "default"
LABEL = "platform-readiness.io/mirror-test"


def _names(mirror: Mirror) -> dict[str, str]:
    return {o["metadata"]["name"]: (o.get("data") or {}).get("v", "") for o in mirror.items()}


def _eventually(what: str, check, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"the mirror never showed {what}"
        time.sleep(0.1)


def test_mirror_follows_changes_and_lists_again_when_its_version_is_gone(sandbox):
    api = config.new_client_from_config(str(sandbox.kubeconfig))
    core = client.CoreV1Api(api)
    for old in core.list_namespaced_config_map(NAMESPACE, label_selector=LABEL).items:
        core.delete_namespaced_config_map(old.metadata.name, NAMESPACE)
    mirror = Mirror(api, f"/api/v1/namespaces/{NAMESPACE}/configmaps", labelSelector=LABEL).start()
    assert mirror.synced.wait(20)
    body = {"metadata": {"name": "m1", "labels": {LABEL: "true"}}, "data": {"v": "1"}}
    try:
        core.create_namespaced_config_map(NAMESPACE, body)
        _eventually("the new object", lambda: _names(mirror) == {"m1": "1"})
        core.patch_namespaced_config_map("m1", NAMESPACE, {"data": {"v": "2"}})
        _eventually("the change", lambda: _names(mirror) == {"m1": "2"})
        core.delete_namespaced_config_map("m1", NAMESPACE)
        _eventually("the deletion", lambda: _names(mirror) == {})

        # a watch from a version the server no longer keeps: it says so (410), which makes the mirror list again
        stale = Mirror(api, f"/api/v1/namespaces/{NAMESPACE}/configmaps", labelSelector=LABEL)
        stale.version = "1"
        with pytest.raises(Gone):
            stale._watch()
    finally:
        for name in ("m1",):
            try:
                core.delete_namespaced_config_map(name, NAMESPACE)
            except client.ApiException:
                pass
