"""P4-EXPORTERS: the service exporters are scraped and report their backends healthy."""
import math
import operator

from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.per_profile import per_profile
from readiness.verdict import fail

COMPARE = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, ">": operator.gt, "<=": operator.le,
           "<": operator.lt}


@criterion("P4-EXPORTERS", 4, "Service exporters deployed", severity="critical",
           requirement="Each exporter of the profile has its targets up, and every one of them reports its "
                       "backend healthy by the profile's reading (a metric, a comparison and a value, e.g. "
                       "pg_up == 1); a target without that series fails.",
           next_step="Check the exporter's connection settings (DSN, broker list, ES URL) and credentials; a "
                     "reading below its bound points at the backend itself (brokers down, cluster red).",
           needs=("prometheus",), profile_keys=("phase4.exporters",))
@per_profile("exporter", "phase4.exporters", "exporters", ident=lambda e: e.name)
def test_exporter_is_up_and_reaches_its_backend(prometheus, exporter):
    targets = [t for t in prometheus.active_targets() if t["labels"].get("job") == exporter.job]
    if not targets:
        fail(f"exporter {exporter.name}: no active targets for job {exporter.job!r}")
    query = exporter.selector
    result = prometheus.query(query)
    attach_query(f"{exporter.name} backend", "PromQL", query, result)
    readings: dict[str, list[float]] = {}
    for series in result:
        readings.setdefault(series["metric"].get("instance", ""), []).append(float(series["value"][1]))
    problems, rows = [], []
    for target in targets:
        instance = target["labels"].get("instance", "")
        name = f"exporter {exporter.name} target {instance}"
        values = readings.get(instance, [])
        rows.append([instance, target["health"], " ".join(f"{v:g}" for v in values) or "-"])
        if target["health"] != "up":
            problems.append(f"{name}: {target['health']} ({target.get('lastError') or 'no error'})")
        elif not values:
            problems.append(f"{name}: up but has no {exporter.metric} series (expected {exporter.expectation})")
        for value in values:
            if math.isnan(value) or not COMPARE[exporter.op](value, exporter.value):
                problems.append(f"exporter {exporter.name} ({instance}): {exporter.metric}={value:g}, expected "
                                f"{exporter.expectation}")
    attach_table(f"{exporter.name} targets", ["instance", "health", exporter.metric], rows)
    fail(problems)
