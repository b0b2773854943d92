"""P1-INGRESS: the external access path works: the tunnel is connected and every Ingress is served."""
from fixtures.kube import by_ref
from readiness.criteria import criterion
from readiness.evidence import attach_query, attach_table
from readiness.verdict import fail, require_listed
from suites.workloads import ready_endpoints, shortfall


def backends(ingress: dict) -> set[str]:
    spec = ingress.get("spec") or {}
    found = {((spec.get("defaultBackend") or {}).get("service") or {}).get("name")}
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            found.add(((path.get("backend") or {}).get("service") or {}).get("name"))
    return {name for name in found if name}


def _tunnel_problems(snapshot, prometheus, tunnel) -> list[str]:
    problems = []
    deployment = by_ref(snapshot.items("deployments")).get(tunnel.deployment.ref)
    why = "not found" if deployment is None else shortfall(deployment)
    if why:
        problems.append(f"Deployment {tunnel.deployment.ref} (tunnel): {why}")
    query = f'{tunnel.metric}{{job="{tunnel.job}"}}'
    series = prometheus.query(query)
    attach_query("tunnel connections", "promql", query, series)
    if not series:
        problems.append(f"tunnel {tunnel.deployment.ref}: no {tunnel.metric} series from job {tunnel.job} "
                        "(no connector reports its connections)")
    for s in series:
        value = float(s["value"][1])
        who = s["metric"].get("pod") or s["metric"].get("instance", "?")
        if value < tunnel.min_connections:
            problems.append(f"tunnel connector {who}: {tunnel.metric}={value:g}, expected at least "
                            f"{tunnel.min_connections}")
    return problems


@criterion("P1-INGRESS", 1, "External access operational", severity="blocker",
           requirement="The tunnel Deployment is fully available and each of its connectors reports at least the "
                       "profile's number of edge connections (through Prometheus); each Ingress of the profile has "
                       "an address from its controller and every backend Service it names has ready endpoints.",
           next_step="kubectl -n cloudflare-tunnel logs deploy/cloudflared: zero connections point at the tunnel "
                     "token or outbound network; an Ingress without address at its controller; a backend without "
                     "endpoints at its pods.", needs=("kube", "prometheus"), profile_keys=("phase1.ingress",))
def test_tunnel_connected_and_ingresses_served(snapshot, prometheus, profile):
    spec = profile.phase1.ingress
    require_listed(spec.ingresses, "phase1.ingress.ingresses", "Ingresses", "P1-INGRESS")
    problems = _tunnel_problems(snapshot, prometheus, spec.tunnel)
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
        if not addresses:
            problems.append(f"ingress {wanted.ref}: no address in status (its controller has not admitted it)")
        for name in sorted(backends(ingress)) or [None]:
            if name is None:
                problems.append(f"ingress {wanted.ref}: names no backend Service")
                continue
            ref = f"{wanted.namespace}/{name}"
            endpoints = ready_endpoints(snapshot, wanted.namespace, name) if ref in services else []
            rows.append([wanted.ref, ",".join(filter(None, addresses)) or "-", ref, len(endpoints)])
            if ref not in services:
                problems.append(f"ingress {wanted.ref}: backend Service {ref} not found")
            elif not endpoints:
                problems.append(f"ingress {wanted.ref}: backend Service {ref} has no ready endpoints")
    attach_table("ingresses", ["ingress", "address", "backend", "ready endpoints"], rows)
    fail(problems)
