"""PromQL on Prometheus' own engine: the promtool harness (tests/promql/promtool.py) and its self-tests."""
