"""P6-API-LATENCY: the API server answers within Kubernetes' own latency SLO."""
import math

from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.verdict import CouldNotLook, fail

STREAMING_VERBS = "WATCH|WATCHLIST|CONNECT"
LONG_RUNNING = "log|exec|portforward|attach|proxy"
MUTATING = {"POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"}


def latency_query(spec) -> str:
    inner = spec.selector.strip()[1:-1].strip().rstrip(",")
    matchers = ", ".join(filter(None, [inner, f'verb!~"{STREAMING_VERBS}"', f'subresource!~"{LONG_RUNNING}"',
                                       'scope=~"resource|namespace|cluster"']))
    return (f"histogram_quantile({spec.quantile}, sum by (le, resource, verb, scope) "
            f"(rate(apiserver_request_duration_seconds_bucket{{{matchers}}}[{spec.window}])))")


def bound_of(spec, verb: str, scope: str) -> tuple[str, float]:
    if verb in MUTATING:
        return "mutating", spec.mutating_s
    if scope == "resource":
        return "read", spec.read_s
    if scope == "namespace":
        return "namespace list", spec.namespace_list_s
    return "cluster list", spec.cluster_list_s


@criterion("P6-API-LATENCY", 6, "API server latency within SLO", severity="critical",
           requirement="For each resource and verb of non-streaming API requests, the API server's latency "
                       "quantile over the profile's window is within the bound of its kind of call: one object "
                       "changed, one object read, a list within a namespace, a list across the cluster.",
           next_step="Find the slow resource and verb in the API server's request histogram; slow mutating "
                     "calls usually mean etcd (disk latency, defragmentation, size), slow lists mean large "
                     "unpaginated LISTs from a client or too little API server CPU.",
           needs=("prometheus",), profile_keys=("phase6.api_latency",))
def test_api_server_latency_within_slo(prometheus, profile):
    spec = profile.phase6.api_latency
    query = latency_query(spec)
    result = prometheus.query(query)
    attach_query("API request latency per resource and verb", "PromQL", query, result)
    measured = [s for s in result if not math.isnan(float(s["value"][1]))]
    if not measured:
        raise CouldNotLook("prometheus", f"no API request latency measured for {spec.selector} in "
                                         f"{spec.window} (is the API server scraped under that selector?)", "empty")
    problems, rows = [], []
    for series in sorted(measured, key=lambda s: -float(s["value"][1])):
        labels, seconds = series["metric"], float(series["value"][1])
        verb, scope, resource = labels.get("verb", ""), labels.get("scope", ""), labels.get("resource", "")
        kind, bound = bound_of(spec, verb, scope)
        rows.append([resource, verb, scope, kind, f"{seconds:.3f}", bound])
        if seconds > bound:
            problems.append(f"{verb} {resource} ({kind}, scope {scope}): p{spec.quantile * 100:g} {seconds:.2f}s "
                            f"over {spec.window}, expected at most {bound:g}s")
    attach_table("latency per resource and verb", ["resource", "verb", "scope", "kind", "seconds", "bound"], rows)
    fail(problems)
