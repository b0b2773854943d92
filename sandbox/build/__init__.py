"""Building the sandbox's components into the cache outside the source tree (``~/.cache/platform-readiness``).

- ``go.py``: the Go components (Kubernetes, etcd, kwok, Loki, Vault, ...), each from its upstream module.
- ``maven.py``: the Java components (Kafka, OpenSearch), fetched by Maven from the poms under ``java/``.
- ``python -m sandbox.build`` builds what is missing without starting anything.
"""
