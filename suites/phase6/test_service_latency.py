"""P6-SERVICE-LATENCY and P6-BENCHMARK: the services answer within their latency objectives, and the latest
load test is recent and met its thresholds, each judged on current samples (suites/thresholds.py).

Adversarial table P6-SERVICE-LATENCY:
- stale-histogram: the ingress controller's histogram stopped being scraped 30 minutes ago; a max_over_time or a
  quantile over an older window still answers
- ingress-unscraped: one ingress's series ended 20 minutes ago while the others are current
- missing-inf-bucket: an ingress's +Inf bucket is dropped: its p95 is NaN although it serves requests
- nan-without-requests-query: a probe duration that is NaN, with no requests query to show it idle: NaN is
  not a latency
- expected-ingress-absent: an ingress the profile expects never reports, so no answer for it is over its
  bound
- slow-among-fast: one ingress answers in 2 s while the others are fast: an aggregate over ingresses would pass
- controller-pod-unscraped: one of two ingress controller pods serving the same ingress is no longer scraped
  (its scrapes time out); the other pod's fresh answers make the ingress look current
- unscraped-for-hours: an ingress's controller pod has not been scraped for longer than the hour its age is
  looked for: the ingress drops out of every answer
- probe-failing-fast: the portal's probes fail in 3 ms (refused, a 503): probe_duration_seconds is set whether
  or not the probe succeeded

Adversarial table P6-BENCHMARK:
- pushgateway-unscraped: the Pushgateway is no longer scraped; the last scraped push time was recent when it
  stopped
- old-push: the Pushgateway serves a push from last week, scraped every 30 s: the samples are current, the
  result is not
- service-dropped: the load test stopped measuring one service 20 minutes ago; the others' figures are fine
- nan-figure: a figure the load test could not compute (no request to the service succeeded) is NaN
- unlabelled-figure: one figure is pushed without its service label, so the expected service has no value
- old-group-lingers: a second Pushgateway group from an earlier load test still carries an old push
- nan-hidden-by-max: the latest run's figure is NaN while an earlier run's group still holds a number: max
  by service answers the number
"""
from readiness.criteria import criterion
from readiness.evidence import attach_query
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_listed
from suites.prometheus_data import Source, freshness
from suites.thresholds import check_all, series_name


@criterion("P6-SERVICE-LATENCY", 6, "Service latency within objectives", severity="critical",
           requirement="Each of the profile's service latency queries (PromQL, such as a histogram's p95) reads "
                       "current samples and answers for every expected series, each within its bound; a series "
                       "with no requests in the window (NaN where its requests query shows none) is idle, not "
                       "slow.",
           next_step="Open the service's latency panel; compare with its saturation (CPU throttling, queueing) "
                     "and with its dependencies' latency.",
           needs=("prometheus",), profile_keys=("phase6.service_latency", "prometheus.max_sample_age_s"))
def test_service_latency_within_objectives(prometheus, profile):
    objectives = profile.phase6.service_latency
    require_listed(objectives, "phase6.service_latency", "service latency objectives", "P6-SERVICE-LATENCY")
    problems, blind = check_all(prometheus, objectives, "objective", profile.prometheus.max_sample_age_s)
    if blind:
        fail_first(problems, blind)
    fail(problems)


def result_ages(prometheus, spec, stamps) -> list[str]:
    """Problems of load-test results older than allowed, by Prometheus' clock."""
    query = f"time() - ({spec.timestamp_query})"
    ages = prometheus.query(query)
    attach_query("seconds since each load-test result", "PromQL", query, ages)
    if not ages:
        stale = stamps.stale()
        if stale:
            raise stale
        fail(f"benchmark: no load-test result ({spec.timestamp_query} returned no series)")
    return [f"benchmark {series_name(s['metric'])}: last result {shown(float(s['value'][1]))} old, expected within "
            f"{shown(spec.max_age_s)}" for s in ages if not float(s["value"][1]) <= spec.max_age_s]


@criterion("P6-BENCHMARK", 6, "Performance benchmark validated", severity="critical",
           requirement="The latest load-test result the profile points at is newer than its maximum age, and "
                       "each of its measured figures, read from current samples for every service it covers, "
                       "meets its threshold.",
           next_step="Run the load test against the platform and push its result (see the profile's "
                     "phase6.benchmark); a missed threshold names the figure to work on.",
           needs=("prometheus",), profile_keys=("phase6.benchmark", "prometheus.max_sample_age_s"))
def test_latest_benchmark_recent_and_within_thresholds(prometheus, profile):
    spec, max_age_s = profile.phase6.benchmark, profile.prometheus.max_sample_age_s
    if spec is None:
        raise CouldNotLook("profile", "the profile names no load-test result (phase6.benchmark): point it at "
                                      "one, or add P6-BENCHMARK to skip with a reason", "unconfigured")
    stamps = freshness(prometheus, Source(spec.timestamp_query), "1h", max_age_s, "load-test result time")
    problems = result_ages(prometheus, spec, stamps)
    found, blind = check_all(prometheus, spec.thresholds, "benchmark", max_age_s)
    problems += found
    blind = blind or stamps.stale()
    if blind:
        fail_first(problems, blind)
    fail(problems)
