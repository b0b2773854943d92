"""P6-API-LATENCY on Prometheus' engine: the seven shapes and the issue's example, an hour of the API server's
request histogram scraped every 30 s (254carbon's window and sample age)."""
from __future__ import annotations

import pytest

from suites.phase6.test_api_latency import test_api_server_latency_within_slo as check
from tests.builders import tuned
from tests.fakes import empty_world, run_check
from tests.tools.promql.promtool import PromtoolPrometheus, metric
from tests.tools.promql.shapes import HOUR, SANDBOX, assert_shape, params, verdict

PROFILE = tuned(SANDBOX, **{"phase6.api_latency.window": "1h", "prometheus.max_sample_age_s": 120})
STEPS = 120                                  # 30 s samples in the hour
FAST = {"0.1": 10, "0.5": 10, "2": 10, "+Inf": 10}          # requests per step at or below each bound
SLOW = {"0.1": 1, "0.5": 2, "2": 10, "+Inf": 10}            # most PUTs between 0.5 s and 2 s


def call(verb: str, resource: str, scope: str, per_step: dict[str, int], instance: str = "10.0.0.1:6443",
         values=lambda rate: f"0+{rate}x{STEPS}", buckets=("0.1", "0.5", "2", "+Inf"),
         subresource: str = "") -> dict[str, str]:
    """One kind of call's histogram: a bucket counter per bound, and its request counter."""
    labels = {"job": "kube-apiserver", "instance": instance, "verb": verb, "resource": resource, "scope": scope,
              "subresource": subresource}
    series = {metric("apiserver_request_duration_seconds_bucket", {**labels, "le": le}): values(per_step[le])
              for le in buckets}
    series[metric("apiserver_request_duration_seconds_count", labels)] = values(per_step["+Inf"])
    return series


def healthy(**changes) -> dict[str, str]:
    return {**call("PUT", "leases", "resource", FAST), **call("LIST", "pods", "cluster", FAST), **changes}


def run(series) -> tuple[str, str]:
    return verdict(check, PROFILE, series, HOUR, "30s")


SHAPES = {
    "healthy": (healthy(), "passed", ""),
    # The example: the samples stopped 49 minutes ago; the hour's rate still answers a p99 of 0.099 s.
    "stale": ({**call("PUT", "leases", "resource", FAST, values=lambda r: f"0+{r}x22 stale"),
               **call("LIST", "pods", "cluster", FAST, values=lambda r: f"0+{r}x22 stale")},
              "broken", 'with instance="10.0.0.1:6443": newest sample 49m old'),
    # 20 minutes without scrapes in the middle: the counters carry the requests across, the rate is whole.
    "gap": (healthy(**call("PUT", "leases", "resource", FAST, values=lambda r: f"0+{r}x40 _x40 {r * 81}+{r}x39")),
            "passed", ""),
    # A second API server stopped being scraped 10 minutes ago while the first is fine.
    "vanished": (healthy(**call("PUT", "leases", "resource", FAST, instance="10.0.0.2:6443",
                                values=lambda r: f"0+{r}x100 stale")),
                 "broken", 'with instance="10.0.0.2:6443": newest sample 10m old'),
    # No GET of secrets in the hour: its quantile is NaN and its request rate 0: idle, not slow.
    "nan": (healthy(**call("GET", "secrets", "resource", FAST, values=lambda r: "5x120")), "passed", ""),
    # The API server restarted halfway: its counters fell to 0; rate() counts across the reset.
    "counter-reset": (healthy(**call("PUT", "leases", "resource", FAST, values=lambda r: f"0+{r}x60 0+{r}x59")),
                      "passed", ""),
    # GETs of pods lose their +Inf bucket: the quantile is NaN while the counter shows traffic.
    "missing-bucket": (healthy(**call("GET", "pods", "resource", FAST, buckets=("0.1", "0.5", "2"))),
                       "broken", "GET pods (read, scope resource): no p99 although 0.333 requests/s"),
}


ROWS = {"stale": pytest.mark.row("P6-API-LATENCY", "stale-samples"),
        "vanished": pytest.mark.row("P6-API-LATENCY", "instance-unscraped"),
        "missing-bucket": pytest.mark.row("P6-API-LATENCY", "missing-inf-bucket")}


@pytest.mark.parametrize("shape", params(SHAPES, ROWS))
def test_api_latency_shape(shape):
    assert_shape(run, SHAPES, shape)


@pytest.mark.row("P6-API-LATENCY", "slow-verb-among-fast")
def test_slow_mutating_calls_fail_by_their_kind_of_bound():
    got, message = run(healthy(**call("PUT", "leases", "resource", SLOW)))
    assert got == "failed" and message.startswith("PUT leases (mutating, scope resource): p99 1.9") \
        and "over 1h, expected at most 1s" in message and "LIST" not in message, message


def test_a_slow_call_is_reported_even_when_another_instance_is_stale():
    got, message = run(healthy(**call("PUT", "leases", "resource", SLOW),
                               **call("PATCH", "nodes", "resource", FAST, instance="10.0.0.2:6443",
                                      values=lambda r: f"0+{r}x100 stale")))
    assert got == "failed" and "PUT leases (mutating" in message and "newest sample 10m old" in message, message


@pytest.mark.row("P6-API-LATENCY", "wrong-selector")
def test_a_selector_that_matches_nothing_is_broken():
    renamed = {k.replace('job="kube-apiserver"', 'job="apiserver"'): v for k, v in healthy().items()}
    got, message = run(renamed)
    assert got == "broken" and 'no apiserver_request_duration_seconds_bucket{job="kube-apiserver", le="+Inf"} ' \
        "sample in the last 1h" in message, message


@pytest.mark.row("P6-API-LATENCY", "subresource-merged")
def test_a_slow_call_is_not_hidden_by_a_fast_subresource_of_the_same_resource():
    busy = {le: 200 for le in FAST}
    got, message = run(healthy(**call("PATCH", "pods", "resource", {"0.1": 0, "0.5": 0, "2": 0, "+Inf": 1}),
                               **call("PATCH", "pods", "resource", busy, subresource="status")))
    assert got == "failed" and "PATCH pods (mutating, scope resource): p99" in message \
        and "pods/status" not in message, message


@pytest.mark.row("P6-API-LATENCY", "unscraped-for-hours")
def test_an_api_server_unscraped_for_longer_than_the_window_is_still_broken():
    later, steps = HOUR + 90 * 60, STEPS + 180
    lasting = lambda r: f"0+{r}x{steps}"                                # noqa: E731
    second = {"job": "kube-apiserver", "instance": "10.0.0.2:6443"}
    world = {**call("PUT", "leases", "resource", FAST, values=lasting),
             **call("LIST", "pods", "cluster", FAST, values=lasting),
             **call("PUT", "leases", "resource", SLOW, instance="10.0.0.2:6443"),
             metric("up", second): f"1x{STEPS} 0x180"}
    got, message = verdict(check, PROFILE, world, later, "30s")
    assert got == "broken" and "from target kube-apiserver/10.0.0.2:6443 (still scraped): newest sample 90m old" \
        in message, message


def test_deletecollection_is_bound_by_its_scope_not_as_one_object():
    collection = {"0.1": 0, "0.5": 0, "2": 10, "+Inf": 10}               # about 2 s, within 5 s for a namespace
    assert run(healthy(**call("DELETECOLLECTION", "events", "namespace", collection))) == ("passed", "")


class MovingClock(PromtoolPrometheus):
    """Prometheus answering a query without a time at its own now, which is ten seconds later once it answered the
    quantile: the next query of the check reaches it after a scrape."""

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        answer = super().query(promql, at)
        if at is None and promql.startswith("histogram_quantile"):
            self.at_s += 10
        return answer


def test_the_request_counter_is_read_at_the_quantiles_own_time():
    """A DELETE of a job, scraped between the two queries: at the quantile's time the minute's window holds no
    request (idle, NaN), ten seconds later the counter's holds one. Read at one time, the call is idle."""
    one_request = call("DELETE", "jobs", "resource", {"0.1": 1, "0.5": 1, "2": 1, "+Inf": 1},
                       values=lambda rate: f"0x99 {rate}x20")
    minute = tuned(SANDBOX, **{"phase6.api_latency.window": "1m", "prometheus.max_sample_age_s": 120})
    world = {**empty_world(minute), "prometheus": MovingClock(healthy(**one_request), 2990, "30s")}
    assert run_check(check, world) == ("passed", "")
