"""P1-INGRESS: the external access path works: the tunnel is connected and every Ingress is served.

The tunnel's connections are judged per ready connector pod, on current data (suites/scraped.py): each must be
scraped (its ``up`` series from the tunnel's job, by ``phase1.ingress.tunnel.pod_label``), its scrape current
(``prometheus.max_sample_age_s``, else broken: nothing is known about it now), and its connections series
current (a connector that stopped reporting fails). Series of pods that are gone (a rollout replaced them) are
history and not judged. A connection count of NaN or ±Inf is no count: it fails like too few connections.

Adversarial table P1-INGRESS:
- silent-connector: the tunnel runs 2 ready connector pods but only one reports its edge connections; the
  other is not scraped (or lost its metrics), and every series Prometheus has is healthy
- tunnel-rollout-stuck: the tunnel Deployment's new ReplicaSet passed its progress deadline
  (ProgressDeadlineExceeded) while the old connectors keep readyReplicas at 2 of 2
- empty-address-entry: an Ingress's status.loadBalancer.ingress holds one entry with neither ip nor hostname
- backend-port-missing: the Ingress sends traffic to port name "http" of a Service whose only port is "grpc";
  the Service has ready endpoints, but the controller has nothing to send the traffic to
- backend-endpoints-terminating: every endpoint of a backend is terminating (ready false, serving true,
  terminating true) during a rollout that will not bring new ones
- backend-not-serving: a backend Service publishes not-ready addresses, so its endpoints say ready while
  serving is false: its pods fail their readiness probe
- backend-port-without-endpoints: the Ingress sends traffic to the Service's port "http", which the Service
  has; its pods are ready, but none of them has a container port named as the port's targetPort, so every
  EndpointSlice carries only port "grpc" and "http" leads nowhere
- connections-nan: a connector reports its connections as NaN; NaN compares false with everything, so "less
  than 4" never catches it
"""
import math

from fixtures.kube import by_ref
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_listed
from suites.prometheus_data import Source
from suites.scraped import ABSENT, ENDED, UNSCRAPED, Readings, scraped_readings, value_shown
from suites.thresholds import AGE_HORIZON
from suites.workloads import is_ready_pod, pods_of, ready_endpoints, service_slices, shortfall


def backends(ingress: dict) -> set[tuple[str, str]]:
    """(Service name, port name or number) of every backend the Ingress names."""
    spec = ingress.get("spec") or {}
    services = [(spec.get("defaultBackend") or {}).get("service")]
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            services.append((path.get("backend") or {}).get("service"))
    return {(s["name"], str((s.get("port") or {}).get("name") or (s.get("port") or {}).get("number") or "?"))
            for s in services if s and s.get("name")}


def service_port(service: dict, port: str) -> dict | None:
    """The Service port an Ingress backend port names, by its name or its number (not a targetPort)."""
    ports = (service.get("spec") or {}).get("ports") or []
    return next((p for p in ports if port in (p.get("name"), str(p.get("port")))), None)


def slice_ports(snapshot, namespace: str, service: str) -> str:
    """The ports a Service's EndpointSlices carry (name/port), for a failure message."""
    seen = {f"{p.get('name') or '-'}/{p.get('port', 'all')}" for s in service_slices(snapshot, namespace, service)
            for p in s.get("ports") or []}
    return ", ".join(sorted(seen)) or "none"


def _connector_problems(readings: Readings, connectors: list[str], tunnel) -> list[str]:
    """Each ready connector's reading: scraped, current, and a finite count of at least the minimum."""
    problems, metric, ns = [], tunnel.metric, tunnel.deployment.namespace
    for name in connectors:
        state = readings.state(name)
        where = f"tunnel connector pod {ns}/{name}: ready but"
        if state == UNSCRAPED:
            hint = (f" (series of job {tunnel.job} carry no {tunnel.pod_label} label: "
                    "phase1.ingress.tunnel.pod_label names the label holding the pod's name)"
                    if readings.unlabelled else " (no ServiceMonitor or PodMonitor selects it?)")
            problems.append(f"{where} no {metric} series from job {tunnel.job}: Prometheus does not scrape it, "
                            f"expected every connector to report{hint}")
        elif state == ABSENT:
            problems.append(f"{where} no {metric} series from job {tunnel.job} in the last {AGE_HORIZON}, "
                            "expected every connector to report")
        elif state == ENDED:
            problems.append(f"{where} no {metric} series from job {tunnel.job} for {shown(readings.ages[name])} "
                            "(it stopped reporting it, or its scrapes fail), expected every connector to report")
        for value in readings.values.get(name, []):
            if not math.isfinite(value):       # NaN compares false with every number; neither is a count
                seen = f"{value_shown(value)} ({'no value' if math.isnan(value) else 'no count'})"
                problems.append(f"tunnel connector {name}: {metric}={seen}, expected at least "
                                f"{tunnel.min_connections}")
            elif value < tunnel.min_connections:
                problems.append(f"tunnel connector {name}: {metric}={value:g}, expected at least "
                                f"{tunnel.min_connections}")
    return problems


def _tunnel_problems(snapshot, prometheus, tunnel, max_age_s: float) -> tuple[list[str], CouldNotLook | None]:
    """The tunnel Deployment's rollout and each ready connector's edge connections as Prometheus has them now;
    and why part of it could not be judged (no scrape of the job, a stale one), if so."""
    problems = []
    deployment = by_ref(snapshot.items("deployments")).get(tunnel.deployment.ref)
    why = "not found" if deployment is None else shortfall(deployment)
    if why:
        problems.append(f"Deployment {tunnel.deployment.ref} (tunnel): {why}")
    connectors = sorted(p["metadata"]["name"] for p in pods_of(snapshot, deployment) if is_ready_pod(p)) \
        if deployment else []
    if not connectors:
        return problems, None       # nothing to ask Prometheus about: the rollout's shortfall says why
    try:
        readings = scraped_readings(prometheus, Source(f'{tunnel.metric}{{job="{tunnel.job}"}}', tunnel.pod_label),
                                    f'up{{job="{tunnel.job}"}}', connectors, AGE_HORIZON, max_age_s,
                                    "tunnel connections")
    except CouldNotLook as exc:
        return problems, exc
    attach_table("tunnel connectors", ["pod", "reading", "newest up", f"newest {tunnel.metric}", "values"],
                 [[name, readings.state(name), _age(readings.scrapes.ages, name), _age(readings.ages, name),
                   " ".join(value_shown(v) for v in readings.values.get(name, [])) or "-"] for name in connectors])
    return problems + _connector_problems(readings, connectors, tunnel), readings.stale()


def _age(ages: dict[str, float], group: str) -> str:
    return f"{shown(ages[group])} ago" if group in ages else "none"


@criterion("P1-INGRESS", 1, "External access operational", severity="blocker",
           requirement="The tunnel Deployment is fully rolled out and available, and each of its ready connectors "
                       "is scraped by Prometheus and reports, on a current sample, at least the profile's number "
                       "of edge connections; each "
                       "Ingress of the profile has an address from its controller, and every backend it names is "
                       "a port of an existing Service carried by endpoints that are ready, serving and not "
                       "terminating.",
           next_step="kubectl -n cloudflare-tunnel logs deploy/cloudflared: zero connections point at the tunnel "
                     "token or outbound network; an Ingress without address at its controller; a backend without "
                     "endpoints at its pods; a missing port at the Service or the Ingress.",
           needs=("kube", "prometheus"), profile_keys=("phase1.ingress", "prometheus.max_sample_age_s"))
def test_tunnel_connected_and_ingresses_served(snapshot, prometheus, profile):
    spec = profile.phase1.ingress
    require_listed(spec.ingresses, "phase1.ingress.ingresses", "Ingresses", "P1-INGRESS")
    problems, blind = _tunnel_problems(snapshot, prometheus, spec.tunnel, profile.prometheus.max_sample_age_s)
    ingresses = by_ref(snapshot.items("ingresses"))
    services = by_ref(snapshot.items("services"))
    rows = []
    for wanted in spec.ingresses:
        ingress = ingresses.get(wanted.ref)
        if ingress is None:
            problems.append(f"ingress {wanted.ref}: not found")
            continue
        addresses = [a.get("ip") or a.get("hostname") for a in
                     ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []]
        if not any(addresses):
            problems.append(f"ingress {wanted.ref}: no address in status, expected an ip or hostname (its "
                            "controller has not admitted it)")
        for name, port in sorted(backends(ingress)) or [(None, None)]:
            if name is None:
                problems.append(f"ingress {wanted.ref}: names no backend Service")
                continue
            ref = f"{wanted.namespace}/{name}"
            service = services.get(ref)
            endpoints = ready_endpoints(snapshot, wanted.namespace, name) if service else []
            target = service_port(service, port) if service else None
            on_port = ready_endpoints(snapshot, wanted.namespace, name, target) if target else []
            rows.append([wanted.ref, ",".join(filter(None, addresses)) or "-", f"{ref}:{port}", len(endpoints),
                         len(on_port)])
            if service is None:
                problems.append(f"ingress {wanted.ref}: backend Service {ref} not found")
                continue
            if target is None:
                ports = ", ".join(f"{p.get('name') or '-'}/{p.get('port')}" for p in
                                  (service.get("spec") or {}).get("ports") or []) or "none"
                problems.append(f"ingress {wanted.ref}: backend Service {ref} has no port {port} (its ports: "
                                f"{ports})")
            if not endpoints:
                problems.append(f"ingress {wanted.ref}: backend Service {ref} has no ready endpoints, expected at "
                                "least one ready, serving and not terminating")
            elif target and not on_port:
                problems.append(f"ingress {wanted.ref}: backend Service {ref} port {port} has no ready endpoint "
                                f"({len(endpoints)} ready endpoints, none in an EndpointSlice that carries it; its "
                                f"EndpointSlices carry {slice_ports(snapshot, wanted.namespace, name)}: a pod serves "
                                "a Service port only with a container port its targetPort names), expected at least "
                                "one")
    attach_table("ingresses", ["ingress", "address", "backend", "ready endpoints", "ready on the port"], rows)
    if blind:
        fail_first(problems, blind)
    fail(problems)
