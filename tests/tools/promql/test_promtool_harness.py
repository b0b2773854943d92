"""The promtool harness reads Prometheus' engine right: each answer compared with Prometheus' documented
semantics (lookback, staleness, NaN and infinities, scalars, absent, counter resets, histogram buckets) and
with the HTTP API's shape. With promtool missing, every test here fails naming scripts/setup.sh."""
from __future__ import annotations

import math

import pytest

from fixtures.monitoring import Prometheus
from readiness.verdict import CouldNotLook
from tests.fakes import run_check
from tests.tools.promql import promtool
from tests.tools.promql.promtool import (HarnessError, PromQLError, PromtoolPrometheus, evaluate, evaluate_many,
                                   metric)

TRICKY = ["a,b}", 'say "hi"', "back\\slash", "new\nline\ttab\r", "é and 😀", "\x7f\x01", '{job="x"} 1, {',
          '", {a="b"} +Inf', "nil", " ", "=", "\\x41\\u0041", "\u2028\ufeff"]


@pytest.fixture
def runs(monkeypatch) -> list:
    """Every promtool run made during the test, as the queries it evaluated."""
    made = []
    real = promtool._run

    def counting(pairs, interval, queries):
        made.append(queries)
        return real(pairs, interval, queries)
    monkeypatch.setattr(promtool, "_run", counting)
    return made


@pytest.mark.parametrize("value", TRICKY, ids=repr)
def test_label_values_come_back_exactly_whatever_they_hold(value):
    series = {metric("probe_success", {"job": "probe", "service": value}): "1+0x10"}
    assert evaluate(series, "probe_success", 300) == [
        {"metric": {"__name__": "probe_success", "job": "probe", "service": value}, "value": [300, "1"]}]


def test_several_series_each_with_its_labels_and_value():
    series = {metric("up", {"job": "a", "instance": "x,y}"}): "1+0x10",
              metric("up", {"job": "a", "instance": '"z"'}): "0+0x10",
              metric("up", {"job": "b"}): "1+1x10"}
    result = evaluate(series, "up", 600)
    assert sorted((r["metric"].get("instance", ""), r["metric"]["job"], r["value"][1]) for r in result) == [
        ("", "b", "11"), ('"z"', "a", "0"), ("x,y}", "a", "1")]
    assert all(r["value"][0] == 600 for r in result)


def test_by_aggregation_keeps_only_its_labels():
    series = {metric("up", {"job": "a", "instance": "1"}): "1x5", metric("up", {"job": "a", "instance": "2"}): "0x5",
              metric("up", {"job": "b", "instance": "1"}): "1x5"}
    result = evaluate(series, "avg by (job) (up)", 120)
    assert all(set(r["metric"]) == {"job"} for r in result)
    assert sorted((r["metric"]["job"], r["value"][1]) for r in result) == [("a", "0.5"), ("b", "1")]


def test_nan_and_infinities_are_written_as_prometheus_writes_them():
    series = {'x{k="v"}': "NaN Inf -Inf 1"}
    assert [evaluate(series, "x", t)[0]["value"][1] for t in (0, 60, 120, 180)] == ["NaN", "+Inf", "-Inf", "1"]
    assert evaluate(series, "x / 0", 180)[0]["value"][1] == "+Inf"
    assert evaluate(series, "-x / 0", 180)[0]["value"][1] == "-Inf"
    assert evaluate(series, "(x - 1) / 0", 180)[0]["value"][1] == "NaN"
    assert evaluate(series, "0 / 0", 180) == [180, "NaN"]


def test_a_nan_sample_is_present_and_compares_false():
    # A NaN sample exists (it is not missing) and every comparison with it is false, so a filter drops it.
    series = {'latency{service="idle"}': "NaN+0x10"}
    assert evaluate(series, "latency", 600) == [{"metric": {"__name__": "latency", "service": "idle"},
                                                 "value": [600, "NaN"]}]
    assert evaluate(series, "latency > 0.5", 600) == []
    assert evaluate(series, "latency <= 0.5", 600) == []


def test_values_are_written_in_the_http_apis_number_format():
    assert [v for _, v in evaluate_many({}, [(e, 0) for e in ("100", "0.5", "0.1 + 0.2", "1e-7", "1.5e21", "1e16",
                                                             "-2.5e-9", "0", "123456789.125")])] == [
        "100", "0.5", "0.30000000000000004", "1e-07", "1.5e+21", "10000000000000000", "-2.5e-09", "0",
        "123456789.125"]


def test_an_empty_result_is_an_empty_list():
    series = {'up{job="a"}': "1x10"}
    assert evaluate(series, "not_a_metric", 300) == []
    assert evaluate(series, "up == 2", 300) == []
    assert evaluate(series, 'up{job="b"}', 300) == []


def test_absent_carries_the_equality_labels_of_its_selector():
    series = {'up{job="a"}': "1x10"}
    assert evaluate(series, 'absent(up{job="b", instance=~"x.*"})', 300) == [{"metric": {"job": "b"},
                                                                              "value": [300, "1"]}]
    assert evaluate(series, 'absent(up{job="a"})', 300) == []


def test_a_scalar_is_a_timestamp_value_pair_and_a_labelless_vector_is_not():
    series = {'up{job="a"}': "1x10", 'up{job="b"}': "1x10"}
    assert evaluate(series, "time()", 600) == [600, "600"]
    assert evaluate(series, "time()", 90.25) == [90.25, "90.25"]
    assert evaluate(series, "scalar(up)", 60) == [60, "NaN"]          # scalar() of two samples is NaN
    assert evaluate(series, 'scalar(up{job="a"})', 60) == [60, "1"]
    assert evaluate(series, "sum(up)", 60) == [{"metric": {}, "value": [60, "2"]}]
    assert evaluate(series, "vector(time())", 60) == [{"metric": {}, "value": [60, "60"]}]
    assert evaluate(series, "1 # a trailing comment", 60) == [60, "1"]


def test_a_gap_is_bridged_for_the_lookback_delta_then_the_series_is_gone():
    series = {'up{job="a"}': "1 2 _x10"}        # samples at 0 and 1m, then none
    assert evaluate(series, "up", 180)[0]["value"] == [180, "2"]      # 2m after its last sample: still there
    assert evaluate(series, "up", 420) == []                          # 6m after: past the 5m lookback
    assert evaluate(series, "timestamp(up)", 180)[0]["value"] == [180, "60"]   # the sample's own time
    assert evaluate(series, "count_over_time(up[10m])", 600)[0]["value"] == [600, "2"]


def test_a_staleness_marker_ends_the_series_at_once():
    series = {'up{job="a"}': "1 1 stale 1"}
    assert evaluate(series, "up", 60)[0]["value"][1] == "1"
    assert evaluate(series, "up", 120) == []                          # no lookback across a staleness marker
    assert evaluate(series, "up", 150) == []
    assert evaluate(series, "count_over_time(up[10m])", 180)[0]["value"][1] == "3"   # the marker is no sample


def test_counter_reset_and_rate():
    series = {'requests_total{code="200"}': "0+10x5 0+10x5", 'requests_total{code="500"}': "0+60x10"}
    assert evaluate(series, 'resets(requests_total{code="200"}[15m])', 660)[0]["value"][1] == "1"
    assert evaluate(series, 'rate(requests_total{code="500"}[5m])', 600)[0]["value"][1] == "1"


def test_histogram_quantile_interpolates_and_is_nan_without_the_inf_bucket():
    buckets = {metric("h_bucket", {"le": le}): f"0+{n}x10" for le, n in (("0.1", 0), ("0.5", 10), ("+Inf", 10))}
    value = evaluate(buckets, "histogram_quantile(0.5, rate(h_bucket[5m]))", 600)[0]["value"][1]
    assert float(value) == pytest.approx(0.3)                         # halfway through (0.1, 0.5]
    no_inf = {k: v for k, v in buckets.items() if "+Inf" not in k}
    assert evaluate(no_inf, "histogram_quantile(0.5, rate(h_bucket[5m]))", 600)[0]["value"][1] == "NaN"


def test_several_expressions_and_times_take_one_promtool_run_and_are_then_cached(runs):
    series = {'up{job="several"}': "1+1x10"}
    queries = [("up", 60), ("up", 120), ("time()", 60), ("sum(up)", 600)]
    first = evaluate_many(series, queries)
    assert first == [[{"metric": {"__name__": "up", "job": "several"}, "value": [60, "2"]}],
                     [{"metric": {"__name__": "up", "job": "several"}, "value": [120, "3"]}],
                     [60, "60"], [{"metric": {}, "value": [600, "11"]}]]
    assert len(runs) == 1
    assert evaluate(series, "up", 120) == first[1] and len(runs) == 1
    first[1][0]["metric"]["job"] = "changed by the caller"
    assert evaluate(series, "up", 120)[0]["metric"]["job"] == "several"


def test_a_parse_error_carries_promtools_message():
    with pytest.raises(PromQLError) as caught:
        evaluate({}, "sum(", 60)
    assert caught.value.message == "1:5: parse error: unclosed left parenthesis"
    with pytest.raises(PromQLError, match="expected type range vector in call to function \"rate\""):
        evaluate({}, "rate(up)", 60)


def test_an_evaluation_error_carries_promtools_message():
    series = {'a{x="1"}': "1x5", 'b{x="1"}': "1x5"}
    with pytest.raises(PromQLError, match="vector cannot contain metrics with the same labelset"):
        evaluate(series, '{__name__=~"a|b"} * 1', 60)


def test_one_failing_expression_among_several_fails_alone(runs):
    series = {'up{job="mixed"}': "1x10"}
    with pytest.raises(PromQLError, match="parse error"):
        evaluate_many(series, [("up", 60), ("up +", 60), ("up", 120)])
    assert evaluate(series, "up", 120)[0]["value"] == [120, "1"] and len(runs) == 1


def test_a_range_vector_or_string_result_is_no_answer():
    with pytest.raises(HarnessError, match="only instant vectors and scalars"):
        evaluate({'up{job="a"}': "1x10"}, "up[5m]", 300)
    with pytest.raises(HarnessError, match="only instant vectors and scalars"):
        evaluate({}, '"text"', 300)


def test_series_promtool_refuses_are_no_answer_with_its_message():
    with pytest.raises(HarnessError, match='unexpected "x"'):
        evaluate({"up": "1 x"}, "up", 60)
    with pytest.raises(HarnessError, match="parse error"):
        evaluate({"up{a=}": "1"}, "up", 60)


def test_the_fake_client_is_the_real_one_answering_from_promtool(runs):
    prometheus = PromtoolPrometheus({'up{job="api"}': "1+0x30"}, at_s=1800)
    assert isinstance(prometheus, Prometheus)
    assert prometheus.query('up{job="api"}') == [{"metric": {"__name__": "up", "job": "api"},
                                                  "value": [1800, "1"]}]
    assert prometheus.query("time() - 60") == [1800, "1740"]
    prometheus.query('up{job="api"}')
    assert prometheus.asked == ['up{job="api"}', "time() - 60", 'up{job="api"}'] and len(runs) == 2


def test_the_fake_client_turns_a_promql_error_into_could_not_look_invalid():
    prometheus = PromtoolPrometheus({}, at_s=60)
    with pytest.raises(CouldNotLook) as caught:
        prometheus.query("rate(")
    assert caught.value.kind == "invalid" and caught.value.what == "prometheus"
    assert "'rate(' failed: 1:6: parse error" in str(caught.value)


def test_the_fake_clients_other_reads_could_not_look():
    with pytest.raises(CouldNotLook):
        PromtoolPrometheus({}, at_s=60).active_targets()


def test_a_missing_promtool_names_setup_and_is_never_a_verdict(monkeypatch):
    monkeypatch.setattr(promtool, "PROMTOOL", "promtool-not-installed")

    def check(prometheus):
        try:
            prometheus.query("up")
        except Exception as exc:        # a check's broad handler must not catch the harness's failure
            raise CouldNotLook("prometheus", str(exc)) from None

    with pytest.raises(HarnessError, match="scripts/setup.sh"):
        run_check(check, {"prometheus": PromtoolPrometheus({'up{job="missing"}': "1"}, at_s=0)})
    assert not isinstance(HarnessError("x"), Exception)


def test_promtool_is_installed():
    assert promtool.shutil.which(promtool.PROMTOOL), \
        "promtool is missing: scripts/setup.sh installs it (Debian prometheus 2.42, /usr/bin/promtool)"
    assert not math.isnan(float(evaluate({}, "1", 0)[1]))
