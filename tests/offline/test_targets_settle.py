"""P4-TARGETS and a target Prometheus found but has not scraped yet (health 'unknown', recorded answers).

A pod that a rollout just replaced is such a target for one scrape interval: the check reads the targets
again until that interval has passed, and only a target still never scraped then counts against it.
"""
from fixtures import monitoring
from suites.phase4 import test_targets as targets_check
from tests.builders import target
from tests.fakes import FakePrometheus, empty_world, run_check
from tests.offline.test_false_passes import SANDBOX, profile_with

NEVER = "0001-01-01T00:00:00Z"


def _targets(cloudflared_health: str, last_scrape: str) -> list[dict]:
    found = [target(job, f"{job}-0") for job in SANDBOX.phase4.targets.required_jobs]
    found += [target("filler", f"f-{i}") for i in range(SANDBOX.phase4.targets.minimum_up)]
    fresh = target("cloudflared", "cloudflared-new", cloudflared_health)
    fresh.update(lastScrape=last_scrape, scrapeInterval="1s")
    return found + [fresh]


def _check(prometheus: FakePrometheus):
    profile = profile_with({"phase4.targets.required_jobs": [*SANDBOX.phase4.targets.required_jobs, "cloudflared"]})
    return run_check(targets_check.test_enough_targets_up_and_required_jobs_healthy,
                     {**empty_world(profile), "prometheus": prometheus})


def test_a_target_scraped_within_its_interval_passes(monkeypatch):
    monkeypatch.setattr(monitoring, "UNSCRAPED_GRACE_S", 1)
    prometheus = FakePrometheus(targets=[_targets("unknown", NEVER), _targets("up", "2026-11-27T08:00:00Z")])
    assert _check(prometheus) == ("passed", "")


def test_a_target_still_never_scraped_after_its_interval_fails_named(monkeypatch):
    monkeypatch.setattr(monitoring, "UNSCRAPED_GRACE_S", 1)
    prometheus = FakePrometheus(targets=[_targets("unknown", NEVER)])
    verdict, message = _check(prometheus)
    assert verdict == "failed" and "job cloudflared target cloudflared-new: unknown (never scraped" in message


def test_a_target_down_is_not_waited_for():
    prometheus = FakePrometheus(targets=[_targets("down", "2026-11-27T08:00:00Z")])
    verdict, message = _check(prometheus)
    assert verdict == "failed" and "job cloudflared target cloudflared-new: down" in message
