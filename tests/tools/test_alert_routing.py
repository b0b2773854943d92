"""The Python route evaluation agrees with Debian's amtool (the oracle) on every routing case."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from readiness import alert_routing
from readiness.profile import load_profile
from sandbox.run import configs
from sandbox.run.layout import Layout
from tests.suite_runner import ROOT

AMTOOL = shutil.which("amtool")

TRICKY = """
route:
  receiver: default
  routes:
  - receiver: db-team
    match: {team: db}
    routes:
    - receiver: db-pager
      matchers: ['severity=~"crit.*"']
  - receiver: regex-only
    match_re: {service: "^(trino|superset)$"}
    continue: true
  - matchers: ['env!="prod"', 'severity!~"info|debug"']
    receiver: nonprod
  - receiver: multi
    matchers: ['{team="web", severity="page"}']
receivers: [{name: default}, {name: db-team}, {name: db-pager}, {name: regex-only}, {name: nonprod}, {name: multi}]
"""
TRICKY_CASES = [
    {"team": "db"}, {"team": "db", "severity": "critical"}, {"service": "trino"},
    {"service": "trino", "env": "dev", "severity": "warning"}, {"service": "trinox"},
    {"env": "prod"}, {"env": "prod", "severity": "info"}, {"team": "web", "severity": "page", "env": "prod"},
    {}, {"severity": "debug"},
]

# Where the first Python routing differed from Alertmanager 0.25: duplicate receivers, non-ASCII values,
# escapes other than \\, \" and \n, an escaped backslash before a quote, RE2-only regex syntax.
DEVIATIONS = r"""
route:
  receiver: default
  routes:
  - receiver: pager
    matchers: ['severity="critical"']
    continue: true
  - receiver: pager
    matchers: ['severity="critical"']
  - receiver: french
    matchers: ['team="équipe"']
  - receiver: tab-kept
    matchers: ['path="a\tb"']
  - receiver: backslash-then-comma
    matchers: ['dir="c:\\",env="prod"']
  - receiver: posix-class
    matchers: ['code=~"[[:alpha:]]+"']
  - receiver: unicode-class
    matchers: ['city=~"\\pL+"']
receivers: [{name: default}, {name: pager}, {name: french}, {name: tab-kept}, {name: backslash-then-comma},
            {name: posix-class}, {name: unicode-class}]
"""
DEVIATION_CASES = [
    {"severity": "critical"}, {"team": "équipe"}, {"team": "equipe"}, {"path": "a\\tb"}, {"path": "a\tb"},
    {"dir": "c:\\", "env": "prod"}, {"dir": "c:\\", "env": "dev"}, {"code": "abc"}, {"code": "ab1"},
    {"city": "Zürich"}, {"city": "Zürich1"},
]
INVALID_REGEX = """
route:
  receiver: default
  routes: [{receiver: x, matchers: ['a=~"(?<=b)c"']}]
receivers: [{name: default}, {name: x}]
"""


def _amtool_label(name: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{name}="{escaped}"'


def amtool_receivers(config_file: Path, labels: dict[str, str]) -> list[str]:
    assert AMTOOL, "amtool is missing: scripts/setup.sh installs it (Debian prometheus-alertmanager)"
    proc = subprocess.run([AMTOOL, "config", "routes", "test", f"--config.file={config_file}",
                           *[_amtool_label(k, v) for k, v in labels.items()]], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().split(",")


def _cases():
    sandbox_config = yaml.safe_dump(configs.alertmanager_config(Layout(Path("/nonexistent"))))
    profile_cases = [c.labels for c in load_profile(ROOT / "profiles/254carbon.yaml").phase4.alerting.routing]
    for labels in profile_cases + [{"severity": "warning"}, {"severity": "critical", "team": "x"}]:
        yield pytest.param(sandbox_config, labels, id=f"sandbox-{labels}")
    for labels in TRICKY_CASES:
        yield pytest.param(TRICKY, labels, id=f"tricky-{labels}")
    for labels in DEVIATION_CASES:
        yield pytest.param(DEVIATIONS, labels, id=f"deviation-{labels}")


@pytest.mark.parametrize(("config_text", "labels"), list(_cases()))
def test_python_routing_matches_amtool(tmp_path, config_text, labels):
    path = tmp_path / "alertmanager.yml"
    path.write_text(config_text)
    tree, _ = alert_routing.parse_config(config_text)
    assert alert_routing.receivers_for(tree, labels) == amtool_receivers(path, labels)


def test_integrations_found_per_receiver():
    _, receivers = alert_routing.parse_config(yaml.safe_dump(configs.alertmanager_config(Layout(Path("/x")))))
    found = alert_routing.integrations(receivers)
    assert found == {"email": ["email-platform-team", "email-oncall"], "pagerduty": ["pagerduty-critical"],
                     "slack": ["slack-platform"]}


def test_quoted_matcher_with_comma_and_escape():
    matcher = alert_routing.parse_matcher('summary="a, \\"b\\""')
    assert (matcher.name, matcher.op, matcher.value) == ("summary", "=", 'a, "b"')


def test_invalid_regex_is_refused_like_alertmanager(tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(INVALID_REGEX)
    assert AMTOOL, "amtool is missing: scripts/setup.sh installs it"
    proc = subprocess.run([AMTOOL, "config", "routes", "test", f"--config.file={path}", "a=c"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0, "amtool accepted a regex that RE2 rejects"
    with pytest.raises(alert_routing.RoutingError, match="invalid regular expression"):
        alert_routing.parse_config(INVALID_REGEX)


def test_duplicate_receivers_are_kept():
    tree, _ = alert_routing.parse_config(DEVIATIONS)
    assert alert_routing.receivers_for(tree, {"severity": "critical"}) == ["pager", "pager"]
