"""What the snapshot keeps of an object: what checks read stays, the bulk no check reads goes."""
import ast
import copy

from fixtures.projection import UNREAD_POD_FIELDS, Interner, projected
from tests.suite_runner import ROOT


POD = {
    "metadata": {"name": "trino-0", "namespace": "data-platform", "generateName": "trino-", "resourceVersion": "9",
                 "labels": {"app": "trino"}, "managedFields": [{"manager": "kubectl"}],
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "team": "data"},
                 "ownerReferences": [{"kind": "StatefulSet", "name": "trino", "uid": "u1"}]},
    "spec": {"nodeName": "worker-1", "hostNetwork": True, "securityContext": {"runAsNonRoot": True},
             "tolerations": [{"key": "x"}], "affinity": {"podAntiAffinity": {}},
             "volumes": [{"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
                         {"name": "logs", "hostPath": {"path": "/var/log"}}, {"name": "share", "nfs": {"server": "n"}}],
             "containers": [{"name": "trino", "image": "registry/trino:1", "resources": {"limits": {"cpu": "1"}},
                             "securityContext": {"privileged": False}, "env": [{"name": "A", "value": "b"}],
                             "volumeMounts": [{"name": "token"}], "ports": [{"containerPort": 8080}],
                             "readinessProbe": {"httpGet": {}}, "someFutureField": 1}]},
    "status": {"phase": "Running", "podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}], "startTime": "2026-01-01T00:00:00Z",
               "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
               "containerStatuses": [{"name": "trino", "ready": True, "restartCount": 2, "imageID": "sha",
                                      "containerID": "cri://1", "state": {"running": {}},
                                      "lastState": {"terminated": {"reason": "OOMKilled"}}}]},
}


def test_a_pod_keeps_what_checks_read_and_loses_the_bulk():
    pod = projected("pods", copy.deepcopy(POD))
    meta, spec, status = pod["metadata"], pod["spec"], pod["status"]
    assert meta == {"name": "trino-0", "namespace": "data-platform", "labels": {"app": "trino"},
                    "annotations": {"team": "data"}, "ownerReferences": POD["metadata"]["ownerReferences"]}
    # Pod Security judges each volume's type (and names a hostPath's path); what the volume holds is dropped
    assert spec["volumes"] == [{"name": "token", "projected": {}}, {"name": "logs", "hostPath": {"path": "/var/log"}},
                               {"name": "share", "nfs": {}}]
    assert spec["hostNetwork"] is True and spec["securityContext"] == {"runAsNonRoot": True}
    assert "tolerations" not in spec and "affinity" not in spec
    assert spec["containers"] == [{"name": "trino", "image": "registry/trino:1", "resources": {"limits": {"cpu": "1"}},
                                   "securityContext": {"privileged": False}, "ports": [{"containerPort": 8080}],
                                   "someFutureField": 1}]
    assert status["conditions"] == POD["status"]["conditions"] and status["startTime"] == POD["status"]["startTime"]
    assert "podIP" not in status and "podIPs" not in status
    assert status["containerStatuses"] == [{"name": "trino", "ready": True, "restartCount": 2,
                                            "state": {"running": {}},
                                            "lastState": {"terminated": {"reason": "OOMKilled"}}}]


def test_other_kinds_lose_only_the_field_managers_and_the_last_applied_copy():
    deployment = {"metadata": copy.deepcopy(POD["metadata"]), "spec": {"template": {"spec": copy.deepcopy(POD["spec"])}}}
    kept = projected("deployments", copy.deepcopy(deployment))
    assert "managedFields" not in kept["metadata"] and kept["metadata"]["annotations"] == {"team": "data"}
    assert kept["metadata"]["generateName"] == "trino-"
    assert kept["spec"] == deployment["spec"]       # templates keep tolerations, affinity and ports (read there)


def test_repeated_short_strings_are_held_once():
    intern = Interner()
    first, second = (projected("pods", copy.deepcopy(POD), intern) for _ in range(2))
    assert first == second
    assert first["spec"]["nodeName"] is second["spec"]["nodeName"]
    assert first["status"]["conditions"][0]["status"] is second["status"]["conditions"][0]["status"]


# A dropped key may still be read by checks from another kind's objects: each exception says where.
READ_ELSEWHERE = {
    "tolerations": "P4-LOG-AGENT reads the DaemonSet template's",
    "affinity": "P3-SPREAD reads workload templates'",
    "command": "plugin/deploy.py writes a Job's",
    "args": "option names of the plugin",
    "env": "environment variables of the plugin, not a pod's",
    "volumeMounts": "plugin/deploy.py writes a Job's",
    "envFrom": "plugin/deploy.py writes a Job's",
    "user": "Pod Security reads securityContext.seLinuxOptions.user; the status' containerStatuses[].user is dropped",
}


def _string_constants(paths) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.setdefault(node.value, []).append(str(path.relative_to(ROOT)))
    return found


def test_no_check_reads_a_dropped_pod_field():
    """A check that starts reading a field the snapshot drops would read nothing: fail here instead."""
    code = [p for d in ("suites", "readiness", "chaos", "reporting", "plugin") for p in (ROOT / d).rglob("*.py")]
    constants = _string_constants(code)
    dropped = {key for keys in UNREAD_POD_FIELDS.values() for key in keys}
    read = {key: sorted(set(constants[key])) for key in dropped if key in constants and key not in READ_ELSEWHERE}
    assert not read, f"checks read pod fields the snapshot drops (fixtures/projection.py): {read}"
    assert set(READ_ELSEWHERE) <= dropped | {"volumes"}, "an exception for a key that is not dropped"
