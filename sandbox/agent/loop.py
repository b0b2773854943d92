"""The sandbox agent: what a kubelet, promtail and the workloads themselves would do on a real cluster.

- Writes each running container's log lines to kubelet-style files on its node's directory, and runs a real
  promtail for each node that has a Ready log-agent pod (sandbox/agent/logs.py): only promtail ships logs to Loki.
- Answers for each Service at ``/services/<ns>/<name>`` (200 while a ready endpoint's pod is serving, after
  the delay its pod's response-delay annotation gives), which the blackbox exporter probes and the load test
  measures as a user would reach the Service: the SLO recording rules read those probes.
- Serves each simulated pod's metrics endpoint (``/pods/<ns>/<pod>/metrics``; cloudflared's connector adds
  its edge connections, 4 while the tunnel's credentials Secret holds credentials, else 0),
  which Prometheus discovers through the real Kubernetes service discovery;
  a pod that is not running on a Ready node does not answer.
- Applies simulated CPU load (``<root>/load.json``) as kwok usage annotations.
- Marks pods Ready again once their node is back, as a kubelet would.
- Keeps a stopped simulated kubelet's Lease from being renewed (sandbox/agent/heartbeat.py).

It watches what it needs (sandbox/agent/mirror.py) instead of listing it every round: at a thousand nodes the lists
alone took it 2-4 s a round, and the delay its Service answers picked up failed the latency criteria.

    python -m sandbox.agent.loop --root STATE_DIR
"""
from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kubernetes import client, config

from sandbox.agent import heartbeat, logs
from sandbox.run.layout import Layout
from sandbox.manifests.infrastructure import TUNNEL_NS, TUNNEL_SECRET
from sandbox.manifests.platform import PLATFORM_NAMESPACES
from sandbox.agent.mirror import Mirror
from sandbox.agent.rawapi import TIMEOUT_S, list_pages

USAGE_CPU = "kwok.x-k8s.io/usage-cpu"
BASELINE_CPU = "sandbox.platform-readiness.io/usage-cpu-baseline"
LOG_INTERVAL_S = 5.0
POLL_INTERVAL_S = 2.0
SLOW_ROUND_S = 10.0
FIRST_LIST_TIMEOUT_S = 120.0
RECONCILE_S = 10.0           # promtails are looked at this often when nothing changed (one may have died)
RETURN_WINDOW_S = 60.0       # how long after a node's return its pods are looked at
RESPONSE_DELAY = "sandbox.platform-readiness.io/response-delay-ms"
TUNNEL_HA_CONNECTIONS = 4        # cloudflared's default number of edge connections per connector


def read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return default


class World:
    """The last observed pods and node readiness, shared by the loops and the HTTP server."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pods: dict[tuple[str, str], dict] = {}      # the platform's, as the API server sends them
        self.ready_nodes: set[str] = set()
        self.slices: list[dict] = []
        self.tunnel_credentials = False

    def serving(self, namespace: str, name: str) -> dict | None:
        with self.lock:
            pod = self.pods.get((namespace, name))
            if pod and pod["status"].get("phase") == "Running" and pod["spec"].get("nodeName") in self.ready_nodes \
                    and not pod["metadata"].get("deletionTimestamp"):
                return pod
        return None


class Watched:
    """What the agent watches (sandbox/agent/mirror.py): every node, the platform's pods and EndpointSlices, and the
    tunnel's credentials Secret."""

    def __init__(self, api: client.ApiClient):
        self.nodes = Mirror(api, "/api/v1/nodes")
        self.pods = [Mirror(api, f"/api/v1/namespaces/{ns}/pods") for ns in PLATFORM_NAMESPACES]
        self.slices = [Mirror(api, f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices")
                       for ns in PLATFORM_NAMESPACES]
        self.secret = Mirror(api, f"/api/v1/namespaces/{TUNNEL_NS}/secrets",
                             fieldSelector=f"metadata.name={TUNNEL_SECRET}")

    def all(self) -> list[Mirror]:
        return [self.nodes, *self.pods, *self.slices, self.secret]

    def start(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for mirror in self.all():
            mirror.start()
        for mirror in self.all():
            if not mirror.synced.wait(max(deadline - time.monotonic(), 0)):
                raise SystemExit(f"agent: no first list of {mirror.path} within {timeout_s:.0f}s")


def refresh(watched: Watched, world: World) -> set[str]:
    """Take the watched copies in: which nodes are Ready, the platform's pods, endpoints and tunnel credentials."""
    ready = {n["metadata"]["name"] for n in watched.nodes.items()
             if any(c["type"] == "Ready" and c["status"] == "True"
                    for c in (n.get("status") or {}).get("conditions") or [])}
    pods = {}
    for mirror in watched.pods:
        for pod in mirror.items():
            pod.setdefault("status", {})
            pods[(pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod
    secrets = watched.secret.items()
    with world.lock:
        world.tunnel_credentials = bool(secrets and (secrets[0].get("data") or {}).get("credentials.json"))
        world.pods, world.ready_nodes = pods, ready
        world.slices = [s for mirror in watched.slices for s in mirror.items()]
    return ready


def _slices_of(world: World, namespace: str, service: str) -> list[dict]:
    with world.lock:
        return [s for s in world.slices if s["metadata"]["namespace"] == namespace
                and (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == service]


def discovery(world: World, layout: Layout, namespace: str, service: str) -> list[dict]:
    """http_sd target groups for one Service, labelled like kubernetes_sd's endpointslice role."""
    groups = []
    meta = "__meta_kubernetes_"
    for piece in _slices_of(world, namespace, service):
        for endpoint in piece.get("endpoints") or []:
            target = endpoint.get("targetRef") or {}
            if target.get("kind") != "Pod":
                continue
            ready = bool((endpoint.get("conditions") or {}).get("ready"))
            groups.append({"targets": [f"127.0.0.1:{layout.ports.agent}"], "labels": {
                f"{meta}namespace": namespace, f"{meta}service_name": service, f"{meta}pod_name": target["name"],
                f"{meta}pod_node_name": endpoint.get("nodeName") or "",
                f"{meta}endpointslice_endpoint_conditions_ready": str(ready).lower()}})
    return groups


def serving_pods(world: World) -> list[dict]:
    with world.lock:
        pods = list(world.pods.values())
    return [p for p in pods if world.serving(p["metadata"]["namespace"], p["metadata"]["name"]) is not None]


def serving_endpoint(world: World, namespace: str, service: str) -> dict | None:
    """What a client of the Service reaches: one of its ready endpoints' pods that is serving, or none."""
    for e in (e for piece in _slices_of(world, namespace, service) for e in piece.get("endpoints") or []):
        target = e.get("targetRef") or {}
        if (e.get("conditions") or {}).get("ready") and target.get("kind") == "Pod":
            pod = world.serving(namespace, target["name"])
            if pod is not None:
                return pod
    return None


def response_delay_s(pod: dict) -> float:
    """How long the simulated service takes to answer: its pod's RESPONSE_DELAY annotation (milliseconds),
    like kwok's usage annotations the simulated behaviour of a release."""
    value = (pod["metadata"].get("annotations") or {}).get(RESPONSE_DELAY, "0")
    try:
        return max(float(value), 0.0) / 1000
    except ValueError:
        return 0.0


def sync_pod_readiness(core: client.CoreV1Api, nodes: set[str] | None) -> None:
    """What a kubelet does after its node comes back: pods it runs are Ready again.

    The node lifecycle controller marks pods NotReady when their node stops
    heartbeating; kwok does not flip them back when the node returns, so pods
    that tolerate the outage (DaemonSets) would stay NotReady for ever. Looked at
    for the nodes that came back lately (``nodes``), or every node (None).
    """
    selectors = [None] if nodes is None else [f"spec.nodeName={n}" for n in sorted(nodes)]
    for selector in selectors:
        pods = list_pages(core.api_client, "/api/v1/pods", **({"fieldSelector": selector} if selector else {}))
        mark_ready(core, [p for p in pods if _left_not_ready(p)])


def sync_platform_readiness(core: client.CoreV1Api, world: World) -> None:
    """The same for the platform's pods, from the watched copies, every round: a pod marked NotReady just
    after its node's return window (or while a long round ran) is not left behind."""
    with world.lock:
        pods = [p for p in world.pods.values() if p["spec"].get("nodeName") in world.ready_nodes]
    mark_ready(core, [p for p in pods if _left_not_ready(p)])


def _left_not_ready(pod: dict) -> bool:
    """Running, its containers ready, but the pod not: only the node lifecycle controller leaves a pod so."""
    meta, status = pod["metadata"], pod.get("status") or {}
    conditions = {c["type"]: c["status"] for c in status.get("conditions") or []}
    return (status.get("phase") == "Running" and not meta.get("deletionTimestamp")
            and conditions.get("Ready") == "False" and conditions.get("ContainersReady") == "True")


def mark_ready(core: client.CoreV1Api, pods: list[dict]) -> None:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for pod in pods:
        core.patch_namespaced_pod_status(pod["metadata"]["name"], pod["metadata"]["namespace"], {"status": {
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}]}},
            _request_timeout=TIMEOUT_S)


def apply_load(core: client.CoreV1Api, world: World, load: dict[str, str]) -> None:
    with world.lock:
        pods = list(world.pods.values())
    for pod in pods:
        meta = pod["metadata"]
        ann = meta.get("annotations") or {}
        key = f"{meta['namespace']}/{(meta.get('labels') or {}).get('app', '')}"
        baseline = ann.get(BASELINE_CPU, ann.get(USAGE_CPU, "1m"))
        wanted = load.get(key, baseline)
        if ann.get(USAGE_CPU) != wanted or BASELINE_CPU not in ann:
            core.patch_namespaced_pod(meta["name"], meta["namespace"], {
                "metadata": {"annotations": {USAGE_CPU: wanted, BASELINE_CPU: baseline}}}, _request_timeout=TIMEOUT_S)


def tunnel_metrics(world: World) -> str:
    """What a cloudflared connector reports: its connections to the edge, which it holds only while its
    credentials are valid (the sandbox has no edge to reach: the credentials Secret stands for that path)."""
    with world.lock:
        connections = TUNNEL_HA_CONNECTIONS if world.tunnel_credentials else 0
    return ("# TYPE cloudflared_tunnel_ha_connections gauge\n"
            f"cloudflared_tunnel_ha_connections {connections}\n")


def _http(world: World, layout: Layout, started: float):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) == 3 and parts[0] == "sd":
                body = json.dumps(discovery(world, layout, parts[1], parts[2]))
                return self._reply(200, body, "application/json")
            if len(parts) == 4 and parts[0] == "pods" and parts[3] == "metrics":
                pod = world.serving(parts[1], parts[2])
                if pod is None:
                    return self._reply(503, "pod not running on a Ready node\n")
                body = (f"# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {started}\n"
                        f"# TYPE http_requests_total counter\n"
                        f"http_requests_total{{code=\"200\"}} {int(time.time() - started) * 3}\n")
                if (pod["metadata"].get("labels") or {}).get("app") == "cloudflared":
                    body += tunnel_metrics(world)
                return self._reply(200, body)
            if len(parts) == 3 and parts[0] == "services":
                pod = serving_endpoint(world, parts[1], parts[2])
                if pod is None:
                    return self._reply(503, "no ready endpoint\n")
                time.sleep(min(response_delay_s(pod), 10.0))
                return self._reply(200, "ok\n")
            if parts == ["metrics"]:
                with world.lock:
                    count = len(world.pods)
                return self._reply(200, f"# TYPE sandbox_agent_pods gauge\nsandbox_agent_pods {count}\n")
            self._reply(404, "not found\n")

        def _reply(self, code: int, body: str, content_type: str = "text/plain; version=0.0.4") -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            pass

    return Handler


class Steps:
    """How long each step of a round took, printed when the round was slow."""

    def __init__(self):
        self.started, self.took = time.monotonic(), {}

    def timed(self, name: str, fn, *args):
        begun = time.monotonic()
        try:
            return fn(*args)
        finally:
            self.took[name] = time.monotonic() - begun

    def report_if_slower_than(self, limit_s: float) -> None:
        total = time.monotonic() - self.started
        if total > limit_s:
            parts = ", ".join(f"{name} {s:.1f}s" for name, s in self.took.items())
            print(f"agent: a round took {total:.1f}s ({parts})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    args = parser.parse_args()
    layout = Layout(args.root)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)    # the promtail processes it starts are reaped by the kernel
    config.load_kube_config(str(layout.kubeconfig))
    heartbeat.start(client.ApiClient())         # its own connection: never waits behind the loop below
    core = client.CoreV1Api()
    watch_config = client.Configuration.get_default_copy()
    watch_config.connection_pool_maxsize = 32   # a connection per watch, held open
    watched, world = Watched(client.ApiClient(watch_config)), World()
    watched.start(FIRST_LIST_TIMEOUT_S)
    ready = refresh(watched, world)    # serve nothing before the first look: a Service answer must be true from the start
    server = ThreadingHTTPServer(("127.0.0.1", layout.ports.agent), _http(world, layout, time.time()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    last_log, tick, reconciled = 0.0, 0, ((-1, set()), 0.0)
    returned: dict[str, float] = {}     # node -> when it came back
    # Every node's pods once, as the agent may have been down while a node came back; in a thread of its own,
    # since at 20,000 pods that list takes minutes on a busy API server and the rounds must go on.
    threading.Thread(target=sync_pod_readiness, args=(core, None), name="readiness (every node)",
                     daemon=True).start()
    while True:
        steps = Steps()
        try:
            changes = sum(m.changes for m in watched.pods)      # node heartbeats do not move promtails
            before, ready = ready, steps.timed("refresh", refresh, watched, world)
            steps.timed("load", apply_load, core, world, read_json(layout.root / "load.json", {}))
            now = time.monotonic()
            returned = {n: t for n, t in returned.items() if now - t < RETURN_WINDOW_S and n in ready}
            returned.update({n: now for n in ready - before})
            steps.timed("platform readiness", sync_platform_readiness, core, world)
            if returned:
                steps.timed("readiness", sync_pod_readiness, core, set(returned))
            if (changes, ready) != reconciled[0] or time.monotonic() - reconciled[1] >= RECONCILE_S:
                with world.lock:
                    pods, ready_nodes = list(world.pods.values()), set(world.ready_nodes)
                steps.timed("promtails", lambda: logs.reconcile(
                    layout, logs.groups(logs.agent_nodes(pods, ready_nodes)), pods))
                reconciled = ((changes, ready), time.monotonic())
            if time.monotonic() - last_log >= LOG_INTERVAL_S:
                steps.timed("log lines", logs.write_lines, layout, serving_pods(world), tick)
                last_log, tick = time.monotonic(), tick + 1
        except Exception as exc:  # keep serving; the next round retries
            print(f"agent: {exc.__class__.__name__}: {exc}", flush=True)
        steps.report_if_slower_than(SLOW_ROUND_S)
        time.sleep(POLL_INTERVAL_S)


if __name__ == "__main__":
    main()
