"""P6-SERVICE-LATENCY and P6-BENCHMARK on Prometheus' engine: the seven shapes each, with the 254carbon
objectives (an ingress p95 from nginx's histogram, the portal's probe duration) and the sandbox's load test."""
from __future__ import annotations

import pytest

from suites.phase6.test_service_latency import test_latest_benchmark_recent_and_within_thresholds as benchmark
from suites.phase6.test_service_latency import test_service_latency_within_objectives as latency
from tests.builders import tuned
from tests.tools.promql.promtool import metric
from tests.tools.promql.shapes import HOUR, REFERENCE, SANDBOX, assert_shape, params, verdict

STEPS = 120                                   # 30 s samples in the hour
NGINX = "nginx_ingress_controller_request_duration_seconds"
FAST = {"0.25": 10, "1": 10, "2.5": 10, "+Inf": 10}
SLOW = {"0.25": 1, "1": 2, "2.5": 10, "+Inf": 10}         # most requests between 1 s and 2.5 s


def ingress(name: str, per_step: dict[str, int] = FAST, values=lambda r: f"0+{r}x{STEPS}",
            buckets=("0.25", "1", "2.5", "+Inf")) -> dict[str, str]:
    labels = {"job": "ingress-nginx", "ingress": name, "namespace": "data-platform"}
    series = {metric(f"{NGINX}_bucket", {**labels, "le": le}): values(per_step[le]) for le in buckets}
    series[metric(f"{NGINX}_count", labels)] = values(per_step["+Inf"])
    return series


PROBED = {"job": "blackbox", "instance": "https://portal.254carbon.com"}
PORTAL_PROBE = {metric("probe_duration_seconds", PROBED): f"0.2x{STEPS}", metric("probe_success", PROBED): f"1x{STEPS}"}


def site(portal: dict | None = None, superset: dict | None = None) -> dict[str, str]:
    """Both ingresses serving fast and the portal probed, each ingress's series replaced whole when given."""
    return {**(portal or ingress("portal")), **(superset or ingress("superset")), **PORTAL_PROBE}


def judge(series) -> tuple[str, str]:
    return verdict(latency, REFERENCE, series, HOUR, "30s")


LATENCY_SHAPES = {
    "healthy": (site(), "passed", ""),
    "stale": ({**ingress("portal", values=lambda r: f"0+{r}x60 stale"),
               **ingress("superset", values=lambda r: f"0+{r}x60 stale"), **PORTAL_PROBE},
              "broken", 'with ingress="portal": newest sample 30m old'),
    # Ten minutes without scrapes, long before the 5-minute rate window: nothing to judge by is missing.
    "gap": (site(portal=ingress("portal", values=lambda r: f"0+{r}x40 _x20 {r * 61}+{r}x59")), "passed", ""),
    "vanished": (site(superset=ingress("superset", values=lambda r: f"0+{r}x80 stale")),
                 "broken", 'with ingress="superset": newest sample 20m old'),
    # The healthy example: an idle ingress's p95 is NaN, and its requests query shows none.
    "nan": (site(superset=ingress("superset", values=lambda r: f"{r}x{STEPS}")), "passed", ""),
    "counter-reset": (site(portal=ingress("portal", values=lambda r: f"0+{r}x60 0+{r}x59")), "passed", ""),
    "missing-bucket": (site(superset=ingress("superset", buckets=("0.25", "1", "2.5"))), "broken",
                       'objective ingress-p95 {ingress="superset"}: no value (NaN) and its requests query shows '
                       "traffic"),
}


LATENCY_ROWS = {"stale": pytest.mark.row("P6-SERVICE-LATENCY", "stale-histogram"),
                "vanished": pytest.mark.row("P6-SERVICE-LATENCY", "ingress-unscraped"),
                "missing-bucket": pytest.mark.row("P6-SERVICE-LATENCY", "missing-inf-bucket")}


@pytest.mark.parametrize("shape", params(LATENCY_SHAPES, LATENCY_ROWS))
def test_service_latency_shape(shape):
    assert_shape(judge, LATENCY_SHAPES, shape)


@pytest.mark.row("P6-SERVICE-LATENCY", "slow-among-fast")
def test_a_slow_ingress_fails_named_with_its_p95():
    got, message = judge(site(portal=ingress("portal", SLOW)))
    assert got == "failed" and 'objective ingress-p95 {ingress="portal"}: 2' in message \
        and "expected at most 1s" in message and "superset" not in message, message


@pytest.mark.row("P6-SERVICE-LATENCY", "nan-without-requests-query")
def test_nan_without_a_requests_query_is_broken_not_idle():
    got, message = judge({**ingress("portal"), **ingress("superset"),
                          **PORTAL_PROBE, metric("probe_duration_seconds", PROBED): " ".join(["NaN"] * (STEPS + 1))})
    assert got == "broken" and "objective portal-probe {instance=\"https://portal.254carbon.com\", " \
        "job=\"blackbox\"}: no value (NaN) and no requests query shows it idle" in message, message


@pytest.mark.row("P6-SERVICE-LATENCY", "expected-ingress-absent")
def test_an_expected_ingress_that_never_reports_fails_named():
    expecting = tuned(REFERENCE, **{"phase6.service_latency": [
        {**t.model_dump(), "expected": ["portal", "superset", "trino"] if t.per else []}
        for t in REFERENCE.phase6.service_latency]})
    got, message = verdict(latency, expecting, site(), HOUR, "30s")
    assert got == "failed" and 'nginx_ingress_controller_request_duration_seconds_bucket with ingress="trino": no ' \
        "sample in the last 1h, expected one" in message, message


def test_a_probe_that_stopped_is_broken_not_judged_on_its_last_values():
    got, message = judge({**ingress("portal"), **ingress("superset"),
                          **{k: v.replace(f"x{STEPS}", "x100 stale") for k, v in PORTAL_PROBE.items()}})
    assert got == "broken" and "newest sample 10m old" in message, message


# The load test pushes to the Pushgateway every minute; Prometheus scrapes the Pushgateway every 30 s.
LOADTEST = tuned(SANDBOX, **{"phase6.benchmark.max_age_s": 600, "prometheus.max_sample_age_s": 120,
                             "phase6.benchmark.thresholds": [
                                 {**t.model_dump(), "expected": ["portal", "trino"]}
                                 for t in SANDBOX.phase6.benchmark.thresholds]})
PUSHED = metric("push_time_seconds", {"job": "loadtest", "instance": "sandbox"})


def figures(service: str, p95: str = f"0.1x{STEPS}", errors: str = f"0x{STEPS}") -> dict[str, str]:
    labels = {"job": "loadtest", "instance": "sandbox", "service": service}
    return {metric("loadtest_latency_p95_seconds", labels): p95, metric("loadtest_error_ratio", labels): errors}


def pushes(pushed: str = f"0+30x{STEPS}", **changes) -> dict[str, str]:
    """The push time rising with the world's clock (a push every sample), then the figures per service."""
    return {PUSHED: pushed, **figures("portal"), **figures("trino"), **changes}


def bench(series) -> tuple[str, str]:
    return verdict(benchmark, LOADTEST, series, HOUR, "30s")


BENCHMARK_SHAPES = {
    "healthy": (pushes(), "passed", ""),
    # The Pushgateway stopped being scraped 10 minutes ago: its last push time says nothing about now.
    "stale": ({**{k: v.replace(f"x{STEPS}", "x100 stale") for k, v in pushes().items()}}, "broken",
              "newest sample 10m old"),
    "gap": (pushes(pushed="0+30x40 _x20 1830+30x59"), "passed", ""),
    # The load test stopped measuring the portal 20 minutes ago (its figures' series ended).
    "vanished": (pushes(**{k: "0.1x80 stale" for k in figures("portal")}), "broken",
                 'with service="portal": newest sample 20m old'),
    # A figure the load test could not compute (no request to the portal succeeded): NaN is no result.
    "nan": (pushes(**figures("portal", p95=" ".join(["NaN"] * (STEPS + 1)))), "broken",
            'benchmark p95-latency {service="portal"}: no value (NaN)'),
    # Counter-reset analog: the load test ran again and pushed anew; the newest push time is what counts.
    "counter-reset": (pushes(pushed="0+30x60 1800+30x59"), "passed", ""),
    # Missing-bucket analog: the portal's error ratio is pushed without its service label.
    "missing-bucket": (pushes(**{metric("loadtest_error_ratio", {"job": "loadtest", "instance": "sandbox",
                                                                 "service": "portal"}): f"_x{STEPS}",
                                 metric("loadtest_error_ratio", {"job": "loadtest", "instance": "sandbox"}):
                                     f"0x{STEPS}"}),
                       "failed", 'loadtest_error_ratio{job="loadtest"} with service="portal": no sample in the last 1h'),
}


BENCHMARK_ROWS = {"stale": pytest.mark.row("P6-BENCHMARK", "pushgateway-unscraped"),
                  "vanished": pytest.mark.row("P6-BENCHMARK", "service-dropped"),
                  "nan": pytest.mark.row("P6-BENCHMARK", "nan-figure"),
                  "missing-bucket": pytest.mark.row("P6-BENCHMARK", "unlabelled-figure")}


@pytest.mark.parametrize("shape", params(BENCHMARK_SHAPES, BENCHMARK_ROWS))
def test_benchmark_shape(shape):
    assert_shape(bench, BENCHMARK_SHAPES, shape)


@pytest.mark.row("P6-BENCHMARK", "old-push")
def test_an_old_push_scraped_every_30_s_fails_on_its_age():
    got, message = bench(pushes(pushed=f"0x{STEPS}"))
    assert got == "failed" and 'benchmark {instance="sandbox", job="loadtest"}: last result 60m old, expected ' \
        "within 10m" in message, message


@pytest.mark.row("P6-BENCHMARK", "old-group-lingers")
def test_an_earlier_load_tests_group_with_an_old_push_fails_named():
    earlier = metric("push_time_seconds", {"job": "loadtest", "instance": "last-quarter"})
    got, message = bench(pushes(**{earlier: f"0x{STEPS}"}))
    assert got == "failed" and 'benchmark {instance="last-quarter", job="loadtest"}: last result 60m old' \
        in message and 'instance="sandbox"' not in message, message


def test_a_missed_threshold_fails_named():
    got, message = bench(pushes(**figures("trino", p95=f"0.9x{STEPS}")))
    assert got == "failed" and 'benchmark p95-latency {service="trino"}: 0.9s, expected at most 0.5s' in message


@pytest.mark.row("P6-SERVICE-LATENCY", "probe-failing-fast")
def test_a_probe_that_fails_fast_is_not_a_fast_answer():
    refused = {**PORTAL_PROBE, metric("probe_duration_seconds", PROBED): f"0.2x{STEPS - 30} 0.003x30",
               metric("probe_success", PROBED): f"1x{STEPS - 30} 0x30"}
    got, message = judge({**ingress("portal"), **ingress("superset"), **refused})
    assert got == "failed" and "objective portal-probe" in message and "+Inf (no answer" in message, message


@pytest.mark.row("P6-SERVICE-LATENCY", "controller-pod-unscraped")
def test_a_controller_pod_no_longer_scraped_is_broken_while_another_serves_the_same_ingress():
    pod_b = {"job": "ingress-nginx", "instance": "10.0.0.8:10254"}
    slow_b = {metric(f"{NGINX}_bucket", {**pod_b, "ingress": "portal", "namespace": "data-platform", "le": le}):
              f"0+{SLOW[le]}x80 stale" for le in SLOW}
    got, message = judge({**site(), **slow_b, metric("up", pod_b): "1x80 0x39"})
    assert got == "broken" and "from target ingress-nginx/10.0.0.8:10254 (still scraped): newest sample 20m old" \
        in message, message


@pytest.mark.row("P6-SERVICE-LATENCY", "unscraped-for-hours")
def test_an_ingress_unscraped_for_longer_than_the_hour_is_still_broken():
    later, steps = HOUR + 90 * 60, STEPS + 180            # 90 minutes on
    pod = {"job": "ingress-nginx", "instance": "10.0.0.9:10254"}
    superset = {metric(f"{NGINX}_bucket", {**pod, "ingress": "superset", "namespace": "data-platform", "le": le}):
                f"0+10x{STEPS}" for le in FAST}
    world = {**ingress("portal", values=lambda r: f"0+{r}x{steps}"), **superset, metric("up", pod): f"1x{STEPS} 0x180",
             **{k: v.replace(f"x{STEPS}", f"x{steps}") for k, v in PORTAL_PROBE.items()}}
    got, message = verdict(latency, REFERENCE, world, later, "30s")
    assert got == "broken" and "from target ingress-nginx/10.0.0.9:10254 (still scraped): newest sample 90m old" \
        in message, message


@pytest.mark.row("P6-BENCHMARK", "nan-hidden-by-max")
def test_a_nan_figure_of_the_latest_run_is_not_hidden_by_an_earlier_group():
    earlier = metric("push_time_seconds", {"job": "loadtest", "instance": "ci-a"})
    nan = " ".join(["NaN"] * (STEPS + 1))
    latest = {metric("loadtest_latency_p95_seconds", {"job": "loadtest", "instance": "ci-b", "service": "portal"}): nan}
    got, message = bench(pushes(**{earlier: f"3000x{STEPS}"}, **latest))
    assert got == "broken" and 'loadtest_latency_p95_seconds{instance="ci-b", job="loadtest", service="portal"} is ' \
        "NaN" in message, message
