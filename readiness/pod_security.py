"""The Pod Security Standards, judged as the PodSecurity admission plugin judges a pod, for pods already running
(admission never re-checks them).

Ported from k8s.io/pod-security-admission, ``policy/check_*.go``, ``policy/registry.go`` and
``policy/checks.go`` at tag kubernetes-1.33.13 (commit 357c71d8de946022f562140f4835f2e056f64702, the
staging copy of kubernetes/kubernetes v1.33.13 ``staging/src/k8s.io/pod-security-admission``). Each check is
the version that ``enforce-version: latest`` applies at 1.33 (the newest of each check, policy version 1.32).

Usage::

    violations = evaluate(pod["metadata"], pod["spec"], "restricted")
    if violations:
        print(forbidden_detail(violations))   # the text admission prints after 'violates PodSecurity "...":'

Input is the pod (or pod template) as the API server returns it, camelCase dicts: an absent key and a JSON
null both mean Go's nil, an empty dict or list is set-but-empty, exactly as upstream's pointers read. Judge
the stored object, not a manifest: on create the API server rewrites some fields before admission sees them
(a container's AppArmor annotation and its ``appArmorProfile`` field are each copied into the other, so an
unconfined container reads "container and annotation" with two values; fields of disabled features are
dropped), and a running pod carries the rewritten form. A pod template is not rewritten, so it can read
differently from its pods, though with the same verdict.

Violations come in admission's order: the baseline checks by ID, then the restricted ones by ID; at
``restricted``, ``restrictedVolumes`` replaces ``hostPathVolumes``, ``capabilities_restricted`` replaces
``capabilities_baseline`` and ``seccompProfile_restricted`` replaces ``seccompProfile_baseline``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

LEVELS = ("privileged", "baseline", "restricted")


@dataclass(frozen=True)
class Violation:
    control: str   # upstream check ID, e.g. "privileged", "capabilities_restricted", "runAsNonRoot"
    reason: str    # the forbiddenReason admission prints, e.g. "privileged", "unrestricted capabilities"
    detail: str    # the forbiddenDetail admission prints ("" when the check gives none)


def evaluate(metadata: dict, spec: dict, level: str, *, relax_for_user_namespaces: bool = False) -> list[Violation]:
    """Every Pod Security Standards check of ``level`` (at policy version latest) that the pod fails.

    ``relax_for_user_namespaces`` mirrors the kube-apiserver feature gate UserNamespacesPodSecurityStandards
    (alpha, off by default at 1.33): when on, a pod with ``hostUsers: false`` passes procMount, runAsNonRoot
    and runAsUser whatever it sets."""
    if level not in LEVELS:
        raise ValueError(f"unknown Pod Security level {level!r}; expected one of {', '.join(LEVELS)}")
    if level == "privileged":
        return []
    pod = _Pod(metadata or {}, spec or {}, relax_for_user_namespaces)
    violations = []
    for control, check in _checks_for(level):
        result = check(pod)
        if result is not None:
            violations.append(Violation(control, *result))
    return violations


def forbidden_detail(violations: list[Violation]) -> str:
    """The violations as admission writes them: ``reason (detail), reason, ...`` (AggregateCheckResult's
    ForbiddenDetail)."""
    return ", ".join(f"{v.reason} ({v.detail})" if v.detail else v.reason for v in violations)


class _Pod:
    def __init__(self, metadata: dict, spec: dict, relax_for_user_namespaces: bool):
        self.annotations = metadata.get("annotations") or {}
        self.spec = spec
        self.security = spec.get("securityContext")   # None when unset (Go's nil pointer)
        self.user_namespace_relaxed = relax_for_user_namespaces and spec.get("hostUsers") is False

    def containers(self) -> Iterator[dict]:
        """Init, then regular, then ephemeral containers (upstream's visitContainers)."""
        for key in ("initContainers", "containers", "ephemeralContainers"):
            yield from self.spec.get(key) or []

    def pod_field(self, name: str):
        return (self.security or {}).get(name)

    def is_windows(self) -> bool:
        return (self.spec.get("os") or {}).get("name") == "windows"


def _container_field(container: dict, name: str):
    return (container.get("securityContext") or {}).get(name)


def _join_quote(items) -> str:
    items = list(items)
    return '"' + '", "'.join(items) + '"' if items else ""


def _pluralize(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _containers_phrase(names: list[str]) -> str:
    return f"{_pluralize('container', 'containers', len(names))} {_join_quote(names)}"


def _is_zero(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v",
               "\\": "\\\\", '"': '\\"'}


def _go_quote(value: str) -> str:
    """Go's %q (strconv.Quote): printable runes kept, the rest escaped."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


_Result = tuple[str, str] | None   # (forbiddenReason, forbiddenDetail), or None when the check allows the pod


# --- baseline ---------------------------------------------------------------------------------------------

def _host_namespaces(pod: _Pod) -> _Result:
    shared = [f"{field}=true" for field in ("hostNetwork", "hostPID", "hostIPC") if pod.spec.get(field) is True]
    if shared:
        return "host namespaces", ", ".join(shared)
    return None


def _privileged(pod: _Pod) -> _Result:
    bad = [c.get("name", "") for c in pod.containers() if _container_field(c, "privileged") is True]
    if bad:
        return "privileged", f"{_containers_phrase(bad)} must not set securityContext.privileged=true"
    return None


_CAPABILITIES_BASELINE = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})


def _capabilities_baseline(pod: _Pod) -> _Result:
    bad, added = [], set()
    for c in pod.containers():
        capabilities = _container_field(c, "capabilities")
        if capabilities is None:
            continue
        forbidden = [cap for cap in capabilities.get("add") or [] if cap not in _CAPABILITIES_BASELINE]
        if forbidden:
            bad.append(c.get("name", ""))
            added.update(forbidden)
    if bad:
        return "non-default capabilities", (f"{_containers_phrase(bad)} must not include "
                                            f"{_join_quote(sorted(added))} in securityContext.capabilities.add")
    return None


def _host_path_volumes(pod: _Pod) -> _Result:
    bad = [v.get("name", "") for v in pod.spec.get("volumes") or [] if v.get("hostPath") is not None]
    if bad:
        return "hostPath volumes", f"{_pluralize('volume', 'volumes', len(bad))} {_join_quote(bad)}"
    return None


def _host_ports(pod: _Pod) -> _Result:
    bad, ports = [], set()
    for c in pod.containers():
        used = [str(p["hostPort"]) for p in c.get("ports") or [] if p.get("hostPort") not in (None, 0)]
        if used:
            bad.append(c.get("name", ""))
            ports.update(used)
    if bad:
        # Upstream sorts the ports as strings: "443, 80".
        return "hostPort", (f"{_containers_phrase(bad)} {_pluralize('uses', 'use', len(bad))} "
                            f"{_pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}")
    return None


_APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _app_armor_profile(pod: _Pod) -> _Result:
    def allowed_type(profile: dict) -> bool:
        return profile.get("type") in ("RuntimeDefault", "Localhost")

    setters, values = [], set()
    pod_profile = pod.pod_field("appArmorProfile")
    if pod_profile is not None and not allowed_type(pod_profile):
        setters.append("pod")
        values.add(pod_profile.get("type") or "")
    bad = []
    for c in pod.containers():
        profile = _container_field(c, "appArmorProfile")
        if profile is not None and not allowed_type(profile):
            bad.append(c.get("name", ""))
            values.add(profile.get("type") or "")
    if bad:
        setters.append(_containers_phrase(bad))
    annotations = sorted(
        f"{key}={_go_quote(value)}" for key, value in pod.annotations.items()
        if key.startswith(_APPARMOR_ANNOTATION_PREFIX)
        and not (value == "" or value == "runtime/default" or value.startswith("localhost/")))
    value_list = sorted(values) + annotations
    if annotations:
        setters.append(_pluralize("annotation", "annotations", len(annotations)))
    if setters:
        return (_pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(value_list)),
                f"{' and '.join(setters)} must not set AppArmor profile type to {_join_quote(value_list)}")
    return None


_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _se_linux_options(pod: _Pod) -> _Result:
    bad_types: set[str] = set()
    set_user = set_role = False

    def valid(options: dict) -> bool:
        nonlocal set_user, set_role
        ok = True
        if (options.get("type") or "") not in _SELINUX_TYPES:
            ok = False
            bad_types.add(options.get("type") or "")
        if options.get("user"):
            ok, set_user = False, True
        if options.get("role"):
            ok, set_role = False, True
        return ok

    setters = []
    pod_options = pod.pod_field("seLinuxOptions")
    if pod_options is not None and not valid(pod_options):
        setters.append("pod")
    bad = []
    for c in pod.containers():
        options = _container_field(c, "seLinuxOptions")
        if options is not None and not valid(options):
            bad.append(c.get("name", ""))
    if bad:
        setters.append(_containers_phrase(bad))
    if not setters:
        return None
    data = []
    if bad_types:
        data.append(f"{_pluralize('type', 'types', len(bad_types))} {_join_quote(sorted(bad_types))}")
    if set_user:
        data.append("user may not be set")
    if set_role:
        data.append("role may not be set")
    return "seLinuxOptions", f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}"


def _proc_mount(pod: _Pod) -> _Result:
    if pod.user_namespace_relaxed:
        return None
    bad, types = [], set()
    for c in pod.containers():
        proc_mount = _container_field(c, "procMount")
        if proc_mount is not None and proc_mount != "Default":
            bad.append(c.get("name", ""))
            types.add(proc_mount)
    if bad:
        return "procMount", (f"{_containers_phrase(bad)} must not set securityContext.procMount to "
                             f"{_join_quote(sorted(types))}")
    return None


def _valid_seccomp(profile: dict) -> bool:
    return profile.get("type") in ("RuntimeDefault", "Localhost")


def _explicit_seccomp_setters(pod: _Pod) -> tuple[list[str], set[str], bool, list[str]]:
    """Who sets seccompProfile.type to a bad value (pod, containers), the bad values, whether the pod sets a
    good one, and the containers that set none."""
    setters, values, pod_set = [], set(), False
    pod_profile = pod.pod_field("seccompProfile")
    if pod_profile is not None:
        if _valid_seccomp(pod_profile):
            pod_set = True
        else:
            setters.append("pod")
            values.add(pod_profile.get("type") or "")
    bad, unset = [], []
    for c in pod.containers():
        profile = _container_field(c, "seccompProfile")
        if profile is None:
            unset.append(c.get("name", ""))
        elif not _valid_seccomp(profile):
            bad.append(c.get("name", ""))
            values.add(profile.get("type") or "")
    if bad:
        setters.append(_containers_phrase(bad))
    return setters, values, pod_set, unset


def _seccomp_forbidden_setters(setters: list[str], values: set[str]) -> _Result:
    return "seccompProfile", (f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                              f"{_join_quote(sorted(values))}")


def _seccomp_profile_baseline(pod: _Pod) -> _Result:
    setters, values, _, _ = _explicit_seccomp_setters(pod)
    return _seccomp_forbidden_setters(setters, values) if setters else None


_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",                                               # 1.27
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",                                                   # 1.29
    "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})                                         # 1.32


def _sysctls(pod: _Pod) -> _Result:
    forbidden = [s.get("name", "") for s in pod.pod_field("sysctls") or [] if s.get("name", "") not in _SYSCTLS]
    if forbidden:
        return "forbidden sysctls", ", ".join(forbidden)
    return None


def _windows_host_process(pod: _Pod) -> _Result:
    def host_process(security: dict | None) -> bool:
        return ((security or {}).get("windowsOptions") or {}).get("hostProcess") is True

    setters = ["pod"] if host_process(pod.security) else []
    bad = [c.get("name", "") for c in pod.containers() if host_process(c.get("securityContext"))]
    if bad:
        setters.append(_containers_phrase(bad))
    if setters:
        return "hostProcess", f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true"
    return None


# --- restricted -------------------------------------------------------------------------------------------

def _allow_privilege_escalation(pod: _Pod) -> _Result:
    # API validation forbids the field on Windows pods, so they pass without it.
    if pod.is_windows():
        return None
    bad = [c.get("name", "") for c in pod.containers() if _container_field(c, "allowPrivilegeEscalation") is not False]
    if bad:
        return "allowPrivilegeEscalation != false", \
            f"{_containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false"
    return None


def _capabilities_restricted(pod: _Pod) -> _Result:
    if pod.is_windows():
        return None
    missing_drop_all, adding, added = [], [], set()
    for c in pod.containers():
        capabilities = _container_field(c, "capabilities")
        if capabilities is None:
            missing_drop_all.append(c.get("name", ""))
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing_drop_all.append(c.get("name", ""))
        forbidden = [cap for cap in capabilities.get("add") or [] if cap != "NET_BIND_SERVICE"]
        if forbidden:
            adding.append(c.get("name", ""))
            added.update(forbidden)
    details = []
    if missing_drop_all:
        details.append(f'{_containers_phrase(missing_drop_all)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(f"{_containers_phrase(adding)} must not include {_join_quote(sorted(added))} "
                       "in securityContext.capabilities.add")
    if details:
        return "unrestricted capabilities", "; ".join(details)
    return None


_ALLOWED_VOLUME_SOURCES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                           "persistentVolumeClaim", "projected", "secret")
# Upstream's order: a volume naming several sources is reported as the first of these it sets.
_RESTRICTED_VOLUME_SOURCES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
    "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")


def _restricted_volumes(pod: _Pod) -> _Result:
    bad, types = [], set()
    for volume in pod.spec.get("volumes") or []:
        if any(volume.get(source) is not None for source in _ALLOWED_VOLUME_SOURCES):
            continue
        bad.append(volume.get("name", ""))
        types.add(next((s for s in _RESTRICTED_VOLUME_SOURCES if volume.get(s) is not None), "unknown"))
    if bad:
        return "restricted volume types", (
            f"{_pluralize('volume', 'volumes', len(bad))} {_join_quote(bad)} {_pluralize('uses', 'use', len(bad))} "
            f"{_pluralize('restricted volume type', 'restricted volume types', len(types))} "
            f"{_join_quote(sorted(types))}")
    return None


def _run_as_non_root(pod: _Pod) -> _Result:
    if pod.user_namespace_relaxed:
        return None
    setters, pod_non_root = [], False
    pod_value = pod.pod_field("runAsNonRoot")
    if pod_value is not None:
        if pod_value is True:
            pod_non_root = True
        else:
            setters.append("pod")
    explicit, implicit = [], []
    for c in pod.containers():
        value = _container_field(c, "runAsNonRoot")
        if value is not None:
            if value is not True:
                explicit.append(c.get("name", ""))
        elif not pod_non_root:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(_containers_phrase(explicit))
    if setters:
        return "runAsNonRoot != true", f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false"
    if implicit:
        return "runAsNonRoot != true", \
            f"pod or {_containers_phrase(implicit)} must set securityContext.runAsNonRoot=true"
    return None


def _run_as_user(pod: _Pod) -> _Result:
    if pod.user_namespace_relaxed:
        return None
    setters = ["pod"] if _is_zero(pod.pod_field("runAsUser")) else []
    bad = [c.get("name", "") for c in pod.containers() if _is_zero(_container_field(c, "runAsUser"))]
    if bad:
        setters.append(_containers_phrase(bad))
    if setters:
        return "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0"
    return None


def _seccomp_profile_restricted(pod: _Pod) -> _Result:
    # API validation forbids the field on Windows pods, so they pass without it.
    if pod.is_windows():
        return None
    setters, values, pod_set, unset = _explicit_seccomp_setters(pod)
    if setters:
        return _seccomp_forbidden_setters(setters, values)
    implicit = [] if pod_set else unset
    if implicit:
        return "seccompProfile", (f"pod or {_containers_phrase(implicit)} must set securityContext.seccompProfile.type "
                                  'to "RuntimeDefault" or "Localhost"')
    return None


# --- the registry -----------------------------------------------------------------------------------------

_Check = Callable[[_Pod], _Result]

_BASELINE: dict[str, _Check] = {
    "appArmorProfile": _app_armor_profile,
    "capabilities_baseline": _capabilities_baseline,
    "hostNamespaces": _host_namespaces,
    "hostPathVolumes": _host_path_volumes,
    "hostPorts": _host_ports,
    "privileged": _privileged,
    "procMount": _proc_mount,
    "seLinuxOptions": _se_linux_options,
    "seccompProfile_baseline": _seccomp_profile_baseline,
    "sysctls": _sysctls,
    "windowsHostProcess": _windows_host_process,
}
_RESTRICTED: dict[str, _Check] = {
    "allowPrivilegeEscalation": _allow_privilege_escalation,
    "capabilities_restricted": _capabilities_restricted,
    "restrictedVolumes": _restricted_volumes,
    "runAsNonRoot": _run_as_non_root,
    "runAsUser": _run_as_user,
    "seccompProfile_restricted": _seccomp_profile_restricted,
}
# The baseline check each restricted one replaces at the restricted level (OverrideCheckIDs).
_OVERRIDES = {"restrictedVolumes": "hostPathVolumes", "capabilities_restricted": "capabilities_baseline",
              "seccompProfile_restricted": "seccompProfile_baseline"}


def _checks_for(level: str) -> list[tuple[str, _Check]]:
    # Upstream orders by ID (Go's byte order, which sorted() matches for these ASCII IDs), baseline first.
    baseline = sorted(_BASELINE.items())
    if level == "baseline":
        return baseline
    replaced = set(_OVERRIDES.values())
    return [item for item in baseline if item[0] not in replaced] + sorted(_RESTRICTED.items())


CONTROLS = frozenset(_BASELINE) | frozenset(_RESTRICTED)
NEWEST_CHECKS = (1, 32)     # the policy version of the newest check at 1.33: what enforce-version latest means


def without_host_path(spec: dict) -> dict:
    """The spec without its hostPath volumes: at restricted a hostPath volume is a restrictedVolumes violation,
    so a waiver of hostPathVolumes is applied by judging the pod without them."""
    return {**spec, "volumes": [v for v in spec.get("volumes") or [] if "hostPath" not in v]}
