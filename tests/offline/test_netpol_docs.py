"""readiness/netpol.py on the examples of the upstream NetworkPolicy documentation
(kubernetes.io/docs/concepts/services-networking/network-policies), each with what the page says it does."""
from __future__ import annotations

import pytest

from readiness.netpol import is_default_deny, openings, policy_types, reaches, selecting


def policy(name: str, spec: dict) -> dict:
    return {"metadata": {"namespace": "default", "name": name}, "spec": spec}


def pod(labels: dict) -> dict:
    return {"metadata": {"namespace": "default", "labels": labels}}


# The page's first example: role=db pods take TCP 6379 from an address block (but a part of it), from the
# namespace project=myproject and from role=frontend pods; they may reach 10.0.0.0/24 on TCP 5978.
TEST_NETWORK_POLICY = policy("test-network-policy", {
    "podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress", "Egress"],
    "ingress": [{"from": [{"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                          {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                          {"podSelector": {"matchLabels": {"role": "frontend"}}}],
                 "ports": [{"protocol": "TCP", "port": 6379}]}],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}]})
DENY_INGRESS = policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_ALL_INGRESS = policy("allow-all-ingress", {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
DENY_EGRESS = policy("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_ALL_EGRESS = policy("allow-all-egress", {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
DENY_ALL = policy("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
PORT_RANGE = policy("multi-port-egress", {
    "podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Egress"],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 32000,
                                                                          "endPort": 32768}]}]})
# "and" (one peer with both selectors) against "or" (two peers), as the page contrasts them.
AND_PEER = policy("and", {"podSelector": {}, "ingress": [{"from": [
    {"namespaceSelector": {"matchLabels": {"user": "alice"}}, "podSelector": {"matchLabels": {"role": "client"}}}]}]})
OR_PEERS = policy("or", {"podSelector": {}, "ingress": [{"from": [
    {"namespaceSelector": {"matchLabels": {"user": "alice"}}}, {"podSelector": {"matchLabels": {"role": "client"}}}]}]})
# Without policyTypes: Ingress always, Egress only with egress rules.
NO_TYPES = policy("no-types", {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]})

DOCS = [
    # (policy, direction, default deny, open to everyone, selects role=db, selects role=web)
    (TEST_NETWORK_POLICY, "Ingress", False, False, True, False),
    (TEST_NETWORK_POLICY, "Egress", False, False, True, False),
    (DENY_INGRESS, "Ingress", True, False, True, True),
    (DENY_INGRESS, "Egress", False, False, False, False),
    (ALLOW_ALL_INGRESS, "Ingress", False, True, True, True),
    (DENY_EGRESS, "Egress", True, False, True, True),
    (DENY_EGRESS, "Ingress", False, False, False, False),
    (ALLOW_ALL_EGRESS, "Egress", False, True, True, True),
    (DENY_ALL, "Ingress", True, False, True, True),
    (DENY_ALL, "Egress", True, False, True, True),
    (PORT_RANGE, "Egress", False, False, True, False),
    (AND_PEER, "Ingress", False, False, True, True),
    (OR_PEERS, "Ingress", False, False, True, True),
    (NO_TYPES, "Ingress", True, False, True, True),
    (NO_TYPES, "Egress", False, False, True, True),
]


@pytest.mark.parametrize("spec, direction, deny, open_to_all, db, web", DOCS,
                         ids=[f"{d[0]['metadata']['name']}-{d[1]}" for d in DOCS])
def test_documentation_examples(spec, direction, deny, open_to_all, db, web):
    assert is_default_deny(spec, direction) is deny
    assert bool(openings([spec], direction)) is open_to_all
    assert bool(selecting([spec], pod({"role": "db"}), direction)) is db
    assert bool(selecting([spec], pod({"role": "web"}), direction)) is web


def test_policy_types_default_as_the_api_documents():
    assert policy_types(NO_TYPES) == ["Ingress", "Egress"]
    assert policy_types(policy("x", {"podSelector": {}})) == ["Ingress"]


def test_policies_add_up_deny_then_allow_all_is_open():
    assert openings([DENY_INGRESS, ALLOW_ALL_INGRESS], "Ingress")
    assert not openings([DENY_INGRESS, TEST_NETWORK_POLICY], "Ingress")


def test_ports_by_number_range_and_name_reach_declared_ports():
    redis = [{"containerPort": 6379, "protocol": "TCP", "name": "redis"}]
    assert reaches([TEST_NETWORK_POLICY], redis) == ["test-network-policy"]
    assert reaches([TEST_NETWORK_POLICY], [{"containerPort": 6380}]) == []
    assert reaches([TEST_NETWORK_POLICY], [{"containerPort": 6379, "protocol": "UDP"}]) == []
    named = policy("named", {"podSelector": {}, "ingress": [{"ports": [{"port": "redis"}]}]})
    assert reaches([named], redis) == ["named"]
    ranged = policy("ranged", {"podSelector": {}, "ingress": [{"ports": [{"port": 6000, "endPort": 7000}]}]})
    assert reaches([ranged], redis) == ["ranged"] and reaches([ranged], [{"containerPort": 7001}]) == []
