"""Ports and files of one sandbox instance. Every service listens on 127.0.0.1 only."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox.run.paths import bin_dir, state_dir


@dataclass(frozen=True)
class Ports:
    etcd: int = 16379
    etcd_peer: int = 16380
    apiserver: int = 16443
    controller_manager: int = 16257
    scheduler: int = 16259
    kwok: int = 16250
    metrics_server: int = 16251
    prometheus: int = 19090
    alertmanager: int = 19093
    node_exporter: int = 19100
    blackbox_exporter: int = 19115
    postgres: int = 15432
    postgres_exporter: int = 19187
    pushgateway: int = 19091
    loki: int = 13100
    loki_grpc: int = 19096
    grafana: int = 13000
    sinks_http: int = 18080
    sinks_smtp: int = 12525
    agent: int = 18081
    kafka: int = 19092
    kafka_controller: int = 19095
    kafka_jmx: int = 19099
    kafka_exporter: int = 19308
    opensearch: int = 19200
    opensearch_transport: int = 19300
    elasticsearch_exporter: int = 19114
    edge: int = 18443
    vault: int = 18200
    seaweedfs_master: int = 18333      # each SeaweedFS server's gRPC port is its HTTP port + 10000
    seaweedfs_volume: int = 18334
    seaweedfs_filer: int = 18335
    seaweedfs_s3: int = 18336
    velero_metrics: int = 18085
    velero_profiler: int = 18086


@dataclass(frozen=True)
class Layout:
    root: Path
    ports: Ports = Ports()

    @classmethod
    def default(cls) -> "Layout":
        return cls(state_dir())

    @property
    def bin(self) -> Path:
        return bin_dir()

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sinks(self) -> Path:
        return self.root / "sinks"

    @property
    def faults(self) -> Path:
        return self.root / "faults.json"

    @property
    def workers(self) -> int:
        """The simulated workers of this sandbox (``up --nodes``), 3 until an ``up`` records another count."""
        try:
            return int((self.root / "workers").read_text())
        except (OSError, ValueError):
            return 3

    def url(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{getattr(self.ports, name)}"

    def env(self) -> dict[str, str]:
        """What the suite reads to find this sandbox (``python -m sandbox env``)."""
        return {
            "KUBECONFIG": str(self.kubeconfig),
            "PROMETHEUS_URL": self.url("prometheus"),
            "ALERTMANAGER_URL": self.url("alertmanager"),
            "LOKI_URL": self.url("loki"),
            "GRAFANA_URL": self.url("grafana"),
            "VAULT_URL": self.url("vault"),
            "READINESS_CA_BUNDLE": str(self.pki / "platform-ca.crt"),     # cert-manager's CA issuer's
            "READINESS_SANDBOX_SINKS": self.url("sinks_http"),
        }
