"""The platform's services that run as real processes beside the cluster, or stand in for one.

- ``data_services.py``: Kafka and OpenSearch with their exporters; ``secrets_store.py``: Vault.
- ``edge.py``: the TLS edge; ``sinks.py``: where Alertmanager's notifications land.
- ``grafana.py``: a stand-in for Grafana's API; ``gitops.py``: a stand-in for Argo CD's application controller.
- ``loadtest.py``: the nightly load test, pushing its results to the Pushgateway.
"""
