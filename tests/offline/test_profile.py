"""Profiles load, and a broken one is reported as one line naming the file, the line and the fix."""
from __future__ import annotations

import pytest

from readiness.profile import ProfileError, load_profile
from tests.suite_runner import ROOT


@pytest.mark.parametrize("name", ["254carbon", "sandbox"])
def test_shipped_profiles_load(name):
    profile = load_profile(ROOT / "profiles" / f"{name}.yaml")
    assert {h.name for h in profile.phase3.hpas} == {"trino-hpa", "superset-hpa"}
    assert profile.phase4.targets.minimum_up == 15


def _broken(tmp_path, old: str, new: str):
    text = (ROOT / "profiles/254carbon.yaml").read_text()
    assert old in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    message = str(err.value)
    assert "\n" not in message
    line = next(i for i, text_line in enumerate(path.read_text().splitlines(), 1) if new.strip() in text_line)
    return message, line


def test_unknown_key_names_line_and_fix(tmp_path):
    message, line = _broken(tmp_path, "  quota_max_used_percent: 90", "  quota_max_used_percnt: 90")
    assert message.startswith(f"{tmp_path / 'p.yaml'}:{line}: phase3.quota_max_used_percnt: unknown key")


def test_wrong_type_names_the_value(tmp_path):
    message, line = _broken(tmp_path, "min_ready_workers: 3", "min_ready_workers: three")
    assert f":{line}: phase3.nodes.min_ready_workers:" in message and "'three'" in message


def test_min_above_max_is_refused(tmp_path):
    message, _ = _broken(tmp_path, "min_replicas: 2, max_replicas: 5", "min_replicas: 6, max_replicas: 5")
    assert "min_replicas 6 is above max_replicas 5" in message


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ProfileError, match=r"bad.yaml:\d+: not valid YAML"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="cannot read the profile"):
        load_profile(tmp_path / "missing.yaml")
