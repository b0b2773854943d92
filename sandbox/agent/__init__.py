"""The sandbox agent: what kubelets, the log agent and the workloads themselves would do on a real cluster.

- ``loop.py``: the agent process (``python -m sandbox.agent.loop``): pod readiness, the workloads' answers and
  metrics, service discovery for Prometheus.
- ``heartbeat.py``: a stopped simulated kubelet renews no lease; ``logs.py``: kubelet log files and promtails.
- ``mirror.py``: watched copies of what the agent reads; ``rawapi.py``: its plain-JSON list reads.
- ``rebalance.py``: what a descheduler does after heal; ``filler.py``: filler workloads for the benchmark.
"""
