"""No data is never a pass: every criterion of the catalog, fed an empty platform, fails or is broken.

The catalog is walked, so a new criterion is covered without editing this test. Each check is called directly
with recorded empty answers (tests/fakes.py): an empty cluster, Prometheus, Loki, Alertmanager and Grafana.
A check parametrized per profile object runs once per object of each shipped profile.
"""
from __future__ import annotations

import pytest

from plugin.catalog import load_all
from readiness.profile import load_profile
from tests.fakes import (FakeAlertmanager, FakeGrafana, FakeLoki, FakeNodeChaos, FakeLive, FakePrometheus,
                         FakeSnapshot, checks, empty_world, judged)
from tests.suite_runner import ROOT

PROFILES = {name: load_profile(ROOT / "profiles" / f"{name}.yaml") for name in ("254carbon", "sandbox")}
CHECKS = checks()


def _cases():
    for cid in load_all():
        for fn in CHECKS.get(cid, []):
            for name, profile in PROFILES.items():
                spec = getattr(fn, "per_profile", None)
                params = list(profile.at(spec.path) or []) if spec else [None]
                for param in params:
                    label = f"-{spec.ident(param)}" if spec else ""
                    yield pytest.param(cid, fn, profile, param, id=f"{cid}-{name}{label}")


def test_every_criterion_has_a_check():
    assert set(load_all()) == set(CHECKS), "a criterion without a check function, or the reverse"


@pytest.mark.parametrize(("cid", "fn", "profile", "param"), list(_cases()))
def test_empty_platform_is_never_a_pass(cid, fn, profile, param):
    verdict, message = judged(cid, fn, empty_world(profile), param)
    assert verdict in ("failed", "broken"), f"{cid} {verdict} on an empty platform: {message!r}"


# The same, with the APIs of optional kinds not installed at all, and with endpoints that answer but hold
# nothing in other ways (an Alertmanager with no configuration, a Loki that is not ready).
OTHER_EMPTINESS = {
    "kinds not served": lambda profile: {**empty_world(profile), "snapshot": FakeSnapshot(not_served={
        "servicemonitors", "podmonitors", "prometheusrules", "certificates", "node_metrics", "pod_metrics",
        "hpas", "pdbs"})},
    "no alertmanager configuration": lambda profile: {**empty_world(profile),
                                                      "alertmanager": FakeAlertmanager(config="")},
    "loki not ready, grafana without health": lambda profile: {
        **empty_world(profile), "loki": FakeLoki(ready={"http": 503, "body": "Ingester not ready"}),
        "grafana": FakeGrafana(health={})},
}


@pytest.mark.parametrize("variant", sorted(OTHER_EMPTINESS))
def test_other_kinds_of_nothing_are_never_a_pass(variant):
    profile = PROFILES["sandbox"]
    for cid in load_all():
        for fn in CHECKS[cid]:
            spec = getattr(fn, "per_profile", None)
            for param in (list(profile.at(spec.path)) if spec else [None]):
                verdict, message = judged(cid, fn, OTHER_EMPTINESS[variant](profile), param)
                assert verdict in ("failed", "broken"), f"{cid} {verdict} with {variant}: {message!r}"


def test_fakes_are_importable_for_new_checks():
    # A check asking for a fixture no fake provides fails loudly in run_check rather than passing.
    assert {"snapshot", "prometheus", "alertmanager", "loki", "grafana", "profile", "node_chaos"} <= set(
        empty_world(PROFILES["sandbox"]))
    assert FakeLive().nodes() == [] and FakeNodeChaos(FakeLive()).live.pods() == []
    assert FakePrometheus().query("up") == []
