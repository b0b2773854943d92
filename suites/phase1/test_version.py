"""P1-K8S-VERSION: a supported Kubernetes release, with every kubelet within the supported version skew.

The skew is measured as Kubernetes' version skew policy states it: in a highly available control plane the
newest and oldest kube-apiserver are at most one minor apart, and a kubelet is never newer than the *oldest*
kube-apiserver nor more minors older than allowed than the *newest* (skew between API servers narrows the
kubelets allowed from both ends). /version answers from one API server only; the others are seen through their
mirror pods (kubeadm's ``component=kube-apiserver`` in kube-system) where the cluster runs them: the tag of the
image the pod asks for, else of the image its container status reports. An API server pod whose version neither
gives (an image pinned by digest alone) is one the check could not look at, never one left out, unless it is the
only one: then it is the API server /version answered from.

A version's support (the profile's minimum, its end of support) belongs to its minor and is said once per minor;
being a pre-release belongs to the binary, so each kubelet is judged for it on its own.

Adversarial table P1-K8S-VERSION:
- newer-kubelet: a node upgraded ahead of the control plane runs kubelet v1.34 against API server v1.33
- prerelease-server: the API server runs v1.34.0-rc.1, a release candidate whose minor looks supported
- older-apiserver-instance: /version answers v1.33.13 from an upgraded API server while the HA control plane's
  other kube-apiserver still runs v1.32.4, older than the v1.33 kubelets
- kubelet-past-end-of-support: the API server's minor is supported, but a node's kubelet v1.30 is within the
  skew and past its own upstream end of support
- kubelet-below-minimum: a kubelet v1.26 within the skew of API server v1.29, below the profile's minimum 1.27
- unparseable-kubelet: a node reports kubelet version 'kwok-v0.7.0', which says nothing about its skew
- kubelet-lags-newest-apiserver: API servers at v1.33 and v1.32 (HA, mid-upgrade); a kubelet v1.29 is 3 minors
  behind the older one, 4 behind the newer, which it also talks to
- prerelease-kubelet: a node runs kubelet v1.33.0-rc.1 beside an API server v1.33.13, so its minor is one the
  API server already answered for
- apiserver-version-unreadable: the HA control plane's second kube-apiserver pod runs an image pinned by digest
  alone (no tag) and its container status names no tag either, so its version is unknown
"""
import datetime as dt
import re

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import CouldNotLook, fail, fail_first, require_data

VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
PRE_RELEASE = re.compile(r"^v?\d+\.\d+\.\d+-(alpha|beta|rc)\b")
APISERVER_LABEL = ("component", "kube-apiserver")


def minor_of(version: str) -> tuple[int, int] | None:
    found = VERSION.match(version or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _shown(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def _image_version(image: str) -> str:
    """The tag of an image reference (``registry:5000/kube-apiserver:v1.33.13@sha256:...`` -> v1.33.13), or ""."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.partition(":")[2]


def _pod_version(pod: dict) -> tuple[str | None, str]:
    """The kube-apiserver container's version (from its image's tag in the spec, else in its container status)
    and, when there is none, what was seen instead."""
    name = APISERVER_LABEL[1]
    images = [c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name") == name]
    images += [c.get("image", "") for c in (pod.get("status") or {}).get("containerStatuses") or []
               if c.get("name") == name]
    for image in images:
        if minor_of(_image_version(image)):
            return _image_version(image), ""
    return None, (f"its {name} container's image {' / '.join(dict.fromkeys(images))} carries no version tag"
                  if images else f"it has no container named {name}")


def _api_servers(snapshot, answered: str) -> tuple[dict[str, str], list[str]]:
    """Who serves the API -> its version: /version's answer, and every kube-apiserver mirror pod's; and the pods
    whose version could not be read, each with why."""
    found, unread = {"/version": answered}, []
    key, value = APISERVER_LABEL
    for pod in snapshot.items("pods", ["kube-system"]):
        if (pod["metadata"].get("labels") or {}).get(key) == value:
            who = f"pod kube-system/{pod['metadata']['name']}"
            version, why = _pod_version(pod)
            if version:
                found[who] = version
            else:
                unread.append(f"{who}: {why}")
    return found, unread


def _pre_release_problems(label: str, version: str) -> list[str]:
    """Being a pre-release is the binary's own property, whatever its minor."""
    return [f"{label} is a pre-release, expected a released version"] if PRE_RELEASE.match(version) else []


def _support_problems(label: str, version: str, spec, today: dt.date) -> list[str]:
    """``label`` names the component and its version: "API server: v1.33.1", "node w1: kubelet v1.30.2". What
    the profile says of the version's minor (its minimum, its end of support)."""
    problems, minor = [], minor_of(version)
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
                       "server and at most the profile's skew of minor versions older than the newest. An API "
                       "server whose version cannot be read is not left out.",
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
    servers, unread = _api_servers(snapshot, server_version)
    if len(unread) == 1 and len(servers) == 1:
        # the only kube-apiserver pod is the API server /version answered from
        servers = {f"{unread[0].partition(':')[0]} (by /version)": server_version}
        unread = []
    problems, rows = [], []
    for who, version in servers.items():
        rows.append([f"API server ({who})", version, ""])
        label = f"API server{'' if who == '/version' else f' ({who})'}: {version}"
        problems += _pre_release_problems(label, version) + _support_problems(label, version, spec, today)
    rows += [[f"API server ({line.partition(':')[0]})", "unknown", ""] for line in unread]
    oldest_who, oldest = min(servers.items(), key=lambda kv: minor_of(kv[1]))
    newest_who, newest = max(servers.items(), key=lambda kv: minor_of(kv[1]))
    low, high = minor_of(oldest), minor_of(newest)
    if high[0] != low[0] or high[1] - low[1] > 1:
        problems.append(f"API servers: {', '.join(f'{w} {v}' for w, v in servers.items())}: the newest and oldest "
                        "are more than one minor version apart")
    several = len(servers) > 1
    oldest_shown = f"the oldest API server {oldest} ({oldest_who})" if several else f"the API server {oldest}"
    newest_shown = f"the newest API server {newest} ({newest_who})" if several else f"the API server {newest}"
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    for node in nodes:
        name = node["metadata"]["name"]
        kubelet = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
        minor = minor_of(kubelet)
        rows.append([f"node {name}", kubelet or "-", f"{_shown(low)}..{_shown(high)}" if low != high else _shown(low)])
        if minor is None:
            problems.append(f"node {name}: kubelet version {kubelet or 'missing'!r} is not a Kubernetes version")
            continue
        if minor > low:
            problems.append(f"node {name}: kubelet {kubelet} is newer than {oldest_shown}")
        elif minor[0] != high[0] or high[1] - minor[1] > spec.max_kubelet_skew:
            problems.append(f"node {name}: kubelet {kubelet} is {high[1] - minor[1]} minor versions behind "
                            f"{newest_shown}, expected at most {spec.max_kubelet_skew}")
        problems += _pre_release_problems(f"node {name}: kubelet {kubelet}", kubelet)
        if minor not in {minor_of(v) for v in servers.values()}:      # else said once, of the API server
            problems += _support_problems(f"node {name}: kubelet {kubelet}", kubelet, spec, today)
    attach_table("versions", ["component", "version", "API server minors"], rows)
    if unread:
        fail_first(problems, CouldNotLook(
            "kube-apiserver version", "; ".join(unread) + ": no source gives its version (GET /version answers "
            "for one API server only), so the skew between the API servers and the kubelets cannot be judged "
            "against it", "invalid"))
    fail(problems)
