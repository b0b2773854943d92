"""Wiring only: the gate's plugin (plugin.PARTS: reporting, collection, verdicts, options), the session fixtures
and chaos."""
from plugin import PARTS

pytest_plugins = [*PARTS, "fixtures.plugin", "chaos.plugin"]
