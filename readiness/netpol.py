"""What NetworkPolicies allow a pod, added up as Kubernetes adds them (networking.k8s.io/v1).

From the API's documentation:
- a pod is isolated in a direction only when at least one policy of its namespace selects it (an empty
  ``podSelector`` selects every pod) with that direction in its policy types; an unisolated pod accepts
  everything in that direction;
- ``policyTypes`` left out means Ingress, plus Egress when the policy has egress rules;
- policies add up: what any selecting policy allows is allowed, no policy takes away;
- a rule without ``from`` (``to``) matches every peer, a rule without ``ports`` every port; an empty rule
  ``{}`` allows everything;
- a peer with only ``namespaceSelector: {}`` is every pod of every namespace; an ``ipBlock`` of ``0.0.0.0/0``
  or ``::/0`` is every address (its ``except`` carves out a few).

A host-network pod is not subject to NetworkPolicy at all.
"""
from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass

from readiness.ready import selects, selects_everything

PEERS = {"Ingress": "from", "Egress": "to"}
RULES = {"Ingress": "ingress", "Egress": "egress"}


def policy_types(policy: dict) -> list[str]:
    spec = policy.get("spec") or {}
    if spec.get("policyTypes"):
        return spec["policyTypes"]
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def selecting(policies: list[dict], pod: dict, direction: str) -> list[dict]:
    """The policies of the pod's namespace that select it for ``direction`` (Ingress or Egress)."""
    namespace, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels")
    return [p for p in policies if p["metadata"].get("namespace") == namespace
            and direction in policy_types(p) and selects((p.get("spec") or {}).get("podSelector"), labels)]


def is_default_deny(policy: dict, direction: str) -> bool:
    """Selects every pod of its namespace for ``direction`` and allows nothing in it."""
    spec = policy.get("spec") or {}
    return (selects_everything(spec.get("podSelector")) and direction in policy_types(policy)
            and not spec.get(RULES[direction]))


NAMESPACE_NAME = "kubernetes.io/metadata.name"     # the control plane sets it on every namespace
MAX_WITNESSES = 20000


def every_label_set(selectors: list[dict], always_set: frozenset[str] = frozenset()) -> bool:
    """Whether the selectors together select every possible label set. A selector compares a key's value only
    with the values it names, so trying, for each key they mention, each named value, one other value and
    absence (unless ``always_set``) decides it exactly. Too many combinations to try: False (not shown)."""
    if any(selects_everything(s) for s in selectors):
        return True
    keys = sorted({k for s in selectors for k in s.get("matchLabels") or {}}
                  | {e["key"] for s in selectors for e in s.get("matchExpressions") or []})
    options, combinations = [], 1
    for key in keys:
        named = {v for s in selectors for k, v in (s.get("matchLabels") or {}).items() if k == key}
        named |= {v for s in selectors for e in s.get("matchExpressions") or [] if e["key"] == key
                  for v in e.get("values") or []}
        options.append(sorted(named) + ["\0another value"] + ([] if key in always_set else [None]))
        combinations *= len(options[-1])
    if not selectors or combinations > MAX_WITNESSES:
        return False
    return all(any(selects(s, {k: v for k, v in zip(keys, values) if v is not None}) for s in selectors)
               for values in itertools.product(*options))


def _every_address(peers: list[dict]) -> str | None:
    blocks = []
    for peer in peers:
        try:
            blocks.append(ipaddress.ip_network((peer.get("ipBlock") or {}).get("cidr", ""), strict=False))
        except ValueError:
            continue
    for version, everything in ((4, "0.0.0.0/0"), (6, "::/0")):
        collapsed = list(ipaddress.collapse_addresses(b for b in blocks if b.version == version))
        if collapsed == [ipaddress.ip_network(everything)]:
            cidrs = ", ".join(str(b) for b in blocks if b.version == version)
            return f"every address (ipBlock {cidrs})"
    return None


def _every_pod(peers: list[dict]) -> str | None:
    """Pod peers that together stand for every pod of every namespace: the peers across every namespace
    whose pod selectors add up to everything, or the peers of every pod whose namespace selectors do."""
    pods = [p for p in peers if "ipBlock" not in p]
    nowhere_else = [p for p in pods if "namespaceSelector" in p]       # without it, only the policy's namespace
    all_namespaces = [p for p in nowhere_else if every_label_set([p["namespaceSelector"]], frozenset({NAMESPACE_NAME}))]
    if all_namespaces and every_label_set([p.get("podSelector") or {} for p in all_namespaces]):
        return "every pod of every namespace (namespaceSelector " + \
            " + ".join(_shown(p["namespaceSelector"]) for p in all_namespaces) + ")"
    all_pods = [p for p in nowhere_else if "podSelector" not in p or selects_everything(p["podSelector"])]
    if all_pods and every_label_set([p["namespaceSelector"] for p in all_pods], frozenset({NAMESPACE_NAME})):
        return "every pod of every namespace (namespaceSelectors " + \
            " + ".join(_shown(p["namespaceSelector"]) for p in all_pods) + ")"
    return None


def _shown(selector: dict) -> str:
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    parts += [f"{e['key']} {e['operator']} {e.get('values') or ''}".strip()
              for e in selector.get("matchExpressions") or []]
    return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True)
class Opening:
    policy: str
    rule: int | None
    peer: str
    ports: str

    def __str__(self) -> str:
        where = f"policy {self.policy} rule {self.rule}" if self.rule else f"policies {self.policy} added up"
        return f"{where}: {self.peer} on {self.ports}"


def _ports(rule: dict) -> str:
    ports = rule.get("ports") or []
    if not ports:
        return "every port"
    shown = []
    for port in ports:
        number = port.get("port", "every port")
        shown.append(f"{port.get('protocol', 'TCP')}/{number}" + (f"-{port['endPort']}" if port.get("endPort") else ""))
    return ", ".join(shown)


def _everyone(peers: list[dict]) -> str | None:
    return _every_address(peers) or _every_pod(peers)


def openings(policies: list[dict], direction: str) -> list[Opening]:
    """The ways ``policies`` together let ``direction`` traffic through to or from everyone: a rule alone, or
    the rules of the same ports (and the rules of every port) added up."""
    rules = [(p["metadata"]["name"], index, rule) for p in policies
             for index, rule in enumerate((p.get("spec") or {}).get(RULES[direction]) or [], start=1)]
    found = []
    for name, index, rule in rules:
        peers = rule.get(PEERS[direction]) or []
        why = "every peer (the rule names none)" if not peers else _everyone(peers)
        if why:
            found.append(Opening(name, index, why, _ports(rule)))
    if found:
        return found
    for ports in {_ports(rule) for _, _, rule in rules}:
        joined = [(name, rule) for name, _, rule in rules if _ports(rule) in (ports, "every port")]
        why = _everyone([peer for _, rule in joined for peer in rule.get(PEERS[direction]) or []])
        if why:
            found.append(Opening(", ".join(sorted({name for name, _ in joined})), None, why, ports))
    return found


def _port_matches(rule_port: dict, declared: dict) -> bool:
    if rule_port.get("protocol", "TCP") != declared.get("protocol", "TCP"):
        return False
    port = rule_port.get("port")
    if port is None:
        return True
    if isinstance(port, str) and not port.isdigit():
        return port == declared.get("name")
    number = declared.get("containerPort")
    end = rule_port.get("endPort") or int(port)
    return number is not None and int(port) <= number <= end


def reaches(policies: list[dict], declared_ports: list[dict]) -> list[str]:
    """The names of ``policies`` (already selecting the pods) with an ingress rule from some peer to one of
    ``declared_ports`` (a container's port entries); a rule without ports reaches every port."""
    found = []
    for policy in policies:
        for rule in (policy.get("spec") or {}).get("ingress") or []:
            if not rule.get("ports") or any(_port_matches(rp, dp) for rp in rule["ports"] for dp in declared_ports):
                found.append(policy["metadata"]["name"])
                break
    return found
