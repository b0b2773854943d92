"""P4-EXPORTERS: the service exporters are scraped and reach their backends."""
from readiness.criteria import criterion
from readiness.evidence import attach_query
from readiness.verdict import fail, require_data
from suites.parametrize import per_profile_objects


def pytest_generate_tests(metafunc):
    per_profile_objects(metafunc, "exporter", lambda profile: profile.phase4.exporters, lambda e: e.name)


@criterion("P4-EXPORTERS", 4, "Service exporters deployed", severity="critical",
           requirement="Each exporter of the profile (PostgreSQL, Kafka, Elasticsearch) has its targets up and "
                       "reports its backend reachable through the profile's metric (e.g. pg_up == 1).",
           next_step="Check the exporter's connection settings (DSN, broker list, ES URL) and credentials.",
           needs=("prometheus",))
def test_exporter_is_up_and_reaches_its_backend(prometheus, exporter):
    targets = [t for t in prometheus.active_targets() if t["labels"].get("job") == exporter.job]
    if not targets:
        fail(f"exporter {exporter.name}: no active targets for job {exporter.job!r}")
    problems = [f"exporter {exporter.name} target {t['labels'].get('instance')}: {t['health']} "
                f"({t.get('lastError') or 'no error'})" for t in targets if t["health"] != "up"]
    query = f'{exporter.metric}{{job="{exporter.job}"}}'
    result = prometheus.query(query)
    attach_query(f"{exporter.name} backend", "PromQL", query, result)
    if not problems:
        require_data(result, f"{exporter.name} metric {exporter.metric}", f"query {query}")
    for series in result:
        if float(series["value"][1]) != 1:
            problems.append(f"exporter {exporter.name} ({series['metric'].get('instance')}): {exporter.metric}="
                            f"{series['value'][1]}, backend unreachable")
    fail(problems)
