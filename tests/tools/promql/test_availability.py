"""P8-AVAILABILITY on Prometheus' engine: the seven shapes and the issue's examples over the 254carbon window of
30 days, probed hourly (promtool's engine refuses queries that load over 10,000 samples; the real one allows
50 million, so 254carbon's 30 s probes are judged the same way at 720 times the points)."""
from __future__ import annotations

import pytest

from suites.phase8.test_availability import test_critical_services_meet_availability_objective as check
from tests.builders import tuned
from tests.tools.promql.promtool import metric
from tests.tools.promql.shapes import DAY, SANDBOX, assert_shape, params, verdict

KEPT = ("trino", "portal", "vault")      # three critical services: promtool's sample limit (see above)
WORKLOADS = [{**w, "critical": w["critical"] and w["name"] in KEPT} for w in SANDBOX.model_dump()["platform"]["workloads"]]
PROFILE = tuned(SANDBOX, **{"platform.workloads": WORKLOADS, "phase8.availability.window": "30d", "phase8.availability.interval": "1h",
                           "phase8.availability.min_coverage_s": 7 * DAY, "prometheus.max_sample_age_s": 7200})
STEPS = 30 * 24                             # samples in the window
AT = 30 * DAY
CRITICAL = [w for w in PROFILE.platform.critical]


def probe(service: str, instance: str | None = None) -> str:
    ref = next(w for w in CRITICAL if w.name == service)
    return metric("probe_success", {"job": "service-probes", "namespace": ref.namespace, "service": service,
                                    "instance": instance or f"http://{service}.probe"})


def world(**portal: str) -> dict[str, str]:
    """Every critical service probed successfully for 30 days, the portal's series replaced as given."""
    series = {probe(w.name): f"1x{STEPS}" for w in CRITICAL if w.name != "portal"}
    return {**series, **{(probe("portal") if k == "portal" else k): v for k, v in portal.items()}}


def run(series) -> tuple[str, str]:
    return verdict(check, PROFILE, series, AT, "1h")


SHAPES = {
    "healthy": (world(portal=f"1x{STEPS}"), "passed", ""),
    # The example: the series disappeared 10 days ago; its last 20 days were all up.
    "stale": (world(portal=f"1x{STEPS - 240} stale"), "broken", "newest sample 10.0d old"),
    # The example: a 10-day hole in the middle of the window.
    "gap": (world(portal=f"1x240 _x240 1x{STEPS - 481}"), "failed",
            "service data-platform/portal: 67.0% of the 30.0d window's 721 steps of 1h hold a probe result"),
    "vanished": (world(), "failed", 'service="portal": no sample in the last 30d, expected one'),
    "nan": (world(portal=f"1x{STEPS - 10} NaN 1x9"), "broken", "is not a 0/1 probe result"),
    # Counter-reset analog for a 0/1 gauge: the prober restarted under a new instance label halfway through;
    # the service is still covered at every step.
    "counter-reset": ({**world(), probe("portal", "a"): f"1x{STEPS // 2} stale",
                       probe("portal", "b"): f"_x{STEPS // 2 + 1} 1x{STEPS // 2 - 1}"}, "passed", ""),
    # Missing-bucket analog: relabeling lost the label the check groups by, so the portal's probes exist but
    # are not the portal's.
    "missing-bucket": ({**world(), metric("probe_success", {"job": "service-probes"}): f"1x{STEPS}"}, "failed",
                       'service="portal": no sample in the last 30d'),
}


ROWS = {"stale": pytest.mark.row("P8-AVAILABILITY", "vanished"),
        "gap": pytest.mark.row("P8-AVAILABILITY", "hole-in-window"),
        "vanished": pytest.mark.row("P8-AVAILABILITY", "never-probed"),
        "nan": pytest.mark.row("P8-AVAILABILITY", "nan-results"),
        "missing-bucket": pytest.mark.row("P8-AVAILABILITY", "unlabelled-probes")}


@pytest.mark.parametrize("shape", params(SHAPES, ROWS))
def test_availability_shape(shape):
    assert_shape(run, SHAPES, shape)


@pytest.mark.row("P8-AVAILABILITY", "outage-20h")
def test_a_recorded_20_hour_outage_fails_on_availability_with_the_budget():
    got, message = run(world(portal=f"1x400 0x19 1x{STEPS - 420}"))
    assert got == "failed" and "service data-platform/portal: availability 97.2261% over 30.0d, below the " \
        "objective 99.900%" in message, message


@pytest.mark.row("P8-AVAILABILITY", "short-history")
def test_a_week_of_data_is_judged_on_its_span_and_less_than_the_minimum_fails():
    eight_days, six_days = 8 * 24, 6 * 24
    assert run({p: f"_x{STEPS - eight_days} 1x{eight_days}" for p in map(probe, (w.name for w in CRITICAL))}) \
        == ("passed", "")
    got, message = run(world(portal=f"_x{STEPS - six_days} 1x{six_days}"))
    assert got == "failed" and "service data-platform/portal: only 6.0d of probe data in the 30d window, expected " \
        "at least 7.0d" in message, message


def test_gaps_excluded_by_the_profile_still_need_the_coverage():
    excluded = tuned(PROFILE, **{"phase8.availability.gaps": "excluded", "phase8.availability.min_coverage": 0.5})
    assert verdict(check, excluded, world(portal=f"1x240 _x240 1x{STEPS - 481}"), AT, "1h") == ("passed", "")
    got, message = verdict(check, excluded, world(portal=f"1x100 _x500 1x{STEPS - 601}"), AT, "1h")
    assert got == "failed" and "expected at least 50.00% (gaps in the probe data count as unknown)" in message


@pytest.mark.row("P8-AVAILABILITY", "one-probe-failing")
def test_one_failing_probe_of_two_makes_its_steps_down():
    failing = f"1x{STEPS - 100} 0x71 1x27"                 # down for 72 of 721 hourly steps
    got, message = run({**world(), probe("portal", "eu"): f"1x{STEPS}", probe("portal", "us"): failing})
    assert got == "failed" and "service data-platform/portal: availability 90.0139%" in message, message
