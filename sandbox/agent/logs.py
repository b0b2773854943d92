"""Logs that travel as on a real node: containers write kubelet log files, and only the log agent ships them.

Each simulated node has a directory laid out as a kubelet lays out ``/var/log/pods``::

    <data>/nodes/<node>/var/log/pods/<namespace>_<pod>_<uid>/<container>/0.log   (CRI format lines)

For every node that has a Ready pod of the log-agent DaemonSet (monitoring/promtail), a real promtail 2.2.1
process tails that node's directory and pushes to Loki. Its targets are the node's pods, written as file_sd
groups with the labels and ``__path__`` that promtail's Helm chart derives from kubernetes_sd (promtail 2.2.1's
kubernetes_sd lists pods from today's API server without an error and without a single pod, so the agent
does that discovery step).
No agent pod on a node, no promtail for it, and that node's logs never reach Loki. One promtail per node is
kept up to ``MAX_PER_NODE`` nodes; above that, nodes are served in groups, each promtail still tailing only
nodes that have a Ready agent pod (its discovery selects exactly those nodes).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from sandbox.run.layout import Layout
from sandbox.run.processes import ProcessSpec, Supervisor

INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")
AGENT_NAMESPACE, AGENT_NAME = "monitoring", "promtail"
PREFIX = "promtail-"
MAX_PER_NODE = 50
GC_EVERY_TICKS = 12             # gone pods' directories are looked for every 12th round of lines (a minute)


def ensure_inotify_instances(workers: int, progress=print, limit_file: Path = INOTIFY_INSTANCES) -> None:
    """promtail opens an inotify instance for each file target (a container), and the kernel allows 128 per
    user by default: at a thousand nodes the agent pods alone are more, and promtail fails each target past
    the limit ("fsnotify.NewWatcher: too many open files"), as on a real node with many pods. Raised here as
    node set-up guides do; the default is kept for others (other programs of this user need some)."""
    needed = 128 + workers + 64         # the default, plus a target per agent pod and the platform's others
    try:
        current = int(limit_file.read_text())
        if current < needed:
            limit_file.write_text(f"{needed}\n")
            progress(f"sandbox: fs.inotify.max_user_instances raised from {current} to {needed} "
                     "(promtail watches each container's log with one)")
    except (OSError, ValueError) as exc:
        progress(f"sandbox: could not raise fs.inotify.max_user_instances to {needed} ({exc}); with more "
                 f"containers than it allows, promtail ships no logs for the rest: run "
                 f"`sysctl fs.inotify.max_user_instances={needed}` as root")


def nodes_root(layout: Layout) -> Path:
    return layout.data / "nodes"


def pod_log_dir(layout: Layout, node: str, namespace: str, pod: str, uid: str) -> Path:
    return nodes_root(layout) / node / "var/log/pods" / f"{namespace}_{pod}_{uid}"


def write_lines(layout: Layout, pods: list, tick: int) -> None:
    """Append one line per container of every serving pod, and now and then remove the directories of pods
    that are gone (as the kubelet garbage-collects them)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
    keep: set[Path] = set()
    for pod in pods:
        meta = pod["metadata"]
        base = pod_log_dir(layout, pod["spec"]["nodeName"], meta["namespace"], meta["name"], meta["uid"])
        keep.add(base)
        for container in pod["spec"]["containers"]:
            line = f"{stamp} stdout F level=info msg=\"heartbeat {tick}\" pod={meta['name']}\n"
            _append(base / container["name"] / "0.log", line)
    root = nodes_root(layout)
    if tick % GC_EVERY_TICKS == 0 and root.exists():
        for pod_dir in root.glob("*/var/log/pods/*"):
            if pod_dir not in keep and time.time() - pod_dir.stat().st_mtime > 60:
                shutil.rmtree(pod_dir, ignore_errors=True)


def _append(path: Path, line: str) -> None:
    try:
        f = path.open("a")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = path.open("a")
    with f:
        f.write(line)
        rotate = f.tell() > 1 << 20
    if rotate:
        path.write_text("")     # rotated: promtail notices the truncation and starts over


def agent_nodes(pods: list, ready_nodes: set[str]) -> set[str]:
    """Nodes with a Ready, running pod of the log-agent DaemonSet."""
    found = set()
    for pod in pods:
        meta, status, node = pod["metadata"], pod.get("status") or {}, pod["spec"].get("nodeName")
        if meta["namespace"] != AGENT_NAMESPACE or not any(
                o["kind"] == "DaemonSet" and o["name"] == AGENT_NAME for o in meta.get("ownerReferences") or []):
            continue
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])
        if status.get("phase") == "Running" and ready and not meta.get("deletionTimestamp") and node in ready_nodes:
            found.add(node)
    return found


def groups(nodes: set[str]) -> dict[str, list[str]]:
    """promtail process name -> the nodes it tails."""
    ordered = sorted(nodes)
    if len(ordered) <= MAX_PER_NODE:
        return {f"{PREFIX}{n}": [n] for n in ordered}
    size = -(-len(ordered) // MAX_PER_NODE)
    return {f"{PREFIX}group-{i}": ordered[i * size:(i + 1) * size] for i in range(MAX_PER_NODE)
            if ordered[i * size:(i + 1) * size]}


def promtail_config(layout: Layout, name: str) -> dict:
    return {
        "server": {"http_listen_address": "127.0.0.1", "http_listen_port": 0, "grpc_listen_address": "127.0.0.1",
                   "grpc_listen_port": 0, "log_level": "warn"},
        "positions": {"filename": str(layout.data / "promtail" / f"{name}-positions.yaml")},
        "clients": [{"url": f"{layout.url('loki')}/loki/api/v1/push", "batchwait": "1s"}],
        "scrape_configs": [{"job_name": "kubernetes-pods", "pipeline_stages": [{"cri": {}}],
                            "file_sd_configs": [{"files": [str(_targets_file(layout, name))],
                                                 "refresh_interval": "5s"}]}],
    }


def _targets_file(layout: Layout, name: str) -> Path:
    return layout.config / "promtail" / f"{name}-targets.json"


def targets(layout: Layout, pods: list, nodes: list[str]) -> list[dict]:
    """The containers of the pods on ``nodes``, as kubernetes_sd plus the chart's relabeling would give them."""
    return _group_targets(layout, _by_node(pods), nodes)


def _group_targets(layout: Layout, by_node: dict[str, list], nodes: list[str]) -> list[dict]:
    return [t for node in sorted(nodes) for t in _node_targets(layout, by_node.get(node, []), node)]


def _by_node(pods: list) -> dict[str, list]:
    """Pods per node, each node's in name order: every group's targets from one pass over the pods."""
    out: dict[str, list] = {}
    for pod in sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
        out.setdefault(pod["spec"].get("nodeName"), []).append(pod)
    return out


def _node_targets(layout: Layout, pods: list, node: str) -> list[dict]:
    groups = []
    for pod in pods:
        meta = pod["metadata"]
        base = pod_log_dir(layout, node, meta["namespace"], meta["name"], meta["uid"])
        for container in pod["spec"]["containers"]:
            groups.append({"targets": ["localhost"], "labels": {
                "__path__": f"{base}/{container['name']}/*.log", "namespace": meta["namespace"],
                "pod": meta["name"], "container": container["name"], "node": node,
                "job": f"{meta['namespace']}/{container['name']}",
                # promtail 2.2.1 keys file targets by their labels without __path__: a StatefulSet pod back on
                # the same node under the same name would keep its predecessor's (gone) path without this.
                "pod_uid": meta["uid"]}})
    return groups


def reconcile(layout: Layout, wanted: dict[str, list[str]], pods: list) -> None:
    """Run exactly the wanted promtail processes, each with the targets of its nodes; stop the others."""
    import json

    import yaml
    sup = Supervisor(layout.root)
    (layout.config / "promtail").mkdir(parents=True, exist_ok=True)
    (layout.data / "promtail").mkdir(parents=True, exist_ok=True)
    for name in [n for n in sup.known() if n.startswith(PREFIX) and n not in wanted]:
        sup.stop(name)
    by_node = _by_node(pods)
    for name, nodes in wanted.items():
        found = json.dumps(_group_targets(layout, by_node, nodes), indent=1)
        target_file = _targets_file(layout, name)
        if not target_file.exists() or target_file.read_text() != found:
            tmp = target_file.with_suffix(".tmp")
            tmp.write_text(found)
            tmp.replace(target_file)
        path = layout.config / "promtail" / f"{name}.yaml"
        text = yaml.safe_dump(promtail_config(layout, name), sort_keys=False)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            sup.stop(name)
        sup.start(ProcessSpec(name, [str(layout.bin / "promtail"), f"-config.file={path}"]))
