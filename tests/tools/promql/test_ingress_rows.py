"""Phase 1's P1-INGRESS adversarial rows: the tunnel connectors' series on Prometheus' engine (promtool), next
to a healthy world that passes (the rest of phase 1's table: tests/offline/adversarial/test_phase1.py)."""
from __future__ import annotations

import pytest

from readiness.profile import Profile, load_profile
from suites.phase1 import test_ingress as ingress
from tests.builders import TERMINATING, deployment, endpoint_slice, pod, service, stuck
from tests.fakes import FakeSnapshot, empty_world, run_check
from tests.tools.promql.promtool import PromtoolPrometheus, metric
from tests.suite_runner import ROOT

SANDBOX = load_profile(ROOT / "profiles" / "sandbox.yaml")
NS = "data-platform"


def run(fn, profile: Profile = SANDBOX, prometheus=None, raw: dict | None = None, **objects):
    world = {**empty_world(profile), "snapshot": FakeSnapshot(objects, raw=raw)}
    if prometheus is not None:
        world["prometheus"] = prometheus
    return run_check(fn, world)


# P1-INGRESS -------------------------------------------------------------------------------------------------

TUNNEL_NS = "cloudflare-tunnel"
CONNECTORS = ("cloudflared-5c96cbff57-a", "cloudflared-5c96cbff57-b")
# The tunnel's series on Prometheus' engine (tests/promql/promtool.py): scraped every 5 s as the sandbox is,
# judged 10 minutes in; "4x120" is a sample of 4 at every scrape from time 0 to now.
NOW_S, SCRAPE, UNTIL_NOW = 600, "5s", 120


def connector(name: str) -> dict:
    return pod(TUNNEL_NS, name, "w1", {"app": "cloudflared"},
               owner={"kind": "ReplicaSet", "name": "cloudflared-5c96cbff57", "uid": "rs-1"})


def scraped(name: str, connections: str | None = f"4x{UNTIL_NOW}", up: str = f"1x{UNTIL_NOW}",
            **labels) -> dict[str, str]:
    """A connector pod's ``up`` and connections series (promtool's notation; None: it exposes none), with the
    target labels a PodMonitor gives it; a label given as None is left out."""
    target = {k: v for k, v in {"job": "cloudflared", "namespace": TUNNEL_NS, "pod": name, "instance": name,
                                **labels}.items() if v is not None}
    series = {metric("up", target): up}
    if connections is not None:
        series[metric("cloudflared_tunnel_ha_connections", target)] = connections
    return series


def tunnel_series(**replaced) -> dict[str, str]:
    """Both connectors reporting 4 connections at every scrape; a connector given by name gets those series."""
    series = {}
    for name in CONNECTORS:
        series.update(replaced.get(name.rsplit("-", 1)[1], scraped(name)))
    return series


def the_ingress(name: str, port: dict | None = None, addresses: list | None = None) -> dict:
    backend = {"service": {"name": name, "port": port or {"number": 8080}}}
    return {"kind": "Ingress", "metadata": {"namespace": NS, "name": name},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": f"{name}.254carbon.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": backend}]}}]},
            "status": {"loadBalancer": {"ingress": addresses if addresses is not None else [{"ip": "203.0.113.7"}]}}}


def edge(ingresses=None, services=None, slices=None, deployments=None, series=None, pods=None):
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    connectors = [connector(name) for name in CONNECTORS]
    prometheus = PromtoolPrometheus(tunnel_series() if series is None else series, NOW_S, SCRAPE)
    return run(ingress.test_tunnel_connected_and_ingresses_served, prometheus=prometheus,
               deployments=deployments if deployments is not None else [deployment("cloudflared", TUNNEL_NS)],
               pods=pods if pods is not None else connectors,
               ingresses=ingresses if ingresses is not None else [the_ingress(n) for n in names],
               services=services if services is not None else [service(NS, n) for n in names],
               endpointslices=slices if slices is not None else [endpoint_slice(NS, n, {}) for n in names])


def test_ingress_healthy_world_passes():
    assert edge() == ("passed", "")
    by_name = [the_ingress(r.name, port={"name": "http"}) for r in SANDBOX.phase1.ingress.ingresses]
    assert edge(ingresses=by_name) == ("passed", "")


@pytest.mark.row("P1-INGRESS", "silent-connector")
def test_ingress_connector_without_a_series_fails():
    silent = "tunnel connector pod cloudflare-tunnel/cloudflared-5c96cbff57-b: ready but no " \
             "cloudflared_tunnel_ha_connections series from job cloudflared"
    verdict, message = edge(series=tunnel_series(b={}))                               # not scraped
    assert verdict == "failed" and f"{silent}: Prometheus does not scrape it" in message
    verdict, message = edge(series=tunnel_series(b=scraped(CONNECTORS[1], connections=None)))   # lost its metrics
    assert verdict == "failed" and f"{silent} in the last 1h" in message


@pytest.mark.row("P1-INGRESS", "tunnel-rollout-stuck")
def test_ingress_tunnel_stuck_rollout_fails():
    verdict, message = edge(deployments=[stuck(deployment("cloudflared", TUNNEL_NS))])
    assert verdict == "failed" and ("Deployment cloudflare-tunnel/cloudflared (tunnel): rollout stuck "
                                    "(Progressing=False, ProgressDeadlineExceeded") in message


@pytest.mark.row("P1-INGRESS", "empty-address-entry")
def test_ingress_address_entry_without_ip_or_hostname_fails():
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    ingresses = [the_ingress(n, addresses=[{}] if n == "portal" else None) for n in names]
    verdict, message = edge(ingresses=ingresses)
    assert verdict == "failed" and "ingress data-platform/portal: no address in status, expected an ip or " \
                                   "hostname" in message


@pytest.mark.row("P1-INGRESS", "backend-port-missing")
def test_ingress_backend_port_the_service_lacks_fails():
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    ingresses = [the_ingress(n, port={"name": "http"}) for n in names]
    services = [service(NS, n, ("grpc", 9090)) if n == "superset" else service(NS, n) for n in names]
    verdict, message = edge(ingresses=ingresses, services=services)
    assert verdict == "failed" and ("ingress data-platform/superset: backend Service data-platform/superset has no "
                                    "port http (its ports: grpc/9090)") in message


@pytest.mark.row("P1-INGRESS", "backend-endpoints-terminating")
def test_ingress_backend_with_only_terminating_endpoints_fails():
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    slices = [endpoint_slice(NS, n, TERMINATING if n == "datahub" else {}) for n in names]
    verdict, message = edge(slices=slices)
    assert verdict == "failed" and "ingress data-platform/datahub: backend Service data-platform/datahub has no " \
                                   "ready endpoints" in message


@pytest.mark.row("P1-INGRESS", "backend-not-serving")
def test_ingress_backend_published_not_ready_fails():
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    published = {"ready": True, "serving": False, "terminating": False}
    slices = [endpoint_slice(NS, n, published if n == "portal" else {}) for n in names]
    verdict, message = edge(slices=slices)
    assert verdict == "failed" and "ingress data-platform/portal: backend Service data-platform/portal has no " \
                                   "ready endpoints" in message


def test_ingress_backend_port_carried_by_its_endpoints_passes():
    """By number or by name; an unnamed Service port is carried under the name ""; a slice port without a
    number carries every port."""
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    services = [service(NS, n, ("", 80)) if n == "datahub" else service(NS, n, ("http", 8080), ("grpc", 9090))
                for n in names]
    slices = [endpoint_slice(NS, n, {}, ports=[("", 8080)] if n == "datahub" else [("grpc", 9090), ("http", 8080)])
              for n in names]
    ingresses = [the_ingress(n, port={"number": 80} if n == "datahub" else {"name": "http"}) for n in names]
    assert edge(ingresses=ingresses, services=services, slices=slices) == ("passed", "")
    every = [endpoint_slice(NS, n, {}, ports=[]) for n in names]
    for piece in every:
        piece["ports"] = [{"protocol": "TCP"}]
    assert edge(slices=every) == ("passed", "")


@pytest.mark.row("P1-INGRESS", "backend-port-without-endpoints")
def test_ingress_backend_port_no_endpoint_carries_fails():
    names = [r.name for r in SANDBOX.phase1.ingress.ingresses]
    ingresses = [the_ingress(n, port={"name": "http"}) for n in names]
    services = [service(NS, n, ("http", 8080), ("grpc", 9090)) for n in names]
    slices = [endpoint_slice(NS, n, {"ready": True, "serving": True, "terminating": False},
                             ports=[("grpc", 9090)] if n == "portal" else [("http", 8080), ("grpc", 9090)])
              for n in names]
    verdict, message = edge(ingresses=ingresses, services=services, slices=slices)
    assert verdict == "failed" and message == (
        "ingress data-platform/portal: backend Service data-platform/portal port http has no ready endpoint (1 ready "
        "endpoints, none in an EndpointSlice that carries it; its EndpointSlices carry grpc/9090: a pod serves a "
        "Service port only with a container port its targetPort names), expected at least one")


@pytest.mark.row("P1-INGRESS", "connections-nan")
def test_ingress_connector_reporting_nan_fails():
    verdict, message = edge(series=tunnel_series(b=scraped(CONNECTORS[1], connections=f"4x{UNTIL_NOW - 1} NaN")))
    assert verdict == "failed" and message == ("tunnel connector cloudflared-5c96cbff57-b: "
                                               "cloudflared_tunnel_ha_connections=NaN (no value), expected at least 4")
