"""The top layer: the pytest plugin that makes the suites a gate, and the tools that read every layer.

- ``plugin.options``: options, the profile and target, the gate's policy and waivers, the report header;
- ``plugin.collection``: criterion selection, Allure labels, refusals (chaos, notifications, profile skips);
- ``plugin.verdicts``: each case's verdict, waivers applied to failures;
- ``reporting.plugin`` (with the code it drives): the status summary, the gate's exit code, Allure extras;
- ``plugin.catalog`` and ``plugin.deploy``: the criteria catalog and the in-cluster manifests.

Imports run one way, checked by import-linter (pyproject.toml ``[tool.importlinter]``):
plugin > suites | chaos | reporting > fixtures > readiness.
"""

# Every part of the plugin, loaded by conftest.py's pytest_plugins (a module before the ones that import it, so
# pytest can rewrite its asserts); a gate refuses to run without any of them.
PARTS = ("reporting.plugin", "plugin.collection", "plugin.verdicts", "plugin.options")
