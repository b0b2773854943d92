"""P1-K8S-VERSION: a supported Kubernetes release, with every kubelet within the supported version skew."""
import datetime as dt
import re

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import CouldNotLook, fail, require_data

VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def minor_of(version: str) -> tuple[int, int] | None:
    found = VERSION.match(version or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _shown(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


@criterion("P1-K8S-VERSION", 1, "Supported Kubernetes version", severity="critical",
           requirement="The API server runs at least the profile's minimum minor version, one whose end of "
                       "support (where the profile lists it) has not passed, and every node's kubelet is no newer "
                       "than the API server and at most the profile's skew of minor versions older.",
           next_step="Upgrade the control plane one minor version at a time (kubeadm upgrade plan), then the "
                     "kubelets of the lagging nodes (drain, upgrade the kubelet package, uncordon).",
           profile_keys=("phase1.kubernetes",))
def test_kubernetes_version_supported_and_kubelets_within_skew(snapshot, profile):
    spec = profile.phase1.kubernetes
    server_version = snapshot.version()
    server = minor_of(server_version)
    if server is None:
        raise CouldNotLook("kubernetes version", f"GET /version answered gitVersion {server_version!r}, which is "
                                                 "not a Kubernetes version", "invalid")
    problems = []
    wanted = minor_of(spec.minimum + ".0")
    if server < wanted:
        problems.append(f"API server: {server_version}, expected at least {spec.minimum}")
    ends = spec.end_of_support.get(_shown(server))
    today = dt.date.today()
    if ends and ends < today:
        problems.append(f"API server: {server_version}: upstream support for {_shown(server)} ended on {ends}")
    nodes = snapshot.items("nodes")
    require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes")
    rows = []
    for node in nodes:
        name = node["metadata"]["name"]
        kubelet = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
        minor = minor_of(kubelet)
        rows.append([name, kubelet or "-", _shown(server)])
        if minor is None:
            problems.append(f"node {name}: kubelet version {kubelet or 'missing'!r} is not a Kubernetes version")
        elif minor > server:
            problems.append(f"node {name}: kubelet {kubelet} is newer than the API server {server_version}")
        elif server[1] - minor[1] > spec.max_kubelet_skew or minor[0] != server[0]:
            problems.append(f"node {name}: kubelet {kubelet} is {server[1] - minor[1]} minor versions behind the "
                            f"API server {server_version}, expected at most {spec.max_kubelet_skew}")
    attach_table("versions", ["node", "kubelet", "API server minor"], rows)
    fail(problems)
