"""Alertmanager's routing tree, evaluated in Python exactly as Alertmanager 0.25 (``amtool config routes test``).

Ported from upstream's ``pkg/labels/parse.go`` (matcher parsing and unescaping), ``pkg/labels/matcher.go``
(regular expressions anchored as ``^(?:...)$``, in Go's RE2 syntax, so RE2 itself evaluates them here) and
``dispatch/route.go`` (a route matches when all its matchers match; a missing label is the empty string;
children are tried in order and the search stops at the first matching child unless it has
``continue: true``; a route whose children all miss is itself the result; a route without a receiver
inherits its parent's). The receivers are listed once per matching route, duplicates included, as amtool
prints them. A configuration Alertmanager would reject raises :class:`RoutingError`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import re2
import yaml

_GO_SPACE = r"[\t\n\f\r ]"     # Go's \s (Python's would also take Unicode spaces)
_MATCHER = re.compile(rf'^{_GO_SPACE}*([a-zA-Z_:][a-zA-Z0-9_:]*){_GO_SPACE}*(=~|=|!=|!~){_GO_SPACE}*((?s:.*?)){_GO_SPACE}*$')
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


class RoutingError(ValueError):
    """The configuration (or a matcher in it) is one Alertmanager would refuse to load."""


def compile_regex(value: str):
    try:
        return re2.compile("^(?:" + value + ")$", _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RoutingError(f"invalid regular expression {value!r}: {detail}") from None


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def __post_init__(self):
        if self.op in ("=~", "!~"):
            object.__setattr__(self, "_re", compile_regex(self.value))

    def matches(self, labels: dict[str, str]) -> bool:
        seen = labels.get(self.name, "")
        if self.op == "=":
            return seen == self.value
        if self.op == "!=":
            return seen != self.value
        found = self._re.search(seen) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        quoted = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{quoted}"'


def api_matcher(raw: dict) -> Matcher:
    """A matcher as the v2 API carries it in a silence: ``name``, ``value``, ``isRegex`` and ``isEqual`` (true
    when absent: Alertmanager before 0.22 had no negative matchers)."""
    regex, equal = raw.get("isRegex") is True, raw.get("isEqual", True) is not False
    return Matcher(str(raw.get("name", "")), ("=~" if equal else "!~") if regex else ("=" if equal else "!="),
                   str(raw.get("value", "")))


def _byte_offsets(text: str):
    """(byte offset in UTF-8, character) pairs: Go ranges over a string by byte offset."""
    offset = 0
    for char in text:
        yield offset, char
        offset += len(char.encode("utf-8"))


def parse_matcher(text: str) -> Matcher:
    m = _MATCHER.match(text)
    if not m:
        raise RoutingError(f"bad matcher format: {text}")
    name, op, raw = m.groups()
    expect_trailing_quote = raw.startswith('"')
    if expect_trailing_quote:
        raw = raw[1:]
    last = len(raw.encode("utf-8")) - 1
    value, escaped = [], False
    for i, char in _byte_offsets(raw):
        if escaped:
            escaped = False
            if char == "n":
                value.append("\n")
            elif char in '"\\':
                value.append(char)
            else:       # a spurious escape: the backslash is literal
                value.append("\\" + char)
            continue
        if char == "\\":
            if i < last:
                escaped = True
                continue
            value.append("\\")
        elif char == '"':
            if not expect_trailing_quote or i < last:
                raise RoutingError(f"matcher value contains unescaped double quote: {m.group(3)}")
            expect_trailing_quote = False
        else:
            value.append(char)
    if expect_trailing_quote:
        raise RoutingError(f"matcher value contains unescaped double quote: {m.group(3)}")
    return Matcher(name, op, "".join(value))


def parse_matchers(text: str) -> list[Matcher]:
    """A comma-separated list of matchers, optionally in braces (Alertmanager's ParseMatchers)."""
    text = text.removeprefix("{").removesuffix("}")
    tokens, token, inside_quotes, escaped = [], [], False, False
    for char in text:
        if char == ",":
            if not inside_quotes:
                tokens.append("".join(token))
                token = []
                continue
        elif char == '"':
            if not escaped:
                inside_quotes = not inside_quotes
            else:
                escaped = False
        elif char == "\\":
            escaped = not escaped
        else:
            escaped = False
        token.append(char)
    last = "".join(token).strip()
    if last:
        tokens.append(last)
    return [parse_matcher(t) for t in tokens]


@dataclass
class Route:
    receiver: str
    matchers: list[Matcher]
    continue_: bool
    routes: list["Route"]

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


def _route(raw: dict, parent_receiver: str | None) -> Route:
    if not isinstance(raw, dict):
        raise RoutingError(f"a route must be a mapping, got {raw!r}")
    receiver = raw.get("receiver") or parent_receiver
    matchers = []
    for name, value in (raw.get("match") or {}).items():
        if not _LABEL_NAME.match(str(name)):
            raise RoutingError(f"invalid label name {name!r}")
        matchers.append(Matcher(str(name), "=", str(value)))
    matchers += [Matcher(str(k), "=~", str(v)) for k, v in (raw.get("match_re") or {}).items()]
    for entry in raw.get("matchers") or []:
        matchers += parse_matchers(str(entry))
    return Route(receiver, matchers, bool(raw.get("continue")),
                 [_route(child, receiver) for child in raw.get("routes") or []])


def parse_config(text: str) -> tuple[Route, dict]:
    """The routing tree and the config's receivers (name -> receiver dict) from Alertmanager YAML."""
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RoutingError(f"not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(config, dict) or not isinstance(config.get("route"), dict):
        raise RoutingError("the Alertmanager configuration has no route")
    if not config["route"].get("receiver"):
        raise RoutingError("the root route must specify a default receiver")
    receivers = {r["name"]: r for r in config.get("receivers") or [] if isinstance(r, dict) and "name" in r}
    tree = _route(config["route"], None)
    unknown = sorted({r.receiver for r in _walk(tree)} - set(receivers))
    if unknown:
        raise RoutingError(f"undefined receiver(s) used in route: {', '.join(unknown)}")
    return tree, receivers


def _walk(route: Route):
    yield route
    for child in route.routes:
        yield from _walk(child)


def matching_routes(route: Route, labels: dict[str, str]) -> list[Route]:
    if not route.matches(labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        hits = matching_routes(child, labels)
        found += hits
        if hits and not child.continue_:
            break
    return found or [route]


def receivers_for(route: Route, labels: dict[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` is sent to, one per matching route, in order (as amtool prints)."""
    return [hit.receiver for hit in matching_routes(route, labels)]


INTEGRATION_KEYS = {"email": "email_configs", "pagerduty": "pagerduty_configs", "slack": "slack_configs",
                    "webhook": "webhook_configs", "opsgenie": "opsgenie_configs"}


def integrations(receivers: dict) -> dict[str, list[str]]:
    """integration name -> receivers that use it."""
    found: dict[str, list[str]] = {}
    for name, receiver in receivers.items():
        for integration, key in INTEGRATION_KEYS.items():
            if receiver.get(key):
                found.setdefault(integration, []).append(name)
    return found
