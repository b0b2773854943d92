"""Oracle: readiness.pod_security judges a pod exactly as the sandbox's real PodSecurity admission plugin
(kube-apiserver v1.33.13) does.

Three scratch namespaces, enforce=baseline, enforce=restricted and enforce=privileged, live for the module. Each
case is sent as a server-side dry-run create (nothing is stored):
- to the privileged namespace, which admits anything valid, for the pod as the API server stores it: on create
  the server rewrites fields before admission looks (a deprecated AppArmor annotation becomes the container's
  field, the service-account token volume is added), and a running pod, the port's real input, carries that
  form; the port judges it;
- to the baseline and the restricted namespace, whose answer (admitted, or 403 ``violates PodSecurity
  "<level>:latest": reason (detail), ...``) must list the same reasons with the same details in the same order.
Ephemeral containers cannot be set on create; tests/test_pod_security_port.py covers them.
"""
from __future__ import annotations

import json
import uuid

import pytest
from kubernetes import config
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

from readiness.pod_security import evaluate
from sandbox.run.kube import wait_for

IMAGE = "registry.k8s.io/pause:3.10"
NAMESPACE_READY_S = 60
NAMESPACE_GONE_S = 120

RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                        "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def _container(name: str = "app", security: dict | None = None, **fields) -> dict:
    container = {"name": name, "image": IMAGE, **fields}
    if security is not None:
        container["securityContext"] = security
    return container


def _restricted(name: str = "app", **overrides) -> dict:
    """A container that meets restricted on its own, with some securityContext fields replaced."""
    return _container(name, {**RESTRICTED_CONTAINER, **overrides})


def _pod(*containers: dict, security: dict | None = None, annotations: dict | None = None, **spec) -> dict:
    pod_spec = {"containers": list(containers), **spec}
    if security is not None:
        pod_spec["securityContext"] = security
    metadata = {"annotations": annotations} if annotations else {}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec}


APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/app"
WINDOWS = {"os": {"name": "windows"}}

CASES = {
    # everything unset, pod-level versus container-level
    "bare-container": _pod(_container()),
    "restricted-at-container-level": _pod(_restricted()),
    "restricted-at-pod-level": _pod(
        _container(security={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}),
        security={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}),
    "empty-security-contexts": _pod(_container(security={}), security={}),
    # host namespaces
    "host-namespaces-true": _pod(_restricted(), hostNetwork=True, hostPID=True, hostIPC=True),
    "host-namespaces-false": _pod(_restricted(), hostNetwork=False, hostPID=False, hostIPC=False),
    # privileged: unset, false, true; init containers count
    "privileged-unset-false-true": _pod(_container("a"), _container("b", {"privileged": False}),
                                        _container("c", {"privileged": True})),
    "privileged-init-container": _pod(_restricted(), initContainers=[_container("init", {"privileged": True})]),
    # capabilities
    "capabilities-net-bind-service": _pod(_restricted(capabilities={"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]})),
    "capabilities-sys-admin": _pod(_restricted(capabilities={"add": ["SYS_ADMIN"], "drop": ["ALL"]})),
    "capabilities-chown-without-drop": _pod(_restricted(capabilities={"add": ["CHOWN", "NET_RAW"]})),
    "capabilities-drop-lowercase-all": _pod(_restricted(capabilities={"drop": ["all"]})),
    "capabilities-add-all": _pod(_restricted(capabilities={"add": ["ALL"], "drop": ["ALL"]})),
    "capabilities-empty": _pod(_restricted(capabilities={})),
    # volumes
    "hostpath-volume": _pod(_restricted(), volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
    "empty-volumes-list": _pod(_restricted(), volumes=[]),
    "projected-and-allowed-volumes": _pod(_restricted(), volumes=[
        {"name": "token", "projected": {"sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}},
        {"name": "scratch", "emptyDir": {}}, {"name": "config", "configMap": {"name": "c"}},
        {"name": "creds", "secret": {"secretName": "s"}}, {"name": "data", "persistentVolumeClaim": {"claimName": "d"}},
        {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
        {"name": "inline", "csi": {"driver": "csi.example.com"}},
        {"name": "generic", "ephemeral": {"volumeClaimTemplate": {"spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}]),
    "restricted-volume-types": _pod(_restricted(), volumes=[
        {"name": "share", "nfs": {"server": "nfs.example.com", "path": "/export"}},
        {"name": "lun", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.2001-04.com.example:storage",
                                  "lun": 0}},
        {"name": "scratch", "emptyDir": {}}]),
    # host ports: sorted as text upstream
    "host-ports": _pod(_container("a", RESTRICTED_CONTAINER, ports=[{"containerPort": 80, "hostPort": 80},
                                                                   {"containerPort": 443, "hostPort": 443}]),
                       _container("b", RESTRICTED_CONTAINER, ports=[{"containerPort": 8080, "hostPort": 0}])),
    # AppArmor: annotation (copied into the field on create), field on pod and container
    "apparmor-annotation-unconfined": _pod(_restricted(), annotations={APPARMOR_ANNOTATION: "unconfined"}),
    "apparmor-annotation-runtime-default": _pod(_restricted(), annotations={APPARMOR_ANNOTATION: "runtime/default"}),
    "apparmor-container-field-unconfined": _pod(_restricted(appArmorProfile={"type": "Unconfined"})),
    "apparmor-pod-unconfined-container-localhost": _pod(
        _restricted(appArmorProfile={"type": "Localhost", "localhostProfile": "k8s-apparmor-example"}),
        security={"appArmorProfile": {"type": "Unconfined"}}),
    # SELinux
    "selinux-pod-type-user-role": _pod(_restricted(), security={
        "seLinuxOptions": {"type": "spc_t", "user": "system_u", "role": "system_r"}}),
    "selinux-container-engine-type": _pod(_restricted(seLinuxOptions={"type": "container_engine_t"})),
    "selinux-containers-bad-types": _pod(_restricted("a", seLinuxOptions={"type": "spc_t"}),
                                         _restricted("b", seLinuxOptions={"type": "unconfined_t", "level": "s0"})),
    # procMount needs a user namespace to be valid at all
    "procmount-unmasked": _pod(_restricted(procMount="Unmasked"), hostUsers=False),
    "procmount-default": _pod(_restricted(procMount="Default")),
    # seccomp
    "seccomp-pod-unconfined-container-runtime-default": _pod(
        _restricted(), security={"seccompProfile": {"type": "Unconfined"}}),
    "seccomp-pod-runtime-default-container-unconfined": _pod(
        _restricted(seccompProfile={"type": "Unconfined"}), security={"seccompProfile": {"type": "RuntimeDefault"}}),
    "seccomp-localhost": _pod(_restricted(seccompProfile={"type": "Localhost",
                                                          "localhostProfile": "profiles/audit.json"})),
    "seccomp-annotation-unconfined-is-not-read": _pod(
        _restricted(), annotations={"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}),
    "seccomp-unset-on-init-container": _pod(_restricted(), initContainers=[
        _container("init", {k: v for k, v in RESTRICTED_CONTAINER.items() if k != "seccompProfile"})]),
    # sysctls
    "sysctls-safe-1-32": _pod(_restricted(), security={"sysctls": [{"name": "net.ipv4.tcp_rmem",
                                                                     "value": "4096 87380 16777216"},
                                                                    {"name": "net.ipv4.ping_group_range",
                                                                     "value": "0 2147483647"}]}),
    "sysctls-unsafe": _pod(_restricted(), security={"sysctls": [{"name": "kernel.msgmax", "value": "65536"},
                                                                {"name": "net.core.somaxconn", "value": "1024"}]}),
    # Windows
    "windows-run-as-non-root-only": _pod(_container(security={"runAsNonRoot": True}), **WINDOWS),
    "windows-nothing-set": _pod(_container(), **WINDOWS),
    "windows-host-process": _pod(
        _container(security={"windowsOptions": {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\SYSTEM"}}),
        security={"windowsOptions": {"hostProcess": True}, "runAsNonRoot": True}, hostNetwork=True, **WINDOWS),
    # runAsNonRoot: unset, false, true, pod versus container
    "run-as-non-root-pod-true-container-false": _pod(_restricted(runAsNonRoot=False), security={"runAsNonRoot": True}),
    "run-as-non-root-pod-false-container-true": _pod(_restricted(), security={"runAsNonRoot": False}),
    "run-as-non-root-one-container-unset": _pod(
        _restricted("a"), _container("b", {k: v for k, v in RESTRICTED_CONTAINER.items() if k != "runAsNonRoot"})),
    "run-as-non-root-user-namespace": _pod(
        _container(security={k: v for k, v in RESTRICTED_CONTAINER.items() if k != "runAsNonRoot"}), hostUsers=False),
    # runAsUser
    "run-as-user-0-pod": _pod(_restricted(), security={"runAsUser": 0}),
    "run-as-user-0-container-over-pod-1000": _pod(_restricted(runAsUser=0), security={"runAsUser": 1000}),
    "run-as-user-0-pod-overridden-by-container-1000": _pod(_restricted(runAsUser=1000), security={"runAsUser": 0}),
    "run-as-user-1000": _pod(_restricted(runAsUser=1000)),
    # allowPrivilegeEscalation: unset, true, false
    "allow-privilege-escalation-unset-true-false": _pod(
        _container("a", {k: v for k, v in RESTRICTED_CONTAINER.items() if k != "allowPrivilegeEscalation"}),
        _restricted("b", allowPrivilegeEscalation=True), _restricted("c")),
    # several baseline violations at once: the order is admission's
    "many-baseline-violations": _pod(
        _container("a", {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}},
                   ports=[{"containerPort": 22, "hostPort": 2222}]),
        hostPID=True, volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}],
        security={"seccompProfile": {"type": "Unconfined"},
                  "sysctls": [{"name": "kernel.sem", "value": "250 32000 100 128"}]}),
}


@pytest.fixture(scope="module")
def core(sandbox) -> CoreV1Api:
    return CoreV1Api(config.new_client_from_config(str(sandbox.kubeconfig)))


@pytest.fixture(scope="module")
def namespaces(core):
    """level -> scratch namespace enforcing it; every one is deleted, and waited on until gone, afterwards."""
    suffix = uuid.uuid4().hex[:6]
    created: dict[str, str] = {}
    try:
        for level in ("privileged", "baseline", "restricted"):
            name = f"psa-oracle-{level}-{suffix}"
            core.create_namespace({"metadata": {"name": name, "labels": {
                "pod-security.kubernetes.io/enforce": level}}})
            created[level] = name
        for name in created.values():
            # The ServiceAccount admission plugin refuses pods until the controller has made "default".
            wait_for(f"serviceaccount {name}/default", lambda name=name: _has_default_service_account(core, name),
                     NAMESPACE_READY_S)
        yield created
    finally:
        errors = _delete_namespaces(core, list(created.values()))
        assert not errors, "scratch namespaces not cleaned up:\n" + "\n".join(errors)


def _has_default_service_account(core: CoreV1Api, namespace: str) -> tuple[bool, str]:
    names = [sa.metadata.name for sa in core.list_namespaced_service_account(namespace).items]
    return "default" in names, f"service accounts {names}"


def _delete_namespaces(core: CoreV1Api, names: list[str]) -> list[str]:
    errors = []
    for name in reversed(names):
        try:
            core.delete_namespace(name)
        except ApiException as exc:
            if exc.status != 404:
                errors.append(f"delete namespace {name}: {exc.status} {exc.reason}")
    for name in names:
        try:
            wait_for(f"namespace {name} gone", lambda name=name: _gone(core, name), NAMESPACE_GONE_S, interval=2)
        except TimeoutError as exc:
            errors.append(str(exc))
    return errors


def _gone(core: CoreV1Api, name: str) -> tuple[bool, str]:
    try:
        phase = core.read_namespace(name).status.phase
    except ApiException as exc:
        if exc.status == 404:
            return True, "not found"
        raise
    return False, f"phase {phase}"


def _dry_run_create(core: CoreV1Api, namespace: str, pod: dict) -> tuple[dict | None, str | None]:
    """(the pod as the server would store it, None) when admitted, (None, the denial message) when PodSecurity
    forbids it; any other answer (an invalid case, an unreachable server) is an error of the test."""
    try:
        response = core.create_namespaced_pod(namespace, pod, dry_run="All", _preload_content=False)
    except ApiException as exc:
        status = json.loads(exc.body or "{}")
        if exc.status == 403 and "violates PodSecurity" in status.get("message", ""):
            return None, status["message"]
        raise AssertionError(f"dry-run create of pod {namespace}/{pod['metadata']['name']} answered {exc.status}: "
                             f"{status.get('message', exc.body)}") from None
    return json.loads(response.data), None


def _admission_violations(message: str, level: str) -> list[tuple[str, str]]:
    """``pods "x" is forbidden: violates PodSecurity "restricted:latest": r1 (d1), r2, r3 (d3)`` as
    [(r1, d1), (r2, ""), (r3, d3)]. Details hold no parentheses of their own, so ", " at depth 0 separates."""
    marker = f'violates PodSecurity "{level}:latest": '
    assert marker in message, f"not a {level}:latest denial: {message}"
    text = message.split(marker, 1)[1]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith(", ", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    violations = []
    for part in parts:
        reason, _, detail = part.partition(" (")
        violations.append((reason, detail[:-1] if detail else ""))
    return violations


def _named(case: str) -> dict:
    pod = CASES[case]
    return {**pod, "metadata": {**pod["metadata"], "name": f"oracle-{case}"}}


@pytest.fixture(scope="module")
def stored_pods(core, namespaces) -> dict[str, dict]:
    """case -> the pod as the server stores it (dry run in the privileged namespace)."""
    stored = {}
    for case in CASES:
        stored[case], denial = _dry_run_create(core, namespaces["privileged"], _named(case))
        assert denial is None, f"the privileged namespace refused case {case}: {denial}"
    return stored


@pytest.mark.parametrize("level", ("baseline", "restricted"))
@pytest.mark.parametrize("case", list(CASES))
def test_port_judges_the_pod_as_admission_does(core, namespaces, stored_pods, case, level):
    stored = stored_pods[case]
    ported = [(v.reason, v.detail) for v in evaluate(stored["metadata"], stored["spec"], level)]
    _, denial = _dry_run_create(core, namespaces[level], _named(case))
    admitted = [] if denial is None else _admission_violations(denial, level)
    assert ported == admitted, (f"{case} at {level}: the port says {ported or 'allowed'}, "
                                f"admission says {denial or 'allowed'}")
