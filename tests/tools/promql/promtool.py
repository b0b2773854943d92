"""Prometheus' own engine as the oracle for the suite's PromQL: expressions evaluated by ``promtool test rules``.

The Debian promtool 2.42 (``/usr/bin/promtool``, installed by ``scripts/setup.sh``) loads synthetic series and
evaluates an instant query at a given time. It prints a result only when the result differs from the
expectation, so the harness expects a sample no expression produces and reads the ``got:`` line back
(cmd/promtool/unittest.go at v2.42.0: ``labels.Labels.String()`` with Go-quoted values, then the value in
``strconv.FormatFloat(v, 'E', -1, 64)``; ``nil`` for an empty result; a scalar as one sample with no labels).

API (all that a PromQL criterion's shape test needs)::

    from tests.tools.promql.promtool import PromtoolPrometheus, evaluate, metric

    SERIES = {metric("probe_success", {"job": "probe", "service": "trino"}): "1+0x60",   # every minute, 1h
              'up{job="apiserver"}': "1 1 _ _ stale"}                                   # gap, then ended
    evaluate(SERIES, 'avg_over_time(probe_success[1h])', at_s=3600)
    # -> [{"metric": {"job": "probe", "service": "trino"}, "value": [3600, "1"]}]

    prometheus = PromtoolPrometheus(SERIES, at_s=3600)      # the check's ``prometheus`` fixture
    verdict, message = run_check(check, {**empty_world(profile), "prometheus": prometheus})
    prometheus.asked                                         # the queries the check sent, in order

- ``series``: a mapping (or pairs) of series in PromQL notation to values in promtool's expanding notation, one
  sample per ``interval`` from time 0: ``1+0x10`` (11 samples), ``0+10x5``, ``_`` (no sample), ``_x3``,
  ``stale`` (a staleness marker: the series ends there), ``NaN``, ``Inf``, ``-Inf``.
- ``metric(name, labels)`` writes a series name whose label values may hold anything (quotes, commas, braces,
  newlines).
- ``evaluate(series, expr, at_s, interval="1m")``: the instant query at ``at_s`` seconds after time 0, in the
  shape the real client (``fixtures.monitoring.Prometheus.query``, i.e. the HTTP API's ``data.result``) returns:
  a vector as ``[{"metric": {...}, "value": [at_s, "0.5"]}]`` (values as Prometheus writes them: "0.5", "100",
  "1e-07", "NaN", "+Inf", "-Inf"), an empty vector as ``[]``, a scalar such as ``time()`` as ``[at_s, "600"]``.
- ``evaluate_many(series, [(expr, at_s), ...], interval)``: several in one promtool run (~70 ms a run).
- ``PromtoolPrometheus(series, at_s, interval="1m")``: the real ``Prometheus`` client with only ``query``
  replaced, answering every query at ``at_s`` ("now" of the synthetic world); a PromQL error becomes
  ``CouldNotLook("prometheus", ..., "invalid")`` as with the real client; ``asked`` lists the queries. Its other
  reads (targets, rules) go to an unreachable URL and are could-not-look.

Every (series, interval, expression, time) is evaluated once per process. ``PromQLError`` (an Exception)
carries promtool's message when the engine refuses the expression (parse or evaluation error).
``HarnessError`` is raised when the harness cannot answer at all: promtool missing, series promtool refuses,
a range-vector or string result (promtool shows only vectors and scalars), unreadable output. It derives
from BaseException, so neither a check's ``except Exception`` nor ``run_check`` can turn a broken harness
into a verdict (an expected "broken" must never pass because promtool did not run).
"""
from __future__ import annotations

import copy
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from fixtures.cache import SharedCache
from fixtures.monitoring import Prometheus
from readiness.verdict import CouldNotLook

PROMTOOL = "promtool"            # found on PATH; scripts/setup.sh installs Debian's prometheus package
TIMEOUT_S = 120
NEVER = '{__promtool_harness__="no expression yields this"}'   # the expectation no result matches
_NOT_SHOWN = "rule result is not a vector or scalar"             # promtool on a range vector or a string
_SCALAR_PROBE = "got scalar"     # timestamp(<scalar>) is refused at parse time with this

Series = Mapping[str, str] | Iterable[tuple[str, str]]


class PromQLError(Exception):
    """Prometheus' engine refused the expression; ``message`` is promtool's (e.g. '1:5: parse error: ...')."""

    def __init__(self, expr: str, message: str):
        super().__init__(f"{expr!r}: {message}")
        self.expr, self.message = expr, message


class HarnessError(BaseException):
    """The harness produced no answer (promtool missing, series refused, unsupported result, unreadable
    output): a broken test, never a verdict of the check under test."""


def metric(name: str, labels: Mapping[str, str] | None = None) -> str:
    """A series in PromQL notation, each label value quoted as the PromQL lexer reads it."""
    inner = ", ".join(f"{key}={_promql_quote(value)}" for key, value in (labels or {}).items())
    return f"{name}{{{inner}}}"


def evaluate(series: Series, expr: str, at_s: float, interval: str = "1m"):
    """The instant query ``expr`` at ``at_s`` seconds on ``series``, as the HTTP API's ``data.result``."""
    return evaluate_many(series, [(expr, at_s)], interval)[0]


def evaluate_many(series: Series, queries: Iterable[tuple[str, float]], interval: str = "1m") -> list:
    """Each (expr, at_s) evaluated on ``series`` in one promtool run; the first PromQL error is raised."""
    key = (_pairs(series), interval)
    queries = [(expr, _ms(at_s)) for expr, at_s in queries]
    missing = list(dict.fromkeys(q for q in queries if (key, *q) not in _CACHE))
    if missing:
        for query, outcome in zip(missing, _run(key[0], interval, missing)):
            _CACHE[(key, *query)] = outcome
    results = []
    for expr, at_ms in queries:
        outcome = _CACHE[(key, expr, at_ms)]
        if isinstance(outcome, PromQLError):
            raise PromQLError(outcome.expr, outcome.message)
        results.append(copy.deepcopy(outcome))
    return results


class PromtoolPrometheus(Prometheus):
    """The Prometheus client answering instant queries from promtool on synthetic series at ``at_s``."""

    def __init__(self, series: Series, at_s: float, interval: str = "1m"):
        super().__init__("promtool://synthetic-series", SharedCache())
        self.series, self.at_s, self.interval = _pairs(series), at_s, interval
        self.asked: list[str] = []

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        self.asked.append(promql)
        try:
            return evaluate(self.series, promql, self.at_s if at is None else at, self.interval)
        except PromQLError as exc:
            raise CouldNotLook("prometheus", f"query {promql!r} failed: {exc.message}", "invalid") from None


_CACHE: dict[tuple, object] = {}


def _pairs(series: Series) -> tuple[tuple[str, str], ...]:
    pairs = tuple(series.items()) if isinstance(series, Mapping) else tuple(tuple(p) for p in series)
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(part, str) for part in pair):
            raise HarnessError(f"a series is (series in PromQL notation, values in promtool's notation), "
                               f"both strings; got {pair!r}")
    return pairs


def _ms(at_s: float) -> int:
    if not isinstance(at_s, (int, float)) or math.isnan(at_s) or at_s < 0:
        raise HarnessError(f"evaluation time {at_s!r}: seconds after time 0, at least 0")
    return round(at_s * 1000)


def _promtool() -> str:
    found = shutil.which(PROMTOOL)
    if not found:
        raise HarnessError(f"{PROMTOOL} is missing: scripts/setup.sh installs it (Debian prometheus 2.42, "
                           "/usr/bin/promtool)")
    return found


def _run(pairs, interval: str, queries: list[tuple[str, int]]) -> list:
    """One promtool run: each query evaluated, then ``timestamp(query)`` at time 0, which promtool refuses at
    parse time exactly when the query is a scalar (a scalar and a vector with no labels print alike)."""
    cases = []
    for expr, at_ms in queries:
        cases += [(expr, at_ms), (f"timestamp(\n{expr}\n)", 0)]
    # promtool steps through time at the evaluation interval up to the last eval_time: at the series' own
    # interval a 30-day world takes 720 steps, not 43,200.
    text = (f"evaluation_interval: {_yaml(interval)}\ntests:\n- interval: {_yaml(interval)}\n  input_series:"
            + ("\n" if pairs else " []\n"))
    for name, values in pairs:
        text += f"  - series: {_yaml(name)}\n    values: {_yaml(values)}\n"
    text += "  promql_expr_test:\n"
    for expr, at_ms in cases:
        text += (f"  - expr: {_yaml(expr)}\n    eval_time: {at_ms}ms\n"
                 f"    exp_samples:\n    - labels: {_yaml(NEVER)}\n      value: 0\n")
    with tempfile.TemporaryDirectory(prefix="promtool-") as folder:
        path = Path(folder) / "harness.yml"
        path.write_text(text, encoding="utf-8")
        try:
            proc = subprocess.run([_promtool(), "test", "rules", path.name], cwd=folder, capture_output=True,
                                  timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"promtool test rules took more than {TIMEOUT_S}s") from None
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode == 0:
        raise HarnessError(f"promtool matched the impossible expectation {NEVER}: {proc.stdout!r}")
    outcomes = _read_failures(stderr, cases)
    results = []
    for (expr, at_ms), main, probe in zip(queries, outcomes[0::2], outcomes[1::2]):
        if isinstance(main, str):
            if main.startswith(_NOT_SHOWN):
                raise HarnessError(f"{expr!r}: promtool shows only instant vectors and scalars ({main}); a "
                                   "range vector or string query cannot be checked here")
            results.append(PromQLError(expr, main))
        elif isinstance(probe, str) and _SCALAR_PROBE in probe:
            if len(main) != 1 or main[0][0]:
                raise HarnessError(f"{expr!r}: a scalar whose result printed as {main!r}")
            results.append([_api_time(at_ms), _api_value(main[0][1])])
        else:
            results.append([{"metric": labels, "value": [_api_time(at_ms), _api_value(value)]}
                            for labels, value in main])
    return results


def _read_failures(stderr: str, cases: list[tuple[str, int]]) -> list:
    """Each case's outcome from promtool's report, in order: [(labels, value), ...] or an error message."""
    reader = _Reader(stderr)
    if not reader.skip("  FAILED:\n") or not reader.at("    expr: "):
        raise HarnessError(f"promtool refused the input: {stderr.strip() or 'no output'}")
    outcomes = []
    for index, (expr, _) in enumerate(cases):
        reader.expect("    expr: ")
        echoed = reader.go_string()
        if echoed != expr:
            raise HarnessError(f"promtool reported {echoed!r} where {expr!r} was expected")
        reader.expect(", time: ")
        reader.until(",")
        reader.expect(",")
        if reader.skip(" err: "):
            last = index == len(cases) - 1
            outcomes.append(reader.until(None if last else '\n    expr: "').rstrip("\n"))
            reader.skip("\n")
            continue
        reader.expect("\n        exp: ")
        reader.until("\n")
        reader.expect("\n        got: ")
        outcomes.append(reader.samples())
        reader.expect("\n")
    if not reader.done():
        raise HarnessError(f"promtool printed more than expected: {reader.rest()!r}")
    return outcomes


_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_GO_FLOAT_E = re.compile(r"NaN|[+-]Inf|-?[0-9](\.[0-9]+)?E[+-][0-9]{2,3}")
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


class _Reader:
    """A cursor over promtool's report, reading Go's %q strings and labels.Labels.String() exactly."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def at(self, literal: str) -> bool:
        return self.text.startswith(literal, self.pos)

    def skip(self, literal: str) -> bool:
        if self.at(literal):
            self.pos += len(literal)
            return True
        return False

    def expect(self, literal: str) -> None:
        if not self.skip(literal):
            self.fail(f"expected {literal!r}")

    def until(self, stop: str | None) -> str:
        end = len(self.text) if stop is None else self.text.find(stop, self.pos)
        if end < 0:
            self.fail(f"expected {stop!r} later")
        found, self.pos = self.text[self.pos:end], end
        return found

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def rest(self) -> str:
        return self.text[self.pos:self.pos + 200]

    def fail(self, what: str):
        raise HarnessError(f"unreadable promtool output at {self.pos}: {what}, found {self.rest()!r}")

    def go_string(self) -> str:
        """A Go double-quoted string literal (strconv.Quote's output; any escape strconv.Unquote reads)."""
        self.expect('"')
        out = bytearray()
        while True:
            if self.done() or self.text[self.pos] == "\n":
                self.fail("an unterminated string")
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                return out.decode("utf-8", "replace")      # invalid UTF-8 as Go's JSON encoder writes it
            if char != "\\":
                out += char.encode("utf-8")
                continue
            kind = self.text[self.pos:self.pos + 1]
            self.pos += 1
            if kind in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[kind])
            elif kind in ("x", "u", "U"):
                width = {"x": 2, "u": 4, "U": 8}[kind]
                digits = self.text[self.pos:self.pos + width]
                if not re.fullmatch(f"[0-9a-fA-F]{{{width}}}", digits):
                    self.fail(f"a bad \\{kind} escape")
                self.pos += width
                if kind == "x":
                    out.append(int(digits, 16))
                else:
                    out += chr(int(digits, 16)).encode("utf-8", "surrogatepass")
            elif kind and kind in "01234567":
                digits = self.text[self.pos - 1:self.pos + 2]
                if not re.fullmatch("[0-7]{3}", digits) or int(digits, 8) > 255:
                    self.fail("a bad octal escape")
                self.pos += 2
                out.append(int(digits, 8))
            else:
                self.fail(f"an unknown escape \\{kind}")

    def labels(self) -> dict[str, str]:
        """labels.Labels.String(): {name="value", name="value"}."""
        self.expect("{")
        found: dict[str, str] = {}
        if self.skip("}"):
            return found
        while True:
            name = _LABEL_NAME.match(self.text, self.pos)
            if not name:
                self.fail("a label name")
            self.pos = name.end()
            self.expect("=")
            found[name.group(0)] = self.go_string()
            if self.skip("}"):
                return found
            self.expect(", ")

    def samples(self) -> list[tuple[dict, float]]:
        """promtool's parsedSamplesString: 'nil', or '{labels} value' joined by ', '."""
        if self.skip("nil"):
            return []
        found = []
        while True:
            labels = self.labels()
            self.expect(" ")
            value = _GO_FLOAT_E.match(self.text, self.pos)
            if not value:
                self.fail("a value in strconv.FormatFloat(v, 'E', -1, 64)")
            self.pos = value.end()
            found.append((labels, float(value.group(0))))
            if not self.skip(", "):
                return found


def _api_time(at_ms: int) -> int | float:
    """A sample's timestamp as the HTTP API writes it (seconds, up to three decimals) and JSON reads it."""
    return at_ms // 1000 if at_ms % 1000 == 0 else at_ms / 1000


def _api_value(value: float) -> str:
    """A sample's value as the HTTP API writes it (util/jsonutil MarshalValue: strconv.AppendFloat(v, 'f', -1)
    and 'e' below 1e-6 or from 1e21)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    exact = Decimal(repr(value)).normalize()       # the shortest digits that read back as value, as Go's -1
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        sign, digits, exponent = exact.as_tuple()
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        power = exponent + len(digits) - 1
        return f"{'-' if sign else ''}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    return format(exact, "f")


def _promql_quote(value: str) -> str:
    """A double-quoted PromQL string (Go escapes) holding ``value``."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar holding ``text``, ASCII only (yaml.v2 reads \\u and \\U escapes)."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    return '"' + "".join(out) + '"'
