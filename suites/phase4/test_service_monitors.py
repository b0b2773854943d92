"""P4-SERVICEMONITORS: each monitored service is selected by a ServiceMonitor or PodMonitor and scraped."""
from fixtures.kube import selects
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data, require_listed


def _monitor_for(service: dict | None, pods: list[dict], monitors: list[dict], podmonitors: list[dict]):
    if service is not None:
        for mon in monitors:
            ns_sel = mon["spec"].get("namespaceSelector") or {}
            same_ns = mon["metadata"]["namespace"] == service["metadata"]["namespace"]
            in_scope = ns_sel.get("any") or service["metadata"]["namespace"] in (ns_sel.get("matchNames") or []) \
                or (same_ns and not ns_sel)
            if in_scope and selects(mon["spec"].get("selector"), service["metadata"].get("labels")):
                return f"ServiceMonitor {mon['metadata']['namespace']}/{mon['metadata']['name']}"
    for mon in podmonitors:
        if any(p["metadata"]["namespace"] == mon["metadata"]["namespace"]
               and selects(mon["spec"].get("selector"), p["metadata"].get("labels")) for p in pods):
            return f"PodMonitor {mon['metadata']['namespace']}/{mon['metadata']['name']}"
    return None


@criterion("P4-SERVICEMONITORS", 4, "Real-time metrics for all services", severity="critical",
           requirement="Each monitored service of the profile is selected by a ServiceMonitor (or its pods, found "
                       "by the Service's own selector, by a PodMonitor), and its job has at least one target up "
                       "in Prometheus; its down targets are listed.",
           next_step="Create the ServiceMonitor with labels the Prometheus serviceMonitorSelector picks up; "
                     "check the Prometheus config reload and the target's last scrape error.",
           needs=("kube", "prometheus"), profile_keys=("phase4.monitored_services",))
def test_monitored_services_have_monitors_and_targets(snapshot, prometheus, profile):
    require_listed(profile.phase4.monitored_services, "phase4.monitored_services", "monitored services",
                   "P4-SERVICEMONITORS")
    monitors = snapshot.list("servicemonitors")
    podmonitors = snapshot.list("podmonitors") or []
    if monitors is None:
        fail("crd servicemonitors.monitoring.coreos.com: not installed, no service can be monitored")
    targets = prometheus.active_targets()
    require_data(targets, "prometheus active targets", "/api/v1/targets")
    services = {f"{s['metadata']['namespace']}/{s['metadata']['name']}": s for s in snapshot.items("services")}
    problems, rows = [], []
    for wanted in profile.phase4.monitored_services:
        ref = f"{wanted.namespace}/{wanted.name}"
        service = services.get(ref)
        selector = {"matchLabels": service["spec"]["selector"]} if service and service["spec"].get("selector") \
            else None
        ns_pods = [p for p in snapshot.items("pods", [wanted.namespace])
                   if selects(selector, p["metadata"].get("labels"))]
        monitor = _monitor_for(service, ns_pods, monitors, podmonitors)
        job = [t for t in targets if t["labels"].get("job") == wanted.job_name]
        up = [t for t in job if t["health"] == "up"]
        rows.append([ref, monitor or "-", wanted.job_name, len(job), len(up)])
        if monitor is None:
            problems.append(f"{ref}: no ServiceMonitor or PodMonitor selects it"
                            + ("" if service else " (and no Service of that name)"))
        if not job:
            problems.append(f"{ref}: job {wanted.job_name!r} not among Prometheus's active targets")
        elif not up:
            errors = sorted({t.get("lastError") or t["health"] for t in job})
            problems.append(f"{ref}: job {wanted.job_name!r} has {len(job)} targets and none up "
                            f"({'; '.join(errors)[:200]})")
    attach_table("monitored services", ["service", "monitor", "job", "targets", "up"], rows)
    fail(problems)
