"""The platform's objects, as the sandbox deploys them: what the suite reads.

- ``platform.py``: the reference data platform (services, HPAs, PDBs, quotas, policies, custom resources).
- ``infrastructure.py``: what a well-run cluster's own controllers present (DNS, storage, ingresses, RBAC, ...).
- ``dashboards.py``: the Grafana dashboards.
"""
