"""readiness.pod_security against the cases of upstream's own policy/check_*_test.go (k8s.io/pod-security-admission,
kubernetes-1.33.13), translated from Go structs to the API's JSON; a nil pointer is a missing key. Each check has
its violating cases with upstream's exact reason and detail, and a compliant one. tests/test_psa_oracle.py
compares the same module with the real admission plugin.
"""
from __future__ import annotations

import pytest

from readiness.pod_security import LEVELS, Violation, evaluate, forbidden_detail

# Baseline checks that restricted replaces are judged at baseline; every other check at its own level.
CHECK_LEVEL = {
    "appArmorProfile": "baseline", "capabilities_baseline": "baseline", "hostNamespaces": "baseline",
    "hostPathVolumes": "baseline", "hostPorts": "baseline", "privileged": "baseline", "procMount": "baseline",
    "seLinuxOptions": "baseline", "seccompProfile_baseline": "baseline", "sysctls": "baseline",
    "windowsHostProcess": "baseline",
    "allowPrivilegeEscalation": "restricted", "capabilities_restricted": "restricted",
    "restrictedVolumes": "restricted", "runAsNonRoot": "restricted", "runAsUser": "restricted",
    "seccompProfile_restricted": "restricted",
}


def judge(control: str, spec: dict, metadata: dict | None = None, **options) -> tuple[str, str] | None:
    """(reason, detail) of ``control`` for the pod, or None when that check allows it."""
    found = [v for v in evaluate(metadata or {}, spec, CHECK_LEVEL[control], **options) if v.control == control]
    assert len(found) <= 1, found
    return (found[0].reason, found[0].detail) if found else None


def c(name: str, security: dict | None = None, **fields) -> dict:
    container = {"name": name, **fields}
    if security is not None:
        container["securityContext"] = security
    return container


def test_host_namespaces():
    assert judge("hostNamespaces", {"hostNetwork": True, "hostIPC": True, "hostPID": True}) == (
        "host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true")
    assert judge("hostNamespaces", {"hostNetwork": False, "hostIPC": False}) is None


def test_privileged():
    spec = {"containers": [c("a"), c("b", {}), c("c", {"privileged": False}), c("d", {"privileged": True}),
                           c("e", {"privileged": True})]}
    assert judge("privileged", spec) == (
        "privileged", 'containers "d", "e" must not set securityContext.privileged=true')
    assert judge("privileged", {"containers": spec["containers"][:3]}) is None


def test_capabilities_baseline():
    spec = {"containers": [c("a", {"capabilities": {"add": ["FOO", "BAR"]}}),
                           c("b", {"capabilities": {"add": ["BAR", "BAZ"]}})]}
    assert judge("capabilities_baseline", spec) == (
        "non-default capabilities",
        'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add')
    assert judge("capabilities_baseline", {"containers": [
        c("a", {"capabilities": {"add": ["NET_BIND_SERVICE", "CHOWN", "SYS_CHROOT"]}})]}) is None


def test_host_path_volumes():
    spec = {"volumes": [{"name": "a", "hostPath": {}}, {"name": "b", "hostPath": {}}, {"name": "c", "emptyDir": {}}]}
    assert judge("hostPathVolumes", spec) == ("hostPath volumes", 'volumes "a", "b"')
    assert judge("hostPathVolumes", {"volumes": [{"name": "c", "emptyDir": {}}]}) is None


@pytest.mark.parametrize("containers, expected", [
    ([c("a", ports=[{"hostPort": 0}]), c("b", ports=[{"hostPort": 0}, {"hostPort": 20}])],
     ("hostPort", 'container "b" uses hostPort 20')),
    ([c("a", ports=[{"hostPort": 0}]), c("b", ports=[{"hostPort": 0}, {"hostPort": 10}, {"hostPort": 20}]),
      c("c", ports=[{"hostPort": 0}, {"hostPort": 10}, {"hostPort": 30}])],
     ("hostPort", 'containers "b", "c" use hostPorts 10, 20, 30')),
    # Upstream keeps the ports as text, so they sort as text.
    ([c("a", ports=[{"hostPort": 80}, {"hostPort": 443}])], ("hostPort", 'container "a" uses hostPorts 443, 80')),
    ([c("a", ports=[{"containerPort": 80}, {"hostPort": 0}])], None),
], ids=["one-host-port", "several-containers-and-ports", "sorted-as-text", "compliant"])
def test_host_ports(containers, expected):
    assert judge("hostPorts", {"containers": containers}) == expected


APPARMOR = "container.apparmor.security.beta.kubernetes.io/"


@pytest.mark.parametrize("metadata, spec", [
    ({"annotations": {APPARMOR + "test": "runtime/default", "env": "prod"}}, {}),
    ({"annotations": {APPARMOR + "test": "localhost/sec-profile01", "env": "dev"}}, {}),
    ({"annotations": {"env": "dev"}}, {}),
    ({}, {}),
    ({}, {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}),
    ({}, {"containers": [c("foo", {"appArmorProfile": {"type": "RuntimeDefault"}})]}),
], ids=["annotation-runtime-default", "annotation-localhost", "other-annotations", "no-annotations",
        "pod-runtime-default", "container-runtime-default"])
def test_app_armor_profile_allowed(metadata, spec):
    assert judge("appArmorProfile", spec, metadata) is None


@pytest.mark.parametrize("metadata, spec, expected", [
    ({}, {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
     ("forbidden AppArmor profile", 'pod must not set AppArmor profile type to "Unconfined"')),
    ({}, {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
          "containers": [c("foo", {"appArmorProfile": {"type": "Unconfined"}})]},
     ("forbidden AppArmor profile", 'container "foo" must not set AppArmor profile type to "Unconfined"')),
    ({}, {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}, "containers": [c("foo")],
          "initContainers": [c("bar", {"appArmorProfile": {"type": "Unconfined"}})]},
     ("forbidden AppArmor profile", 'container "bar" must not set AppArmor profile type to "Unconfined"')),
    ({"annotations": {APPARMOR: "bogus", APPARMOR + "a": "", APPARMOR + "b": "runtime/default",
                      APPARMOR + "c": "localhost/", APPARMOR + "d": "localhost/foo", APPARMOR + "e": "unconfined",
                      APPARMOR + "f": "unknown"}}, {},
     ("forbidden AppArmor profiles", "annotations must not set AppArmor profile type to "
      '"container.apparmor.security.beta.kubernetes.io/="bogus"", '
      '"container.apparmor.security.beta.kubernetes.io/e="unconfined"", '
      '"container.apparmor.security.beta.kubernetes.io/f="unknown""')),
    # As the API server stores a container whose annotation says unconfined: field and annotation both set.
    ({"annotations": {APPARMOR + "app": "unconfined"}},
     {"containers": [c("app", {"appArmorProfile": {"type": "Unconfined"}})]},
     ("forbidden AppArmor profiles", 'container "app" and annotation must not set AppArmor profile type to '
      '"Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined""')),
], ids=["unconfined-pod", "unconfined-container", "unconfined-init-container", "annotations", "field-and-annotation"])
def test_app_armor_profile_forbidden(metadata, spec, expected):
    assert judge("appArmorProfile", spec, metadata) == expected


SELINUX_ALLOWED = [c("a", {"seLinuxOptions": {"type": "container_t"}}),
                   c("b", {"seLinuxOptions": {"type": "container_init_t"}}),
                   c("c", {"seLinuxOptions": {"type": "container_kvm_t"}}),
                   c("d", {"seLinuxOptions": {"type": "container_engine_t"}})]
SELINUX_BAD = [c("e", {"seLinuxOptions": {"type": "bar"}}), c("f", {"seLinuxOptions": {"user": "bar"}}),
               c("g", {"seLinuxOptions": {"role": "baz"}})]
SELINUX_BAD_POD = {"seLinuxOptions": {"type": "foo", "user": "bar", "role": "baz"}}


@pytest.mark.parametrize("spec, expected", [
    ({"securityContext": SELINUX_BAD_POD, "containers": SELINUX_ALLOWED + SELINUX_BAD},
     'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; '
     "user may not be set; role may not be set"),
    ({"securityContext": SELINUX_BAD_POD, "containers": SELINUX_ALLOWED},
     'pod set forbidden securityContext.seLinuxOptions: type "foo"; user may not be set; role may not be set'),
    ({"securityContext": {"seLinuxOptions": {}}, "containers": SELINUX_ALLOWED + SELINUX_BAD},
     'containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: type "bar"; user may not be set; '
     "role may not be set"),
    ({"securityContext": {"seLinuxOptions": {"type": "bad"}}},
     'pod set forbidden securityContext.seLinuxOptions: type "bad"'),
    ({"securityContext": {"seLinuxOptions": {"user": "bad"}}},
     "pod set forbidden securityContext.seLinuxOptions: user may not be set"),
    ({"securityContext": {"seLinuxOptions": {"role": "bad"}}},
     "pod set forbidden securityContext.seLinuxOptions: role may not be set"),
    ({"securityContext": {"seLinuxOptions": {"level": "s0:c1,c2"}}, "containers": SELINUX_ALLOWED}, None),
], ids=["pod-and-containers", "pod", "containers", "bad-type", "bad-user", "bad-role", "compliant"])
def test_se_linux_options(spec, expected):
    assert judge("seLinuxOptions", spec) == (expected and ("seLinuxOptions", expected))


PROC_MOUNT_CONTAINERS = [c("a"), c("b", {}), c("c", {"procMount": "Default"}), c("d", {"procMount": "Unmasked"}),
                         c("e", {"procMount": "other"})]


def test_proc_mount():
    spec = {"containers": PROC_MOUNT_CONTAINERS, "hostUsers": False}
    assert judge("procMount", spec) == (
        "procMount", 'containers "d", "e" must not set securityContext.procMount to "Unmasked", "other"')
    assert judge("procMount", spec, relax_for_user_namespaces=True) is None
    assert judge("procMount", {"containers": PROC_MOUNT_CONTAINERS[:3]}) is None


SECCOMP_CONTAINERS = [c("a"), c("b", {}), c("c", {"seccompProfile": {"type": "Unconfined"}}),
                      c("d", {"seccompProfile": {"type": "Unconfined"}}),
                      c("e", {"seccompProfile": {"type": "RuntimeDefault"}}),
                      c("f", {"seccompProfile": {"type": "RuntimeDefault"}})]
POD_UNCONFINED = {"seccompProfile": {"type": "Unconfined"}}
POD_RUNTIME_DEFAULT = {"seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize("spec, expected", [
    ({"securityContext": POD_UNCONFINED, "containers": [c("a")]},
     'pod must not set securityContext.seccompProfile.type to "Unconfined"'),
    ({"securityContext": POD_RUNTIME_DEFAULT, "containers": SECCOMP_CONTAINERS},
     'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"'),
    ({"securityContext": POD_UNCONFINED, "containers": SECCOMP_CONTAINERS},
     'pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"'),
    # Baseline does not require a profile, only forbids Unconfined; the 1.0 annotations are no longer read.
    ({"containers": [c("a"), c("b", {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})]},
     None),
], ids=["pod", "containers", "pod-and-containers", "unset-and-localhost"])
def test_seccomp_profile_baseline(spec, expected):
    metadata = {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
    assert judge("seccompProfile_baseline", spec, metadata) == (expected and ("seccompProfile", expected))


@pytest.mark.parametrize("spec, expected", [
    ({"containers": [c("a")]},
     'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'),
    ({"os": {"name": "windows"}, "containers": [c("a")]}, None),
    ({"os": {"name": "linux"}, "containers": [c("a")]},
     'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'),
    ({"securityContext": POD_UNCONFINED, "containers": [c("a")]},
     'pod must not set securityContext.seccompProfile.type to "Unconfined"'),
    ({"securityContext": POD_RUNTIME_DEFAULT, "containers": SECCOMP_CONTAINERS},
     'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"'),
    ({"containers": [SECCOMP_CONTAINERS[i] for i in (0, 1, 4, 5)]},
     'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'),
    ({"securityContext": POD_RUNTIME_DEFAULT,
      "containers": [c("a"), c("b", {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})]}, None),
], ids=["unset", "windows", "linux", "pod-unconfined", "containers-unconfined", "pod-unset-container-fallthrough",
        "compliant"])
def test_seccomp_profile_restricted(spec, expected):
    assert judge("seccompProfile_restricted", spec) == (expected and ("seccompProfile", expected))


@pytest.mark.parametrize("sysctls, expected", [
    (["a", "b"], "a, b"),
    (["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
      "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"], None),
    (["net.ipv4.ip_local_reserved_ports"], None),                                              # 1.27
    (["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
      "net.ipv4.tcp_keepalive_probes"], None),                                                 # 1.29
    (["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"], None),                                        # 1.32
    (["net.ipv4.tcp_wmem", "kernel.msgmax"], "kernel.msgmax"),
], ids=["forbidden", "allowed-1.0", "allowed-1.27", "allowed-1.29", "allowed-1.32", "one-of-two"])
def test_sysctls(sysctls, expected):
    spec = {"securityContext": {"sysctls": [{"name": name, "value": "1"} for name in sysctls]}}
    assert judge("sysctls", spec) == (expected and ("forbidden sysctls", expected))


def test_windows_host_process():
    containers = [c("a"), c("b", {}), c("c", {"windowsOptions": {}}),
                  c("d", {"windowsOptions": {"hostProcess": False}}),
                  c("e", {"windowsOptions": {"hostProcess": True}}), c("f", {"windowsOptions": {"hostProcess": True}})]
    spec = {"securityContext": {"windowsOptions": {"hostProcess": True}}, "containers": containers}
    assert judge("windowsHostProcess", spec) == (
        "hostProcess", 'pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true')
    assert judge("windowsHostProcess", {"containers": containers[:4]}) is None


@pytest.mark.parametrize("spec, expected", [
    ({"containers": [c("a"), c("b", {}), c("c", {"allowPrivilegeEscalation": True}),
                     c("d", {"allowPrivilegeEscalation": False})]},
     'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false'),
    ({"os": {"name": "windows"}, "containers": [c("a")]}, None),
    ({"os": {"name": "linux"}, "containers": [c("a")]},
     'container "a" must set securityContext.allowPrivilegeEscalation=false'),
    ({"containers": [c("d", {"allowPrivilegeEscalation": False})]}, None),
], ids=["multiple-containers", "windows", "linux", "compliant"])
def test_allow_privilege_escalation(spec, expected):
    assert judge("allowPrivilegeEscalation", spec) == (expected and ("allowPrivilegeEscalation != false", expected))


@pytest.mark.parametrize("spec, expected", [
    ({"containers": [c("a", {"capabilities": {"add": ["FOO", "BAR"]}}),
                     c("b", {"capabilities": {"add": ["BAR", "BAZ"]}}),
                     c("c", {"capabilities": {"add": ["NET_BIND_SERVICE", "CHOWN"], "drop": ["ALL", "FOO"]}})]},
     'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not '
     'include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add'),
    ({"os": {"name": "windows"}, "containers": [c("a")]}, None),
    ({"os": {"name": "linux"}, "containers": [c("a")]},
     'container "a" must set securityContext.capabilities.drop=["ALL"]'),
    ({"containers": [c("a", {"capabilities": {"drop": ["all"]}})]},
     'container "a" must set securityContext.capabilities.drop=["ALL"]'),
    ({"containers": [c("a", {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}})]}, None),
], ids=["multiple-containers", "windows", "linux", "lowercase-all", "compliant"])
def test_capabilities_restricted(spec, expected):
    assert judge("capabilities_restricted", spec) == (expected and ("unrestricted capabilities", expected))


def test_restricted_volumes():
    allowed = [{"name": "a1", "emptyDir": {}}, {"name": "a2", "secret": {}},
               {"name": "a3", "persistentVolumeClaim": {}}, {"name": "a4", "downwardAPI": {}},
               {"name": "a5", "configMap": {}}, {"name": "a6", "projected": {}},
               {"name": "a7", "csi": {}}, {"name": "a8", "ephemeral": {}}, {"name": "a9", "image": {}}]
    restricted = ["hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs",
                  "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte",
                  "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos"]
    volumes = allowed + [{"name": f"b{i}", source: {}} for i, source in enumerate(restricted, 1)] + [{"name": "c1"}]
    assert judge("restrictedVolumes", {"volumes": volumes}) == ("restricted volume types", (
        "volumes "
        '"b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", "b16", "b17", '
        '"b18", "b19", "b20", "b21", "c1"'
        " use restricted volume types "
        '"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", '
        '"gcePersistentDisk", "gitRepo", "glusterfs", "hostPath", "iscsi", "nfs", "photonPersistentDisk", '
        '"portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume"'))
    assert judge("restrictedVolumes", {"volumes": allowed}) is None
    assert judge("restrictedVolumes", {"volumes": []}) is None


@pytest.mark.parametrize("spec, relax, expected", [
    ({"containers": [c("a")]}, False, 'pod or container "a" must set securityContext.runAsNonRoot=true'),
    ({"securityContext": {"runAsNonRoot": False}, "containers": [c("a")]}, False,
     "pod must not set securityContext.runAsNonRoot=false"),
    ({"securityContext": {"runAsNonRoot": True},
      "containers": [c("a"), c("b", {}), c("c", {"runAsNonRoot": False}), c("d", {"runAsNonRoot": False}),
                     c("e", {"runAsNonRoot": True}), c("f", {"runAsNonRoot": True})]}, False,
     'containers "c", "d" must not set securityContext.runAsNonRoot=false'),
    ({"containers": [c("a"), c("b", {}), c("d", {"runAsNonRoot": True}), c("e", {"runAsNonRoot": True})]}, False,
     'pod or containers "a", "b" must set securityContext.runAsNonRoot=true'),
    ({"hostUsers": False}, True, None),
    ({"containers": [c("a")], "hostUsers": True}, True,
     'pod or container "a" must set securityContext.runAsNonRoot=true'),
    ({"containers": [c("a")], "hostUsers": False}, False,
     'pod or container "a" must set securityContext.runAsNonRoot=true'),
    ({"securityContext": {"runAsNonRoot": True}, "containers": [c("a"), c("b", {"runAsNonRoot": True})]}, False, None),
], ids=["unset", "pod-false", "containers-false", "pod-unset-container-fallthrough", "user-namespace-relaxed",
        "host-users-not-relaxed", "user-namespace-without-relaxation", "compliant"])
def test_run_as_non_root(spec, relax, expected):
    assert judge("runAsNonRoot", spec, relax_for_user_namespaces=relax) == (
        expected and ("runAsNonRoot != true", expected))


@pytest.mark.parametrize("spec, relax, expected", [
    ({"securityContext": {"runAsUser": 0}, "containers": [c("a")]}, False, "pod must not set runAsUser=0"),
    ({"securityContext": {"runAsUser": 1000}, "containers": [c("a")]}, False, None),
    ({"securityContext": {}, "containers": [c("a")]}, False, None),
    ({"securityContext": {"runAsUser": 1000},
      "containers": [c("a"), c("b", {}), c("c", {"runAsUser": 0}), c("d", {"runAsUser": 0}), c("e", {"runAsUser": 1}),
                     c("f", {"runAsUser": 1})]}, False, 'containers "c", "d" must not set runAsUser=0'),
    ({"containers": [c(name, {"runAsUser": uid}) for name, uid in zip("cdef", (1, 2, 3, 4))]}, False, None),
    ({"hostUsers": False}, True, None),
    ({"securityContext": {"runAsUser": 0}, "containers": [c("a")], "hostUsers": True}, True,
     "pod must not set runAsUser=0"),
], ids=["pod-0", "pod-non-zero", "pod-unset", "containers-0", "containers-non-zero", "user-namespace-relaxed",
        "host-users-not-relaxed"])
def test_run_as_user(spec, relax, expected):
    assert judge("runAsUser", spec, relax_for_user_namespaces=relax) == (expected and ("runAsUser=0", expected))


# --- what admission does around the checks ----------------------------------------------------------------

RESTRICTED_SECURITY = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                       "seccompProfile": {"type": "RuntimeDefault"}}


def test_init_and_ephemeral_containers_are_judged_like_the_others():
    spec = {"initContainers": [c("init", {**RESTRICTED_SECURITY, "privileged": True})],
            "containers": [c("app", RESTRICTED_SECURITY)],
            "ephemeralContainers": [c("debug", {"runAsUser": 0})]}
    assert [(v.control, v.detail) for v in evaluate({}, spec, "restricted")] == [
        ("privileged", 'container "init" must not set securityContext.privileged=true'),
        ("allowPrivilegeEscalation", 'container "debug" must set securityContext.allowPrivilegeEscalation=false'),
        ("capabilities_restricted", 'container "debug" must set securityContext.capabilities.drop=["ALL"]'),
        ("runAsNonRoot", 'pod or container "debug" must set securityContext.runAsNonRoot=true'),
        ("runAsUser", 'container "debug" must not set runAsUser=0'),
        ("seccompProfile_restricted",
         'pod or container "debug" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'),
    ]


def test_restricted_replaces_three_baseline_checks_and_orders_by_id():
    spec = {"hostNetwork": True, "securityContext": {"seccompProfile": {"type": "Unconfined"}},
            "containers": [c("a", {"capabilities": {"add": ["SYS_ADMIN"]}})],
            "volumes": [{"name": "v", "hostPath": {"path": "/"}}]}
    assert [v.control for v in evaluate({}, spec, "baseline")] == [
        "capabilities_baseline", "hostNamespaces", "hostPathVolumes", "seccompProfile_baseline"]
    assert [v.control for v in evaluate({}, spec, "restricted")] == [
        "hostNamespaces", "allowPrivilegeEscalation", "capabilities_restricted", "restrictedVolumes", "runAsNonRoot",
        "seccompProfile_restricted"]


def test_privileged_allows_everything_and_an_unknown_level_is_refused():
    assert LEVELS == ("privileged", "baseline", "restricted")
    assert evaluate({}, {"hostNetwork": True, "containers": [c("a", {"privileged": True})]}, "privileged") == []
    with pytest.raises(ValueError, match="unknown Pod Security level"):
        evaluate({}, {}, "Restricted")


def test_forbidden_detail_is_admissions_message():
    # policy/checks.go's example for AggregateCheckResult.ForbiddenDetail
    violations = [Violation("hostPorts", "host ports", "8080, 9090"),
                  Violation("privileged", "privileged containers", ""),
                  Violation("capabilities_baseline", "non-default capabilities", "NET_RAW")]
    assert forbidden_detail(violations) == (
        "host ports (8080, 9090), privileged containers, non-default capabilities (NET_RAW)")


def test_annotation_values_are_quoted_as_go_quotes_them():
    metadata = {"annotations": {APPARMOR + "a": 'say "hi"\n\x00é'}}
    assert judge("appArmorProfile", {}, metadata)[1] == (
        'annotation must not set AppArmor profile type to '
        '"container.apparmor.security.beta.kubernetes.io/a="say \\"hi\\"\\n\\x00é""')


def test_a_pod_template_without_security_contexts_is_judged():
    assert evaluate({}, {"containers": [{"name": "a"}]}, "baseline") == []
    assert evaluate({"annotations": None}, {"securityContext": None, "volumes": None, "containers": None},
                    "restricted") == []
