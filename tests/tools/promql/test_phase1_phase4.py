"""P1-INGRESS (tunnel connections), P4-SLO, P4-EXPORTERS and P4-ALERT-ROUTES (failed notifications) on
Prometheus' engine: each check sends its own queries to promtool, evaluated on synthetic series in the seven
shapes of issue 21 (healthy, stale, gap in the window, series vanished, NaN, counter reset, histogram with a
missing bucket), and its verdict and message are asserted.

The synthetic world is the sandbox's: the sandbox profile (``prometheus.max_sample_age_s`` 20 s, a 60 s
failed-notification window), a scrape every 5 s, judged at ``NOW_S`` (10 minutes in). In promtool's notation
``1x120`` is a sample at every scrape from time 0 to now, ``_x24`` two minutes without one, ``stale`` a staleness
marker (the series ended: its target or the metric went away). "Stale" means samples that stop without a marker:
Prometheus itself stopped scraping (or restarted), so the last values still answer an instant query for five
minutes, and each check used to pass on them.

None of these series is a histogram and only the failure counter is a counter; where a shape has no literal
meaning, the row uses its nearest real analog and says so: for "counter reset" the target restarted under a
new identity (a new pod, a new exporter address, a new probe instance), and for "missing bucket" a series
without one of the labels the check groups or selects by.
"""
from __future__ import annotations

import pytest

from suites.phase4 import test_alert_routes as alert_routes
from suites.phase4 import test_dashboards as dashboards
from suites.phase4 import test_exporters as exporters
from tests.tools.promql.test_ingress_rows import CONNECTORS, NOW_S, SCRAPE, UNTIL_NOW, connector, edge, scraped, \
    tunnel_series
from tests.builders import profile_with, target
from tests.fakes import FakeAlertmanager, FakeGrafana, empty_world, run_check
from tests.tools.promql.promtool import PromtoolPrometheus, metric

N = UNTIL_NOW       # scrapes up to now: "v x N" is N + 1 samples, the last one now


def stopped(value, ago_s: int, marker: bool = False) -> str:
    """Samples of ``value`` from time 0 until ``ago_s`` seconds ago, then none (or a staleness marker)."""
    return f"{value}x{N - ago_s // 5}" + (" stale" if marker else "")


def started(value, ago_s: int) -> str:
    """No sample until ``ago_s`` seconds ago, then one every scrape."""
    return f"_x{N - ago_s // 5} {value}x{ago_s // 5}"


def holed(value, from_ago_s: int, to_ago_s: int) -> str:
    """Every scrape but those from ``from_ago_s`` to ``to_ago_s`` seconds ago (a closed gap)."""
    before, missing = N - from_ago_s // 5, (from_ago_s - to_ago_s) // 5
    return f"{value}x{before} _x{missing} {value}x{N - before - missing - 1}"


def test_the_notation_helpers_write_one_sample_a_scrape():
    assert stopped(4, 120) == "4x96" and stopped(4, 120, marker=True) == "4x96 stale"
    assert started(1, 300) == "_x60 1x60"           # 60 blanks, then 61 samples: 121 scrapes in all
    assert holed(1, 300, 180) == "1x60 _x24 1x35"   # 61 + 24 + 36 = 121


def assert_verdict(expected: tuple[str, str], got: tuple[str, str]) -> None:
    """The verdict is the expected one and the message holds the fragment."""
    (verdict, fragment), (got_verdict, message) = expected, got
    assert (got_verdict, fragment in message) == (verdict, True), f"{got_verdict}: {message!r}"


# P1-INGRESS: each ready connector's connections ------------------------------------------------------------

A, B = CONNECTORS
SILENT_B = f"tunnel connector pod cloudflare-tunnel/{B}: ready but no cloudflared_tunnel_ha_connections series"
NEW_POD = "cloudflared-5c96cbff57-c"

TUNNEL = {
    "healthy": ({}, "passed", ""),
    # Prometheus stopped scraping two minutes ago: the last values (4 and 4) still answer the old instant query.
    "stale": ({"a": scraped(A, stopped(4, 120), up=stopped(1, 120)), "b": scraped(B, stopped(4, 120),
               up=stopped(1, 120))}, "broken", f'up{{job="cloudflared"}} with pod="{A}": newest sample 2m old'),
    # Both connectors unscraped for two minutes, five minutes ago; current since. The criterion is about now.
    "gap": ({"a": scraped(A, holed(4, 300, 180), up=holed(1, 300, 180)),
             "b": scraped(B, holed(4, 300, 180), up=holed(1, 300, 180))}, "passed", ""),
    # Connector b is still scraped but stopped exposing its connections three minutes ago.
    "vanished": ({"b": scraped(B, stopped(4, 180, marker=True))}, "failed", f"{SILENT_B} from job cloudflared for 3m"),
    "nan": ({"b": scraped(B, f"4x{N - 1} NaN")}, "failed", f"{B}: cloudflared_tunnel_ha_connections=NaN (no value)"),
    "inf": ({"b": scraped(B, f"4x{N - 1} Inf")}, "failed", f"{B}: cloudflared_tunnel_ha_connections=+Inf (no count)"),
    "too-few": ({"b": scraped(B, f"4x{N - 1} 2")}, "failed", f"{B}: cloudflared_tunnel_ha_connections=2, expected "
                                                            "at least 4"),
    # Counter-reset analog: a rollout replaced pod b by pod c five minutes ago; b's series ended with it and are
    # history, not stale data.
    "counter-reset": ({"b": {**scraped(B, stopped(4, 300, marker=True), up=stopped(1, 300, marker=True)),
                             **scraped(NEW_POD, started(4, 300), up=started(1, 300))}}, "passed", ""),
    # Missing-bucket analog: the scrape gives the connectors' series no pod label, so none can be told apart.
    "missing-bucket": ({"a": scraped(A, pod=None), "b": scraped(B, pod=None)}, "failed",
                       f"{SILENT_B} from job cloudflared: Prometheus does not scrape it, expected every connector to "
                       "report (series of job cloudflared carry no pod label"),
}
READY = {"counter-reset": (A, NEW_POD)}      # the ready connector pods, where not a and b


@pytest.mark.parametrize("shape", TUNNEL)
def test_tunnel_connections_shape(shape):
    replaced, verdict, fragment = TUNNEL[shape]
    pods = [connector(name) for name in READY.get(shape, CONNECTORS)]
    assert_verdict((verdict, fragment), edge(series=tunnel_series(**replaced), pods=pods))


# P4-SLO: the recording rule's record and its input, per critical service -------------------------------------

SANDBOX = profile_with({})
CRITICAL = {w.name: w.namespace for w in SANDBOX.platform.critical}
RECORD, INPUT = SANDBOX.phase4.slo.record, "probe_success"


def probe(name: str, **labels) -> str:
    """A critical service's probe series, as the blackbox prober's scrape labels it (a label given as None is
    left out)."""
    target = {"job": "service-probes", "namespace": CRITICAL[name], "service": name,
              "instance": f"http://probes/{name}", **labels}
    return metric(INPUT, {k: v for k, v in target.items() if v is not None})


def record(service: str) -> str:
    """The record the rule writes for a service (avg by namespace, service), every evaluation."""
    return metric(RECORD, {"namespace": CRITICAL[service], "service": service})


def slo_world(**trino: str) -> dict[str, str]:
    """Every critical service probed successfully and recorded at 1 since time 0; keys of ``trino`` replace the
    trino probe ("probe") or record ("record"), any other key is a series added as given."""
    series = {}
    for service in CRITICAL:
        series[probe(service)] = series[record(service)] = f"1x{N}"
    replaced = {"probe": probe("trino"), "record": record("trino")}
    return {**series, **{replaced.get(k, k): v for k, v in trino.items()}}


TRINO = "service data-platform/trino"
SLO = {
    "healthy": (slo_world(), "passed", ""),
    # Prometheus stopped two minutes ago (scrapes and rule evaluations): the record still answers with 1.
    "stale": ({k: stopped(1, 120) for k in slo_world()}, "broken",
              f'{INPUT}{{job="service-probes"}} with service="trino": newest sample 2m old'),
    # Trino's probes were missing for two minutes, five minutes ago: the rule averaged what it had and is current.
    # The gap counts against the objective in P8-AVAILABILITY, not here.
    "gap": (slo_world(probe=holed(1, 300, 180)), "passed", ""),
    # Trino's probe target was removed three minutes ago; the 5-minute rule still averages its last samples.
    "vanished": (slo_world(probe=stopped(1, 180, marker=True)), "broken",
                 f'{INPUT}{{job="service-probes"}} with service="trino": newest sample 3m old'),
    "nan": (slo_world(probe=f"1x{N - 1} NaN", record=f"1x{N - 1} NaN"), "failed",
            f"{TRINO}: {RECORD} is NaN (nothing counted in its window, or its input is NaN)"),
    "inf": (slo_world(record=f"1x{N - 1} Inf"), "failed", f"{TRINO}: {RECORD} is +Inf, expected an availability "
                                                         "ratio between 0 and 1"),
    # The rules were unloaded three minutes ago (the sandbox fault slo-rules-missing): the input is current.
    "rule-stopped": (slo_world(record=stopped(1, 180, marker=True)), "failed",
                     f"{TRINO}: no {RECORD} series with service=trino within 20s (newest sample 3m old), although "
                     f'its {INPUT}{{job="service-probes"}} is current'),
    # Counter-reset analog: trino's prober restarted under a new instance five minutes ago; the record went on.
    "counter-reset": (slo_world(probe=stopped(1, 300, marker=True),
                                **{probe("trino", instance="http://probes-2/trino"): started(1, 300)}), "passed", ""),
    # Missing-bucket analog: relabeling dropped trino's service label, so its probes are nobody's and the rule
    # (by namespace, service) records none for trino.
    "missing-bucket": ({**{k: v for k, v in slo_world().items() if k not in (probe("trino"), record("trino"))},
                        probe("trino", service=None): f"1x{N}"}, "failed",
                       f'{TRINO}: no {INPUT}{{job="service-probes"}} sample with service=trino in the last 1h: its '
                       "SLO has no input"),
}


@pytest.mark.parametrize("shape", SLO)
def test_slo_shape(shape):
    series, verdict, fragment = SLO[shape]
    world = {**empty_world(SANDBOX), "prometheus": PromtoolPrometheus(series, NOW_S, SCRAPE),
             "grafana": FakeGrafana(dashboards=[{"uid": "slo-tracking"}])}
    got = run_check(dashboards.test_slo_recorded_for_critical_services_and_dashboard_exists, world)
    assert_verdict((verdict, fragment), got)


# P4-EXPORTERS: each up target's reading of its backend ---------------------------------------------------------

class PromtoolWithTargets(PromtoolPrometheus):
    """Prometheus' engine for queries, and a recorded /api/v1/targets answer."""

    def __init__(self, series, targets: list[dict]):
        super().__init__(series, NOW_S, SCRAPE)
        self.targets = targets

    def _get(self, path: str, params=None):
        assert path == "/api/v1/targets", path
        return {"activeTargets": self.targets}


KAFKA_PROFILE = profile_with({"phase4.exporters": [
    {"name": "Kafka", "job": "kafka-exporter", "metric": "kafka_brokers", "op": ">=", "value": 3},
    {"name": "Elasticsearch", "job": "elasticsearch-exporter", "metric": "elasticsearch_cluster_health_status",
     "labels": {"color": "green"}, "op": "==", "value": 1}]})
KAFKA, ELASTIC = KAFKA_PROFILE.phase4.exporters


def exported(job: str, instance: str, reading: str | None = f"3x{N}", up: str = f"1x{N}") -> dict[str, str]:
    """An exporter target's ``up`` and kafka_brokers series (None: it exposes no reading)."""
    series = {metric("up", {"job": job, "instance": instance}): up}
    if reading is not None:
        series[metric("kafka_brokers", {"job": job, "instance": instance})] = reading
    return series


def brokers(k1: dict | None = None, k2: dict | None = None) -> dict[str, str]:
    """Two Kafka exporter targets each reading 3 brokers at every scrape, unless replaced."""
    return {**(exported("kafka-exporter", "k1:9308") if k1 is None else k1),
            **(exported("kafka-exporter", "k2:9308") if k2 is None else k2)}


def health(**overrides) -> dict[str, str]:
    """The Elasticsearch exporter's cluster health, one series per color as the exporter writes it."""
    job, instance = "elasticsearch-exporter", "es:9114"
    series = exported(job, instance, reading=None)
    for color, value in {"green": 1, "yellow": 0, "red": 0}.items():
        series[metric("elasticsearch_cluster_health_status", {"job": job, "instance": instance, "color": color})] = \
            f"{value}x{N}"
    return {**series, **overrides}


K2 = "exporter Kafka target k2:9308"
EXPORTERS = {
    "healthy": (KAFKA, brokers(), ("k1:9308", "k2:9308"), "passed", ""),
    # Prometheus stopped scraping two minutes ago: both exporters' last readings (3) still answer.
    "stale": (KAFKA, brokers(exported("kafka-exporter", "k1:9308", stopped(3, 120), up=stopped(1, 120)),
                             exported("kafka-exporter", "k2:9308", stopped(3, 120), up=stopped(1, 120))),
              ("k1:9308", "k2:9308"), "broken", 'up{job="kafka-exporter"} with instance="k1:9308": newest sample 2m '
                                                "old"),
    # Both unscraped for two minutes, five minutes ago; current since.
    "gap": (KAFKA, brokers(exported("kafka-exporter", "k1:9308", holed(3, 300, 180), up=holed(1, 300, 180))),
            ("k1:9308", "k2:9308"), "passed", ""),
    # The broker behind k2 went away a minute ago; its exporter still answers but no longer exposes the reading
    # (the sandbox fault kafka-broker-down).
    "vanished": (KAFKA, brokers(k2=exported("kafka-exporter", "k2:9308", stopped(3, 60, marker=True))),
                 ("k1:9308", "k2:9308"), "failed", f"{K2}: up but has no kafka_brokers series within 20s (newest "
                                                   "sample 60s old: the exporter stopped exposing it"),
    "nan": (KAFKA, brokers(k2=exported("kafka-exporter", "k2:9308", f"3x{N - 1} NaN")), ("k1:9308", "k2:9308"),
            "failed", "exporter Kafka (k2:9308): kafka_brokers=NaN, expected kafka_brokers >= 3"),
    "inf": (KAFKA, brokers(k2=exported("kafka-exporter", "k2:9308", f"3x{N - 1} Inf")), ("k1:9308", "k2:9308"),
            "failed", "exporter Kafka (k2:9308): kafka_brokers=+Inf, expected kafka_brokers >= 3"),
    # Moved from the recorded-input tests: one broker of three is not ">= 3", and a target that never exposed the
    # reading fails by name.
    "below-bound": (KAFKA, brokers(k1=exported("kafka-exporter", "k1:9308", f"3x{N - 1} 1")), ("k1:9308", "k2:9308"),
                    "failed", "exporter Kafka (k1:9308): kafka_brokers=1, expected kafka_brokers >= 3"),
    "never-exposed": (KAFKA, brokers(k2=exported("kafka-exporter", "k2:9308", None)), ("k1:9308", "k2:9308"),
                      "failed", f"{K2}: up but has no kafka_brokers series in the last 1h"),
    # Counter-reset analog: the exporter k2 came back at a new address (k3) five minutes ago: k2's series are
    # history, k3 is a current target.
    "counter-reset": (KAFKA, brokers(k2={**exported("kafka-exporter", "k2:9308", stopped(3, 300, marker=True),
                                                    up=stopped(1, 300, marker=True)),
                                         **exported("kafka-exporter", "k3:9308", started(3, 300), up=started(1, 300))}),
                      ("k1:9308", "k3:9308"), "passed", ""),
    # Missing-bucket analog: the health series lost the color label the profile selects by (an exporter version
    # that writes the color in the value), so the target has no reading to judge.
    "missing-bucket": (ELASTIC, {**exported("elasticsearch-exporter", "es:9114", reading=None),
                                 metric("elasticsearch_cluster_health_status",
                                        {"job": "elasticsearch-exporter", "instance": "es:9114"}): f"1x{N}"},
                       ("es:9114",), "failed", "exporter Elasticsearch target es:9114: up but has no "
                                               "elasticsearch_cluster_health_status series in the last 1h"),
    "elasticsearch-healthy": (ELASTIC, health(), ("es:9114",), "passed", ""),
}


@pytest.mark.parametrize("shape", EXPORTERS)
def test_exporter_shape(shape):
    exporter, series, instances, verdict, fragment = EXPORTERS[shape]
    prometheus = PromtoolWithTargets(series, [target(exporter.job, i) for i in instances])
    got = run_check(exporters.test_exporter_is_up_and_reaches_its_backend,
                    {**empty_world(KAFKA_PROFILE), "prometheus": prometheus}, exporter)
    assert_verdict((verdict, fragment), got)


# P4-ALERT-ROUTES: failed notifications over the 60 s window -----------------------------------------------------

ROUTED = """
route:
  receiver: email-platform-team
  routes:
  - {receiver: pagerduty-critical, matchers: ['severity="critical"'], continue: true}
  - {receiver: slack-platform, matchers: ['severity=~"critical|warning"'], continue: true}
  - {receiver: email-oncall, matchers: ['severity="critical"']}
receivers:
- {name: email-platform-team, email_configs: [{to: platform-team@example.com}]}
- {name: email-oncall, email_configs: [{to: oncall@example.com}]}
- {name: pagerduty-critical, pagerduty_configs: [{routing_key: key}]}
- {name: slack-platform, slack_configs: [{api_url: 'http://127.0.0.1:9/slack', channel: '#alerts'}]}
"""
INTEGRATIONS = ("email", "pagerduty", "slack", "webhook")


def failures(**slack: str) -> dict[str, str]:
    """Alertmanager's failure counters, flat at 0 since time 0, slack's replaced by ``slack["counter"]``; any
    other key is a series added as given."""
    series = {counter(i): f"0x{N}" for i in INTEGRATIONS}
    if "counter" in slack:
        series[counter("slack")] = slack.pop("counter")
    return {**series, **slack}


def counter(integration: str | None) -> str:
    labels = {"job": "alertmanager", "instance": "alertmanager:9093", "integration": integration}
    return metric("alertmanager_notifications_failed_total", {k: v for k, v in labels.items() if v is not None})


SLACK_FAILED = "alertmanager integration slack: {} failed notifications in the last 60s"
FAILED = 'alertmanager_notifications_failed_total with integration="slack"'
NOTIFICATIONS = {
    "healthy": (failures(), "passed", ""),
    "failing": (failures(counter=f"0x{N - 6} 3x5"), "failed", SLACK_FAILED.format(3)),
    # Prometheus stopped scraping Alertmanager two minutes ago: the window holds no sample, so nothing is counted.
    "stale": ({k: stopped(0, 120) for k in failures()}, "broken",
              'alertmanager_notifications_failed_total with integration="email": newest sample 2m old'),
    # A 20 s hole in the window, during which two notifications failed: the counter kept them.
    "gap": (failures(counter=f"0x{N - 8} _x4 2x3"), "failed", SLACK_FAILED.format(2)),
    # No sample in the first 40 s of the window: what failed then is not seen by increase().
    "gap-at-window-start": ({k: f"0x{N - 24} _x18 0x5" for k in failures()}, "broken",
                            "samples cover only the last 20s of the 60s window"),
    # Slack's counter ended three minutes ago, the others go on.
    "vanished": (failures(counter=stopped(0, 180, marker=True)), "broken", f"{FAILED}: newest sample 3m old"),
    "nan": (failures(counter=f"0x{N - 1} NaN"), "broken", f"{FAILED}: its increase over 60s is NaN, no count"),
    # Alertmanager restarted 30 s ago: the counter fell from 5 to 0, which is no failure...
    "counter-reset": (failures(counter=f"5x{N - 6} 0x5"), "passed", ""),
    # ... and the two failures after the restart are counted.
    "counter-reset-then-failures": (failures(counter=f"5x{N - 6} 0x2 2x2"), "failed", SLACK_FAILED.format(2)),
    # Missing-bucket analog: the counters carry no integration label (relabeled away), so no integration the
    # profile names has one.
    "missing-bucket": ({counter(None): f"0x{N}"}, "failed",
                       'alertmanager_notifications_failed_total with integration="email": no sample in the last 1h'),
}


@pytest.mark.parametrize("shape", NOTIFICATIONS)
def test_failed_notifications_shape(shape):
    series, verdict, fragment = NOTIFICATIONS[shape]
    world = {**empty_world(SANDBOX), "prometheus": PromtoolPrometheus(series, NOW_S, SCRAPE),
             "alertmanager": FakeAlertmanager(ROUTED)}
    got = run_check(alert_routes.test_live_routes_match_profile_and_notifications_succeed, world)
    assert_verdict((verdict, fragment), got)


def test_every_criterion_is_tried_on_the_seven_shapes():
    seven = {"healthy", "stale", "gap", "vanished", "nan", "counter-reset", "missing-bucket"}
    for table in (TUNNEL, SLO, EXPORTERS, NOTIFICATIONS):
        assert seven <= set(table)
