"""P4-EXPORTERS: the service exporters are scraped and report their backends healthy, on current data.

Every target of the exporter's job that Prometheus lists as up is judged by its own series (suites/scraped.py):
its ``up`` must be current (``prometheus.max_sample_age_s``; older means Prometheus stopped scraping it, so the
check is broken), and the reading's series must be current on it (an exporter that is scraped but no longer
exposes the reading, as when its backend went away, fails). Series of a target that is gone (an exporter that
came back at a new address) are history and not judged. A reading of NaN or ±Inf is no reading of the backend:
it fails, whatever the comparison would say (``+Inf >= 3`` holds, and NaN compares false with everything).
"""
import math
import operator

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.per_profile import per_profile
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first
from suites.prometheus_data import AGE_HORIZON, Source
from suites.scraped import ABSENT, ENDED, UNSCRAPED, scraped_readings, value_shown

COMPARE = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, ">": operator.gt, "<=": operator.le,
           "<": operator.lt}


@criterion("P4-EXPORTERS", 4, "Service exporters deployed", severity="critical",
           requirement="Each exporter of the profile has its targets up and scraped currently, and every one of "
                       "them reports its backend healthy by the profile's reading (a metric, a comparison and a "
                       "value, e.g. pg_up == 1) on a current sample; a target without that series, or whose "
                       "series stopped, fails; NaN or an infinite reading fails.",
           next_step="Check the exporter's connection settings (DSN, broker list, ES URL) and credentials; a "
                     "reading below its bound points at the backend itself (brokers down, cluster red); a reading "
                     "that stopped while the target is up means the exporter lost its backend.",
           needs=("prometheus",), profile_keys=("phase4.exporters", "prometheus.max_sample_age_s"))
@per_profile("exporter", "phase4.exporters", "exporters", ident=lambda e: e.name)
def test_exporter_is_up_and_reaches_its_backend(prometheus, exporter, profile):
    targets = [t for t in prometheus.active_targets() if t["labels"].get("job") == exporter.job]
    if not targets:
        fail(f"exporter {exporter.name}: no active targets for job {exporter.job!r}")
    problems = [f"exporter {exporter.name} target {t['labels'].get('instance', '')}: {t['health']} "
                f"({t.get('lastError') or 'no error'})" for t in targets if t["health"] != "up"]
    up = sorted(t["labels"].get("instance", "") for t in targets if t["health"] == "up")
    if not up:
        fail(problems)
    max_age = profile.prometheus.max_sample_age_s
    try:
        readings = scraped_readings(prometheus, Source(exporter.selector, "instance"), f'up{{job="{exporter.job}"}}',
                                    up, AGE_HORIZON, max_age, f"exporter {exporter.name}")
    except CouldNotLook as exc:
        fail_first(problems, exc)
    rows = []
    for instance in up:
        name, state = f"exporter {exporter.name} target {instance}", readings.state(instance)
        values = readings.values.get(instance, [])
        rows.append([instance, state, " ".join(value_shown(v) for v in values) or "-"])
        if state == UNSCRAPED:
            problems.append(f"{name}: listed up, but no up{{job={exporter.job!r}}} sample of it in the last "
                            f"{AGE_HORIZON}")
        elif state == ABSENT:
            problems.append(f"{name}: up but has no {exporter.metric} series in the last {AGE_HORIZON} (expected "
                            f"{exporter.expectation})")
        elif state == ENDED:
            problems.append(f"{name}: up but has no {exporter.metric} series within {shown(max_age)} (newest "
                            f"sample {shown(readings.ages[instance])} old: the exporter stopped exposing it; "
                            f"expected {exporter.expectation})")
        for value in values:
            if not math.isfinite(value) or not COMPARE[exporter.op](value, exporter.value):
                problems.append(f"exporter {exporter.name} ({instance}): {exporter.metric}={value_shown(value)}, "
                                f"expected {exporter.expectation}")
    attach_table(f"{exporter.name} targets", ["instance", "reading", exporter.metric], rows)
    stale = readings.stale()
    if stale:
        fail_first(problems, stale)
    fail(problems)
