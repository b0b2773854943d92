"""Alertmanager's routing tree, evaluated in Python the way ``amtool config routes test`` does.

A route matches when all its matchers match the alert's labels (a missing
label is the empty string; regular expressions are anchored). Children are
tried in order; each matching child is descended into, and the search stops at
the first matching child unless it has ``continue: true``. A route whose
children all miss is itself the result. A route without a receiver inherits
its parent's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_MATCHER = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        seen = labels.get(self.name, "")
        if self.op == "=":
            return seen == self.value
        if self.op == "!=":
            return seen != self.value
        found = re.fullmatch(self.value, seen) is not None
        return found if self.op == "=~" else not found


def parse_matcher(text: str) -> Matcher:
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(f"not a matcher: {text!r}")
    name, op, value = m.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = bytes(value[1:-1], "utf-8").decode("unicode_escape")
    return Matcher(name, op, value)


def _split_matchers(entry: str) -> list[str]:
    """One matchers entry may hold several comma-separated matchers, optionally in braces."""
    entry = entry.strip()
    if entry.startswith("{") and entry.endswith("}"):
        entry = entry[1:-1]
    parts, current, quoted = [], "", False
    for char in entry:
        if char == '"' and not current.endswith("\\"):
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


@dataclass
class Route:
    receiver: str
    matchers: list[Matcher]
    continue_: bool
    routes: list["Route"]

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


def _route(raw: dict, parent_receiver: str | None) -> Route:
    receiver = raw.get("receiver") or parent_receiver
    matchers = [parse_matcher(p) for entry in raw.get("matchers") or [] for p in _split_matchers(entry)]
    matchers += [Matcher(k, "=", str(v)) for k, v in (raw.get("match") or {}).items()]
    matchers += [Matcher(k, "=~", str(v)) for k, v in (raw.get("match_re") or {}).items()]
    return Route(receiver, matchers, bool(raw.get("continue")),
                 [_route(child, receiver) for child in raw.get("routes") or []])


def parse_config(text: str) -> tuple[Route, dict]:
    """The routing tree and the config's receivers (name -> receiver dict) from Alertmanager YAML."""
    config = yaml.safe_load(text) or {}
    if "route" not in config:
        raise ValueError("the Alertmanager configuration has no route")
    receivers = {r["name"]: r for r in config.get("receivers") or []}
    return _route(config["route"], None), receivers


def matching_routes(route: Route, labels: dict[str, str]) -> list[Route]:
    if not route.matches(labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        hits = matching_routes(child, labels)
        if hits:
            found += hits
            if not child.continue_:
                break
    return found or [route]


def receivers_for(route: Route, labels: dict[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` is sent to, in order, without duplicates (as amtool prints)."""
    seen: list[str] = []
    for hit in matching_routes(route, labels):
        if hit.receiver not in seen:
            seen.append(hit.receiver)
    return seen


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
