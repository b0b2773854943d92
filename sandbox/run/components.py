"""The sandbox's processes, in start order: what runs, with which flags, and how readiness is seen."""
from __future__ import annotations

import sys

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the sandbox CA is self-made

from sandbox.manifests.platform import KWOK_MANAGED_LABEL
from sandbox.services import backups, data_services, issuer, secrets_store
from sandbox.run.layout import Layout
from sandbox.run.paths import SOURCE_ROOT
from sandbox.run.processes import ProcessSpec

# The apiserver gives pods a short default toleration for unreachable/not-ready
# nodes, so a failed simulated node's pods are evicted within the chaos deadline.
POD_EVICTION_TOLERATION_SECONDS = 20


def heartbeat_s(workers: int) -> tuple[int, int]:
    """(lease duration, node monitor grace period) for this many simulated nodes. One kwok process renews
    every node's lease, every quarter of its duration, on two cores shared with the whole sandbox: at 1,000
    nodes a 10 s renewal (100 writes/s) fell behind and 216 nodes went NotReady. So the renewal interval grows
    past 250 nodes (25 renewals/s at most) and the grace period stays two renewals; a failed node is NotReady
    after about 20 s up to 250 nodes, 80 s at 1,000."""
    renew = max(10, -(-workers // 25))
    return 4 * renew, 2 * renew


def metric_resolution_s(workers: int) -> int:
    """How often metrics-server scrapes every node. kwok computes each pod's usage for every scrape: at 1,000
    nodes and 20,000 pods a 10 s resolution kept kwok at about a core, and scrapes timed out so some nodes had
    no metrics. Past 100 nodes it grows like the lease renewal, to 40 s at 1,000 (metrics-server's own default
    is 60 s); the HPA and kubectl top still read current figures. Each scrape may take three quarters of it:
    one kwok answers for every node, and with 5 s most of a thousand scrapes timed out."""
    return max(10, -(-workers // 25))


def _get_ok(url: str, layout: Layout, timeout: float = 1.0) -> bool:
    kwargs = {}
    if url.startswith("https"):
        kwargs = {"verify": False, "cert": (str(layout.pki / "admin.crt"), str(layout.pki / "admin.key"))}
    return requests.get(url, timeout=timeout, **kwargs).status_code == 200


def _secure_component_flags(layout: Layout, port: int) -> list[str]:
    kc = str(layout.kubeconfig)
    return [f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}",
            "--bind-address=127.0.0.1", f"--secure-port={port}",
            "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics"]


def control_plane(layout: Layout) -> list[ProcessSpec]:
    lease_s, grace_s = heartbeat_s(layout.workers)
    resolution_s = metric_resolution_s(layout.workers)
    p, b, pki = layout.ports, layout.bin, layout.pki
    return [
        ProcessSpec("etcd", [str(b / "etcd"), "--name=sandbox", f"--data-dir={layout.data / 'etcd'}",
                             f"--listen-client-urls=http://127.0.0.1:{p.etcd}",
                             f"--advertise-client-urls=http://127.0.0.1:{p.etcd}",
                             f"--listen-peer-urls=http://127.0.0.1:{p.etcd_peer}",
                             f"--initial-advertise-peer-urls=http://127.0.0.1:{p.etcd_peer}",
                             f"--initial-cluster=sandbox=http://127.0.0.1:{p.etcd_peer}",
                             "--quota-backend-bytes=4294967296", "--unsafe-no-fsync=true"],
                    port=p.etcd, ready=lambda: _get_ok(f"http://127.0.0.1:{p.etcd}/health", layout)),
        ProcessSpec("kube-apiserver", [
            str(b / "kube-apiserver"), f"--etcd-servers=http://127.0.0.1:{p.etcd}",
            "--bind-address=127.0.0.1", f"--secure-port={p.apiserver}", "--advertise-address=127.0.0.1",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16", "--authorization-mode=Node,RBAC",
            "--endpoint-reconciler-type=none", "--allow-privileged=true",
            f"--requestheader-client-ca-file={pki / 'ca.crt'}", "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
            f"--default-not-ready-toleration-seconds={POD_EVICTION_TOLERATION_SECONDS}",
            f"--default-unreachable-toleration-seconds={POD_EVICTION_TOLERATION_SECONDS}",
            "--max-requests-inflight=1000", "--max-mutating-requests-inflight=500"],
            port=p.apiserver, ready=lambda: _get_ok(f"https://127.0.0.1:{p.apiserver}/readyz", layout)),
        ProcessSpec("kube-controller-manager", [
            str(b / "kube-controller-manager"), *_secure_component_flags(layout, p.controller_manager),
            f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
            "--leader-elect=false", "--node-monitor-period=2s", f"--node-monitor-grace-period={grace_s}s",
            "--horizontal-pod-autoscaler-sync-period=5s",
            "--horizontal-pod-autoscaler-downscale-stabilization=20s",
            "--horizontal-pod-autoscaler-cpu-initialization-period=10s",
            "--horizontal-pod-autoscaler-initial-readiness-delay=5s",
            "--kube-api-qps=200", "--kube-api-burst=400", "--concurrent-deployment-syncs=10",
            "--concurrent-replicaset-syncs=10"],
            port=p.controller_manager,
            ready=lambda: _get_ok(f"https://127.0.0.1:{p.controller_manager}/healthz", layout)),
        ProcessSpec("kube-scheduler", [
            str(b / "kube-scheduler"), *_secure_component_flags(layout, p.scheduler), "--leader-elect=false",
            "--kube-api-qps=200", "--kube-api-burst=400"],
            port=p.scheduler, ready=lambda: _get_ok(f"https://127.0.0.1:{p.scheduler}/healthz", layout)),
        ProcessSpec("kwok", [
            str(b / "kwok"), f"--kubeconfig={layout.kubeconfig}",
            f"--manage-nodes-with-label-selector={KWOK_MANAGED_LABEL}=true",
            "--node-ip=127.0.0.1", f"--node-port={p.kwok}", f"--server-address=127.0.0.1:{p.kwok}",
            f"--tls-cert-file={pki / 'kubelet.crt'}", f"--tls-private-key-file={pki / 'kubelet.key'}",
            f"--node-lease-duration-seconds={lease_s}", f"--config={layout.config / 'kwok.yaml'}",
            "--v=WARN"],       # at INFO it logs every lease renewal and pod patch: 27 MB in minutes at 1,000 nodes
            port=p.kwok),
        ProcessSpec("metrics-server", [
            str(b / "metrics-server"), *_secure_component_flags(layout, p.metrics_server),
            f"--tls-cert-file={pki / 'kubelet.crt'}", f"--tls-private-key-file={pki / 'kubelet.key'}",
            "--kubelet-insecure-tls", "--kubelet-preferred-address-types=InternalIP",
            "--kubelet-use-node-status-port", f"--metric-resolution={resolution_s}s",
            f"--kubelet-request-timeout={max(5, resolution_s * 3 // 4)}s"],
            port=p.metrics_server,
            ready=lambda: _get_ok(f"https://127.0.0.1:{p.metrics_server}/livez", layout)),
    ]


def monitoring(layout: Layout) -> list[ProcessSpec]:
    p, cfg, data = layout.ports, layout.config, layout.data
    py = sys.executable
    return [
        ProcessSpec("postgres", ["/usr/lib/postgresql/15/bin/postgres", "-D", str(data / "postgres"),
                                 "-p", str(p.postgres), "-k", str(data), "-c", "listen_addresses=127.0.0.1"],
                    port=p.postgres),
        ProcessSpec("postgres-exporter", ["/usr/bin/prometheus-postgres-exporter",
                                          f"--web.listen-address=127.0.0.1:{p.postgres_exporter}"],
                    port=p.postgres_exporter,
                    env={"DATA_SOURCE_NAME": f"postgresql://sandbox@127.0.0.1:{p.postgres}/postgres?sslmode=disable"}),
        ProcessSpec("node-exporter", ["/usr/bin/prometheus-node-exporter",
                                      f"--web.listen-address=127.0.0.1:{p.node_exporter}",
                                      "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
                                      "--collector.loadavg", "--collector.filesystem", "--collector.time"],
                    port=p.node_exporter),
        ProcessSpec("blackbox-exporter", ["/usr/bin/prometheus-blackbox-exporter",
                                          f"--config.file={cfg / 'blackbox.yml'}",
                                          f"--web.listen-address=127.0.0.1:{p.blackbox_exporter}"],
                    port=p.blackbox_exporter),
        *data_services.specs(layout),
        ProcessSpec("pushgateway", ["/usr/bin/prometheus-pushgateway",
                                    f"--web.listen-address=127.0.0.1:{p.pushgateway}"], port=p.pushgateway),
        ProcessSpec("sinks", [py, "-m", "sandbox.services.sinks", "--http-port", str(p.sinks_http),
                              "--smtp-port", str(p.sinks_smtp), "--dir", str(layout.sinks)],
                    port=p.sinks_http, ready=lambda: _get_ok(f"http://127.0.0.1:{p.sinks_http}/healthz", layout),
                    cwd=SOURCE_ROOT),
        ProcessSpec("alertmanager", ["/usr/bin/prometheus-alertmanager",
                                     f"--config.file={cfg / 'alertmanager.yml'}",
                                     f"--storage.path={data / 'alertmanager'}",
                                     f"--web.listen-address=127.0.0.1:{p.alertmanager}",
                                     "--cluster.listen-address=", "--data.retention=24h"],
                    port=p.alertmanager,
                    ready=lambda: _get_ok(f"http://127.0.0.1:{p.alertmanager}/-/ready", layout)),
        ProcessSpec("loki", [str(layout.bin / "loki"), f"-config.file={cfg / 'loki.yaml'}"],
                    port=p.loki, ready=lambda: _get_ok(f"http://127.0.0.1:{p.loki}/ready", layout)),
        ProcessSpec("grafana", [py, "-m", "sandbox.services.grafana", "--port", str(p.grafana),
                                "--prometheus", layout.url("prometheus"), "--loki", layout.url("loki"),
                                "--dashboards", str(cfg / "dashboards")],
                    port=p.grafana, ready=lambda: _get_ok(f"http://127.0.0.1:{p.grafana}/api/health", layout),
                    cwd=SOURCE_ROOT),
        ProcessSpec("loadtest", [py, "-m", "sandbox.services.loadtest", "--agent", layout.url("agent"),
                                 "--pushgateway", f"http://127.0.0.1:{p.pushgateway}"],
                    cwd=SOURCE_ROOT),
        # A stand-in for Argo CD's application controller: keeps the Applications' status current
        ProcessSpec("argocd-controller", [py, "-m", "sandbox.services.gitops", "--root", str(layout.root)],
                    cwd=SOURCE_ROOT),
        ProcessSpec("agent", [py, "-m", "sandbox.agent.loop", "--root", str(layout.root)],
                    port=p.agent, cwd=SOURCE_ROOT),
        ProcessSpec("edge", [py, "-m", "sandbox.services.edge", "--root", str(layout.root)],
                    port=p.edge, cwd=SOURCE_ROOT),
        ProcessSpec("vault", secrets_store.argv(layout), port=p.vault,
                    ready=lambda: _get_ok(f"http://127.0.0.1:{p.vault}/v1/sys/health", layout),
                    cwd=SOURCE_ROOT),
        issuer.spec(layout),
        *backups.specs(layout),
        ProcessSpec("prometheus", ["/usr/bin/prometheus", f"--config.file={cfg / 'prometheus.yml'}",
                                   f"--storage.tsdb.path={data / 'prometheus'}",
                                   f"--web.listen-address=127.0.0.1:{p.prometheus}", "--web.enable-lifecycle",
                                   "--storage.tsdb.retention.time=2d",
                                   # Firing alerts are re-sent every 5 s, not every minute: one dropped while
                                   # Alertmanager starts is there within a scrape.
                                   "--rules.alert.resend-delay=5s"],
                    port=p.prometheus,
                    ready=lambda: _get_ok(f"http://127.0.0.1:{p.prometheus}/-/ready", layout)),
    ]


# Go's collector lets a heap grow to twice what is live (GOGC=100). At 50 the three processes whose heap grows most
# over a day of faults keep the whole sandbox within its memory budget (3 GiB) for a little more CPU.
LEAN_GC = {"kube-apiserver", "prometheus", "seaweedfs"}


def all_components(layout: Layout) -> list[ProcessSpec]:
    specs = control_plane(layout) + monitoring(layout)
    for spec in specs:
        if spec.name in LEAN_GC:
            spec.env = {"GOGC": "50", **spec.env}
    return specs
