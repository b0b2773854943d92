"""KUBECONFIG with several paths is merged as kubectl merges it (client-go's loading rules)."""
from __future__ import annotations

import os

import pytest
import yaml

from fixtures import kubeconfig
from fixtures.target import Target, TargetError, resolve


def _config(name: str, server: str, current: str | None = None, **cluster) -> dict:
    return {"apiVersion": "v1", "kind": "Config", "current-context": current,
            "clusters": [{"name": name, "cluster": {"server": server, **cluster}}],
            "users": [{"name": name, "user": {"token": name}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}]}


def _write(path, data) -> str:
    path.write_text("" if data is None else yaml.safe_dump(data))
    return str(path)


def test_first_file_wins_for_names_and_current_context(tmp_path):
    a = _write(tmp_path / "a", _config("shared", "https://a:6443", current="shared"))
    b = _write(tmp_path / "b", {**_config("shared", "https://b:6443", current="other"),
                                "contexts": [{"name": "shared", "context": {"cluster": "shared", "user": "shared"}},
                                             {"name": "other", "context": {"cluster": "shared", "user": "shared"}}]})
    merged = kubeconfig.merge(os.pathsep.join([a, b]))
    assert merged["current-context"] == "shared"
    assert [c["cluster"]["server"] for c in merged["clusters"]] == ["https://a:6443"]
    assert [c["name"] for c in merged["contexts"]] == ["shared", "other"]


def test_missing_and_empty_files_are_skipped_and_a_later_file_may_set_the_context(tmp_path):
    empty = _write(tmp_path / "empty.yaml", None)
    real = _write(tmp_path / "real.yaml", _config("real", "https://real:6443", current="real"))
    value = os.pathsep.join([str(tmp_path / "missing"), empty, real])
    target = resolve(None, None, {}, {}, env={"KUBECONFIG": value})
    assert target.context == "real" and target.kubeconfig == value
    assert target.api_client().configuration.host == "https://real:6443"


def test_relative_paths_resolve_against_their_own_file(tmp_path):
    (tmp_path / "sub").mkdir()
    ca = tmp_path / "sub" / "ca.crt"
    ca.write_text("not used")
    first = _write(tmp_path / "sub" / "k",
                   _config("x", "https://x:6443", current="x", **{"certificate-authority": "ca.crt"}))
    merged = kubeconfig.merge(os.pathsep.join([first, str(tmp_path / "none")]))
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == str(ca)


def test_no_usable_file_is_a_one_line_error(tmp_path):
    empty = _write(tmp_path / "empty.yaml", None)
    with pytest.raises(TargetError, match="none of its files holds a configuration"):
        resolve(None, None, {}, {}, env={"KUBECONFIG": os.pathsep.join([empty, str(tmp_path / "missing")])})


def test_target_describes_the_list(tmp_path):
    real = _write(tmp_path / "real.yaml", _config("real", "https://real:6443", current="real"))
    value = os.pathsep.join([str(tmp_path / "missing"), real])
    assert value in Target(value, "real", False, {}).describe()


@pytest.mark.parametrize("bad, message", [
    ({"kind": "Pod"}, "not a kubeconfig"),
    ({"apiVersion": "v2"}, "not a kubeconfig"),
    ({"clusters": [{"name": "a", "cluster": {"server": "https://a", "insecure-skip-tls-verify": "false"}}]},
     "insecure-skip-tls-verify must be true or false"),
    ({"clusters": [{"name": "a", "cluster": {"server": "https://a"}}, {"name": "a", "cluster": {"server": "https://b"}}]},
     "each name once"),
])
def test_a_file_kubectl_refuses_is_refused(tmp_path, bad, message):
    broken = _write(tmp_path / "bad.yaml", {**_config("real", "https://real:6443", current="real"), **bad})
    real = _write(tmp_path / "real.yaml", _config("real", "https://real:6443", current="real"))
    for env in ({"KUBECONFIG": os.pathsep.join([broken, real])}, {"KUBECONFIG": broken}):
        with pytest.raises(TargetError, match=message):
            resolve(None, None, {}, {}, env=env)


def test_kubeconfig_option_is_one_file_and_relative_entries_become_absolute(tmp_path, monkeypatch):
    real = _write(tmp_path / "real.yaml", _config("real", "https://real:6443", current="real"))
    with pytest.raises(TargetError, match="does not exist"):
        resolve(os.pathsep.join([real, real]), None, {}, {}, env={})
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "k", _config("x", "https://x:6443", current="x", **{"certificate-authority": "ca.crt"}))
    monkeypatch.chdir(tmp_path)
    merged = kubeconfig.merge(os.pathsep.join(["sub/k", "missing"]))
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "sub" / "ca.crt")
