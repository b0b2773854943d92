"""The platform's data services that can really run here: Kafka (KRaft, one broker) and OpenSearch (one node,
the platform's Elasticsearch backend), each with its Prometheus exporter as a separate process, as in
production: the exporter stays up when its backend goes away, and says so in its metrics.

- Kafka 4.4.0 from Maven Central jars; its JMX is read by the Prometheus JMX exporter (jmx_prometheus_httpserver
  1.0.1), whose rules name the active broker count ``kafka_brokers`` as kafka_exporter does.
- OpenSearch 2.19.6 embedded from Maven Central jars (sandbox/build/java/opensearch); Debian's
  prometheus-elasticsearch-exporter 1.5.0 reads its cluster health.
"""
from __future__ import annotations

import base64
import subprocess
import uuid

import requests

from sandbox.build import maven
from sandbox.run.layout import Layout
from sandbox.run.processes import ProcessSpec

JAVA = "/usr/bin/java"


def kafka_dir(layout: Layout):
    return layout.data / "kafka"


def kafka_properties(layout: Layout) -> str:
    p = layout.ports
    return "\n".join([
        "process.roles=broker,controller", "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{p.kafka_controller}",
        f"listeners=PLAINTEXT://127.0.0.1:{p.kafka},CONTROLLER://127.0.0.1:{p.kafka_controller}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{p.kafka}", "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT", f"log.dirs={kafka_dir(layout)}",
        "offsets.topic.replication.factor=1", "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1", "group.initial.rebalance.delay.ms=0", ""])


def kafka_exporter_config(layout: Layout) -> dict:
    return {"hostPort": f"127.0.0.1:{layout.ports.kafka_jmx}", "lowercaseOutputName": True,
            "includeObjectNames": ["kafka.controller:type=KafkaController,*", "kafka.server:type=KafkaServer,*",
                                   "kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions"],
            "rules": [{"pattern": "kafka.controller<type=KafkaController, name=ActiveBrokerCount><>Value",
                       "name": "kafka_brokers", "type": "GAUGE",
                       "help": "Brokers registered and unfenced in the cluster (as kafka_exporter names it)"},
                      {"pattern": ".*"}]}


def prepare(layout: Layout) -> None:
    """Format Kafka's storage once (a KRaft cluster needs a cluster ID before its first start)."""
    config = layout.config / "kafka.properties"
    config.write_text(kafka_properties(layout))
    (layout.data / "opensearch" / "config").mkdir(parents=True, exist_ok=True)
    if (kafka_dir(layout) / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    # "--cluster-id=" keeps an ID that starts with "-" (one in 32 do) from being read as an option
    proc = subprocess.run([JAVA, "-cp", maven.classpath("kafka"), "kafka.tools.StorageTool", "format",
                           f"--cluster-id={cluster_id}", "-c", str(config)], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        tail = [line for line in (proc.stderr + proc.stdout).splitlines() if not line.startswith("\tat ")][-3:]
        raise RuntimeError(f"formatting Kafka's storage failed (exit {proc.returncode}): {' | '.join(tail)}")


def _health_answers(layout: Layout) -> bool:
    body = requests.get(f"{layout.url('opensearch')}/_cluster/health", timeout=2).json()
    return body.get("status") in ("green", "yellow", "red")


def specs(layout: Layout) -> list[ProcessSpec]:
    p = layout.ports
    jmx = [f"-Dcom.sun.management.jmxremote.port={p.kafka_jmx}", f"-Dcom.sun.management.jmxremote.rmi.port={p.kafka_jmx}",
           "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false",
           "-Djava.rmi.server.hostname=127.0.0.1", "-Dcom.sun.management.jmxremote.host=127.0.0.1"]
    exporter_jar = next((maven.home("kafka") / "lib").glob("jmx_prometheus_httpserver-*.jar"), None) \
        if (maven.home("kafka") / "lib").exists() else None
    return [
        ProcessSpec("kafka", [JAVA, "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", *jmx, "-cp",
                              maven.classpath("kafka"), "kafka.Kafka", str(layout.config / "kafka.properties")],
                    port=p.kafka),
        ProcessSpec("kafka-exporter", [JAVA, "-Xmx48m", "-XX:+UseSerialGC", "-jar", str(exporter_jar),
                                       f"127.0.0.1:{p.kafka_exporter}", str(layout.config / "kafka-exporter.yaml")],
                    port=p.kafka_exporter),
        ProcessSpec("opensearch", [JAVA, "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                                   maven.classpath("opensearch"), "sandbox.OpenSearchNode",
                                   str(layout.data / "opensearch"), str(p.opensearch), str(p.opensearch_transport)],
                    port=p.opensearch, ready=lambda: _health_answers(layout)),
        ProcessSpec("elasticsearch-exporter", ["/usr/bin/prometheus-elasticsearch-exporter",
                                               f"--web.listen-address=127.0.0.1:{p.elasticsearch_exporter}",
                                               f"--es.uri={layout.url('opensearch')}", "--es.timeout=3s"],
                    port=p.elasticsearch_exporter),
    ]


RED_INDEX = "sandbox-unassignable"


def make_red(layout: Layout) -> None:
    """An index whose primary shard can be allocated to no node: the cluster's health turns red."""
    # wait_for_active_shards=0: the create call itself must not wait for a shard that will never start
    requests.put(f"{layout.url('opensearch')}/{RED_INDEX}?wait_for_active_shards=0", timeout=10, json={"settings": {
        "number_of_shards": 1, "number_of_replicas": 0,
        "index.routing.allocation.require._name": "no-such-node"}}).raise_for_status()


def heal_red(layout: Layout) -> None:
    response = requests.delete(f"{layout.url('opensearch')}/{RED_INDEX}", timeout=10)
    if response.status_code not in (200, 404):
        response.raise_for_status()
