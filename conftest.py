"""Wiring only: the readiness plugin (options, profile, target, verdicts) and the session fixtures."""
pytest_plugins = ["readiness.plugin", "fixtures.plugin", "chaos.plugin"]
