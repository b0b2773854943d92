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
    return selects_everything(spec.get("podSelector")) and direction in policy_types(policy) and not spec.get(RULES[direction])


def _everyone(peer: dict) -> str | None:
    """Why a peer stands for every source (destination), or None."""
    block = peer.get("ipBlock")
    if block:
        try:
            network = ipaddress.ip_network(block.get("cidr", ""), strict=False)
        except ValueError:
            return None
        return f"every address (ipBlock {block['cidr']})" if network.prefixlen == 0 else None
    if selects_everything(peer.get("namespaceSelector")) and (peer.get("podSelector") is None
                                                       or selects_everything(peer["podSelector"])):
        return "every pod of every namespace (an empty namespaceSelector)"
    return None


@dataclass(frozen=True)
class Opening:
    policy: str
    rule: int
    peer: str
    ports: str

    def __str__(self) -> str:
        return f"policy {self.policy} rule {self.rule}: {self.peer} on {self.ports}"


def _ports(rule: dict) -> str:
    ports = rule.get("ports") or []
    if not ports:
        return "every port"
    shown = []
    for port in ports:
        number = port.get("port", "every port")
        shown.append(f"{port.get('protocol', 'TCP')}/{number}" + (f"-{port['endPort']}" if port.get("endPort") else ""))
    return ", ".join(shown)


def openings(policies: list[dict], direction: str) -> list[Opening]:
    """Every rule of ``policies`` that lets ``direction`` traffic through to or from everyone."""
    found = []
    for policy in policies:
        for index, rule in enumerate((policy.get("spec") or {}).get(RULES[direction]) or [], start=1):
            peers = rule.get(PEERS[direction]) or []
            why = "every peer (the rule names none)" if not peers else next(filter(None, map(_everyone, peers)), None)
            if why:
                found.append(Opening(policy["metadata"]["name"], index, why, _ports(rule)))
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
