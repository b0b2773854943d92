"""P6-SERVICE-LATENCY and P6-BENCHMARK: the services answer within their latency objectives, and the latest
load test is recent and met its thresholds."""
import time

from readiness.criteria import criterion
from readiness.evidence import attach_query
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_listed
from suites.thresholds import check_all, series_name


@criterion("P6-SERVICE-LATENCY", 6, "Service latency within objectives", severity="critical",
           requirement="Each of the profile's service latency queries (PromQL, such as a histogram's p95) returns "
                       "a value for every series, each within its bound.",
           next_step="Open the service's latency panel; compare with its saturation (CPU throttling, queueing) "
                     "and with its dependencies' latency.",
           needs=("prometheus",), profile_keys=("phase6.service_latency",))
def test_service_latency_within_objectives(prometheus, profile):
    objectives = profile.phase6.service_latency
    require_listed(objectives, "phase6.service_latency", "service latency objectives", "P6-SERVICE-LATENCY")
    problems, blind = check_all(prometheus, objectives, "objective")
    if blind:
        fail_first(problems, blind)
    fail(problems)


@criterion("P6-BENCHMARK", 6, "Performance benchmark validated", severity="critical",
           requirement="The latest load-test result the profile points at is newer than its maximum age, and "
                       "each of its measured figures meets its threshold.",
           next_step="Run the load test against the platform and push its result (see the profile's "
                     "phase6.benchmark); a missed threshold names the figure to work on.",
           needs=("prometheus",), profile_keys=("phase6.benchmark",))
def test_latest_benchmark_recent_and_within_thresholds(prometheus, profile):
    spec = profile.phase6.benchmark
    if spec is None:
        raise CouldNotLook("profile", "the profile names no load-test result (phase6.benchmark): point it at "
                                      "one, or add P6-BENCHMARK to skip with a reason", "unconfigured")
    stamps = prometheus.query(spec.timestamp_query)
    attach_query("load-test result time", "PromQL", spec.timestamp_query, stamps)
    if not stamps:
        fail(f"benchmark: no load-test result ({spec.timestamp_query} returned no series)")
    problems = []
    for series in stamps:
        age = time.time() - float(series["value"][1])
        if age > spec.max_age_s:
            problems.append(f"benchmark {series_name(series['metric'])}: last result {shown(age)} old, expected "
                            f"within {shown(spec.max_age_s)}")
    found, blind = check_all(prometheus, spec.thresholds, "benchmark")
    problems += found
    if blind:
        fail_first(problems, blind)
    fail(problems)
