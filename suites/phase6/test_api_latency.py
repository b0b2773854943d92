"""P6-API-LATENCY: the API server answers within Kubernetes' own latency SLO, judged on current samples.

Its request histogram must be current on every API server instance seen in the window (a rate over an hour still
answers long after scraping stopped). A quantile that is NaN means no request of that kind in the window where
the request counter shows none (idle, not a violation), and a broken histogram (no +Inf bucket) where it shows
some (broken); +Inf means slower than the highest bucket (a violation).

Adversarial table P6-API-LATENCY:
- stale-samples: the histogram stopped being scraped 49 minutes ago; the hour's rate still answers a p99 of
  0.099 s
- instance-unscraped: one of two API servers is no longer scraped; the other's fast answers fill the quantile
- missing-inf-bucket: the +Inf bucket of one kind of call is dropped at scrape: its quantile is NaN while it
  serves requests, which reads like a call nobody made
- slow-verb-among-fast: mutating calls take 1.9 s among many fast reads: one quantile over every verb, or one
  bound for all, would pass
- subresource-merged: PATCH of pods takes 3 s behind 200 fast PATCHes of pods/status a second: grouped without
  the subresource, the quantile is the fast one's
- unscraped-for-hours: an API server's scrapes have failed for 90 minutes, longer than the window: it drops out
  of every answer while another API server answers fast
- wrong-selector: the profile's selector matches no series (the scrape job has another name): nothing is
  measured, so nothing is over its bound
"""
import math

from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.verdict import CouldNotLook, fail, fail_first
from suites.prometheus_data import Source, freshness

STREAMING_VERBS = "WATCH|WATCHLIST|CONNECT"
LONG_RUNNING = "log|exec|portforward|attach|proxy"
MUTATING = {"POST", "PUT", "PATCH", "DELETE", "APPLY"}     # of one object: DELETECOLLECTION is bound by its scope
HISTOGRAM = "apiserver_request_duration_seconds"
KEY = ("resource", "subresource", "verb", "scope")   # as Kubernetes' perf-tests key the SLO: a fast
                                                      # pods/status must not hide a slow pods


def _inner(spec) -> str:
    return spec.selector.strip()[1:-1].strip().rstrip(",")


def _matchers(spec) -> str:
    return ", ".join(filter(None, [_inner(spec), f'verb!~"{STREAMING_VERBS}"', f'subresource!~"{LONG_RUNNING}"',
                                   'scope=~"resource|namespace|cluster"']))


def latency_query(spec) -> str:
    return (f"histogram_quantile({spec.quantile}, sum by (le, resource, subresource, verb, scope) "
            f"(rate({HISTOGRAM}_bucket{{{_matchers(spec)}}}[{spec.window}])))")


def requests_query(spec) -> str:
    return f"sum by (resource, subresource, verb, scope) (rate({HISTOGRAM}_count{{{_matchers(spec)}}}[{spec.window}]))"


def source(spec) -> Source:
    """The histogram's +Inf buckets: one per series group, so its age is read on a twentieth of the series."""
    matchers = ", ".join(filter(None, [_inner(spec), 'le="+Inf"']))
    return Source(f"{HISTOGRAM}_bucket{{{matchers}}}", per="instance")


def bound_of(spec, verb: str, scope: str) -> tuple[str, float]:
    if verb in MUTATING:
        return "mutating", spec.mutating_s
    if scope == "resource":
        return "read", spec.read_s
    if scope == "namespace":
        return "namespace list", spec.namespace_list_s
    return "cluster list", spec.cluster_list_s


@criterion("P6-API-LATENCY", 6, "API server latency within SLO", severity="critical",
           requirement="The API server's request histogram is current on every instance scraped in the window, "
                       "and for each resource and verb of non-streaming API requests, its latency quantile over "
                       "the profile's window is within the bound of its kind of call: one object changed, one "
                       "object read, a list within a namespace, a list across the cluster.",
           next_step="Find the slow resource and verb in the API server's request histogram; slow mutating "
                     "calls usually mean etcd (disk latency, defragmentation, size), slow lists mean large "
                     "unpaginated LISTs from a client or too little API server CPU.",
           needs=("prometheus",), profile_keys=("phase6.api_latency", "prometheus.max_sample_age_s"))
def test_api_server_latency_within_slo(prometheus, profile):
    spec = profile.phase6.api_latency
    fresh = freshness(prometheus, source(spec), spec.window, profile.prometheus.max_sample_age_s,
                      "API request latency")
    query, counted = latency_query(spec), requests_query(spec)
    # The counter is read at the quantile's own evaluation time: a minute's window read a second later can have
    # gained or lost a scrape, and a quantile of no requests beside a rate of some reads as a broken histogram.
    result = prometheus.query(query)
    requests = prometheus.query(counted, at=float(result[0]["value"][0]) if result else None)
    attach_query("API request latency per resource and verb", "PromQL", query, result)
    attach_query("API requests per second per resource and verb", "PromQL", counted, requests)
    rate = {tuple(s["metric"].get(k, "") for k in KEY): float(s["value"][1]) for s in requests}
    if not result:
        raise fresh.stale() or CouldNotLook("prometheus", f"no API request latency measured for {spec.selector} "
                                                          f"in {spec.window} (is the API server scraped under "
                                                          "that selector?)", "empty")
    problems, rows, unmeasured = [], [], []
    for series in sorted(result, key=lambda s: tuple(s["metric"].get(k, "") for k in KEY)):
        labels, seconds = series["metric"], float(series["value"][1])
        resource, subresource, verb, scope = (labels.get(k, "") for k in KEY)
        kind, bound = bound_of(spec, verb, scope)
        per_s = rate.get((resource, subresource, verb, scope), math.nan)   # NaN: no counter, idleness not shown
        called = f"{resource}/{subresource}" if subresource else resource
        rows.append([called, verb, scope, kind, f"{seconds:.3f}", bound, f"{per_s:.3g}"])
        where = f"{verb} {called} ({kind}, scope {scope})"
        if math.isnan(seconds):
            if per_s != 0:
                unmeasured.append(f"{where}: no p{spec.quantile * 100:g} although {per_s:.3g} requests/s")
        elif seconds > bound:
            shown_s = "above the histogram's highest bucket" if math.isinf(seconds) else f"{seconds:.2f}s"
            problems.append(f"{where}: p{spec.quantile * 100:g} {shown_s} over {spec.window}, expected at most "
                            f"{bound:g}s")
    attach_table("latency per resource and verb",
                 ["resource", "verb", "scope", "kind", "seconds", "bound", "requests/s"], rows)
    if unmeasured:
        fail_first(problems, CouldNotLook("API request latency", "; ".join(unmeasured) + f": {HISTOGRAM}'s "
                                          "buckets are incomplete (no le=\"+Inf\"?)", "invalid"))
    stale = fresh.stale()
    if stale:
        fail_first(problems, stale)
    fail(problems)
