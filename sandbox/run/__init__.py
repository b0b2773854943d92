"""Running the sandbox: its processes, their configuration and certificates, and talking to its API server.

- ``cluster.py``: up, status, down.
- ``components.py``: every process, in start order; ``processes.py``: the supervisor that runs them.
- ``configs.py``: the real servers' configuration files (Prometheus, Alertmanager, Loki, ...); ``pki.py``: certificates.
- ``layout.py``: ports and files of one instance; ``paths.py``: the build cache and state directories.
- ``kube.py``: kubectl, apply and bounded waits against the sandbox's API server.
"""
