"""Wiring only: the gate's plugin (reporting, collection, verdicts, options: plugin.PARTS), the session fixtures
and chaos."""
pytest_plugins = ["reporting.plugin", "plugin.collection", "plugin.verdicts", "plugin.options",
                  "fixtures.plugin", "chaos.plugin"]
