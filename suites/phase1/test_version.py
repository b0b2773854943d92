"""P1-K8S-VERSION: a supported Kubernetes release, with every kubelet within the supported version skew.

The skew is measured as Kubernetes' version skew policy states it: in a highly available control plane the
newest and oldest kube-apiserver are at most one minor apart, and a kubelet is never newer than the *oldest*
kube-apiserver nor more minors older than allowed. /version answers from one API server only; the others are
seen through their mirror pods (kubeadm's ``component=kube-apiserver`` in kube-system) where the cluster runs them.

Adversarial table P1-K8S-VERSION:
- newer-kubelet: a node upgraded ahead of the control plane runs kubelet v1.34 against API server v1.33
- prerelease-server: the API server runs v1.34.0-rc.1, a release candidate whose minor looks supported
- older-apiserver-instance: /version answers v1.33.13 from an upgraded API server while the HA control plane's
  other kube-apiserver still runs v1.32.4, older than the v1.33 kubelets
- kubelet-past-end-of-support: the API server's minor is supported, but a node's kubelet v1.30 is within the
  skew and past its own upstream end of support
- kubelet-below-minimum: a kubelet v1.26 within the skew of API server v1.29, below the profile's minimum 1.27
- unparseable-kubelet: a node reports kubelet version 'kwok-v0.7.0', which says nothing about its skew
"""
import datetime as dt
import re

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import CouldNotLook, fail, require_data

VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
PRE_RELEASE = re.compile(r"^v?\d+\.\d+\.\d+-(alpha|beta|rc)\b")
APISERVER_LABEL = ("component", "kube-apiserver")


def minor_of(version: str) -> tuple[int, int] | None:
    found = VERSION.match(version or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _shown(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def _image_version(image: str) -> str:
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.partition(":")[2]


def _api_servers(snapshot, answered: str) -> dict[str, str]:
    """Who serves the API -> its version: /version's answer, and every kube-apiserver mirror pod's image tag."""
    found = {"/version": answered}
    key, value = APISERVER_LABEL
    for pod in snapshot.items("pods", ["kube-system"]):
        if (pod["metadata"].get("labels") or {}).get(key) == value:
            for container in (pod.get("spec") or {}).get("containers") or []:
                version = _image_version(container.get("image", ""))
                if container.get("name") == value and minor_of(version):
                    found[f"pod kube-system/{pod['metadata']['name']}"] = version
    return found


def _support_problems(label: str, version: str, spec, today: dt.date) -> list[str]:
    """``label`` names the component and its version: "API server: v1.33.1", "node w1: kubelet v1.30.2"."""
    problems, minor = [], minor_of(version)
    if PRE_RELEASE.match(version):
        problems.append(f"{label} is a pre-release, expected a released version")
    if minor < minor_of(spec.minimum + ".0"):
        problems.append(f"{label}, expected at least {spec.minimum}")
    ends = spec.end_of_support.get(_shown(minor))
    if ends and ends < today:
        problems.append(f"{label}: upstream support for {_shown(minor)} ended on {ends}")
    return problems


@criterion("P1-K8S-VERSION", 1, "Supported Kubernetes version", severity="critical",
           requirement="Every kube-apiserver and every kubelet runs a released version of at least the profile's "
                       "minimum minor, one whose end of support (where the profile lists it) has not passed; the "
                       "API servers are at most one minor apart; every kubelet is no newer than the oldest API "
                       "server and at most the profile's skew of minor versions older.",
           next_step="Upgrade the control plane one minor version at a time (kubeadm upgrade plan), then the "
                     "kubelets of the lagging nodes (drain, upgrade the kubelet package, uncordon).",
           profile_keys=("phase1.kubernetes",))
def test_kubernetes_version_supported_and_kubelets_within_skew(snapshot, profile):
    spec = profile.phase1.kubernetes
    server_version = snapshot.version()
    if minor_of(server_version) is None:
        raise CouldNotLook("kubernetes version", f"GET /version answered gitVersion {server_version!r}, which is "
                                                 "not a Kubernetes version", "invalid")
    today = dt.date.today()
    servers = _api_servers(snapshot, server_version)
    problems, rows = [], []
    for who, version in servers.items():
        rows.append([f"API server ({who})", version, ""])
        problems += _support_problems(f"API server{'' if who == '/version' else f' ({who})'}: {version}", version,
                                      spec, today)
    oldest_who, oldest = min(servers.items(), key=lambda kv: minor_of(kv[1]))
    newest = max(minor_of(v) for v in servers.values())
    if newest[0] != minor_of(oldest)[0] or newest[1] - minor_of(oldest)[1] > 1:
        problems.append(f"API servers: {', '.join(f'{w} {v}' for w, v in servers.items())}: the newest and oldest "
                        "are more than one minor version apart")
    server, against = minor_of(oldest), f"{oldest} ({oldest_who})" if len(servers) > 1 else oldest
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    for node in nodes:
        name = node["metadata"]["name"]
        kubelet = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
        minor = minor_of(kubelet)
        rows.append([f"node {name}", kubelet or "-", _shown(server)])
        if minor is None:
            problems.append(f"node {name}: kubelet version {kubelet or 'missing'!r} is not a Kubernetes version")
            continue
        if minor > server:
            problems.append(f"node {name}: kubelet {kubelet} is newer than the API server {against}")
        elif server[1] - minor[1] > spec.max_kubelet_skew or minor[0] != server[0]:
            problems.append(f"node {name}: kubelet {kubelet} is {server[1] - minor[1]} minor versions behind the "
                            f"API server {against}, expected at most {spec.max_kubelet_skew}")
        if minor not in {minor_of(v) for v in servers.values()}:      # else said once, of the API server
            problems += _support_problems(f"node {name}: kubelet {kubelet}", kubelet, spec, today)
    attach_table("versions", ["component", "version", "oldest API server minor"], rows)
    fail(problems)
