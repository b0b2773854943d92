"""Phase 7, GitOps: Argo CD Applications synced, healthy and self-healing, and nothing running outside them."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data
from suites.workloads import KIND_LIST

TRACKING_LABEL = "app.kubernetes.io/instance"          # Argo CD's default tracking method
TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"  # the annotation tracking method: "<app>:<group>/<kind>:..."


def _applications(snapshot, projects: list[str]) -> list[dict]:
    apps = [a for a in snapshot.items("applications") if a["spec"].get("project", "default") in projects]
    require_data(apps, "argo cd applications", f"Applications of projects {', '.join(projects)} (GitOps not in place?)")
    return apps


@criterion("P7-SYNCED", 7, "Applications synced and healthy", severity="critical",
           requirement="Every Argo CD Application of the profile's projects is Synced to its target revision and "
                       "Healthy, with automated sync (and prune and self-heal where the profile requires them); "
                       "resources out of sync or degraded are named.",
           next_step="argocd app diff APP shows what drifted; argocd app sync APP, or fix the manifest in git; "
                     "enable syncPolicy.automated with prune and selfHeal.",
           profile_keys=("phase7.projects", "phase7.require_prune", "phase7.require_self_heal"))
def test_applications_synced_healthy_and_automated(snapshot, profile):
    spec = profile.phase7
    problems, rows = [], []
    for app in _applications(snapshot, spec.projects):
        name = f"application {app['metadata']['namespace']}/{app['metadata']['name']}"
        status = app.get("status") or {}
        sync, health = (status.get("sync") or {}), (status.get("health") or {})
        automated = (app["spec"].get("syncPolicy") or {}).get("automated")
        rows.append([name, sync.get("status"), sync.get("revision"), health.get("status"), bool(automated)])
        if sync.get("status") != "Synced":
            drifted = [f"{r.get('kind')} {r.get('namespace', '')}/{r.get('name')}".replace(" /", " ")
                       for r in status.get("resources") or [] if r.get("status") not in (None, "Synced")]
            problems.append(f"{name}: {sync.get('status', 'no sync status')} at {sync.get('revision', '?')}"
                            + (f" ({', '.join(drifted)} out of sync)" if drifted else ""))
        if health.get("status") != "Healthy":
            degraded = [f"{r.get('kind')} {r.get('name')}: {(r.get('health') or {}).get('status')}"
                        for r in status.get("resources") or []
                        if (r.get("health") or {}).get("status") not in (None, "Healthy")]
            problems.append(f"{name}: health {health.get('status', 'unknown')}"
                            + (f" ({', '.join(degraded)})" if degraded else ""))
        if automated is None:
            problems.append(f"{name}: no automated sync (spec.syncPolicy.automated)")
        else:
            if spec.require_prune and not automated.get("prune"):
                problems.append(f"{name}: automated sync without prune")
            if spec.require_self_heal and not automated.get("selfHeal"):
                problems.append(f"{name}: automated sync without selfHeal")
    attach_table("applications", ["application", "sync", "revision", "health", "automated"], rows)
    fail(problems)


def tracked_by(obj: dict) -> str | None:
    meta = obj["metadata"]
    annotation = (meta.get("annotations") or {}).get(TRACKING_ANNOTATION)
    if annotation:
        return annotation.split(":", 1)[0]
    return (meta.get("labels") or {}).get(TRACKING_LABEL)


@criterion("P7-NO-DRIFT", 7, "Nothing deployed outside GitOps", severity="normal",
           requirement="Every Deployment, StatefulSet and DaemonSet of the platform namespaces is tracked by an "
                       "existing Argo CD Application (its tracking label or annotation), unless the profile "
                       "exempts it with a reason.",
           next_step="Move the named workload's manifest into the GitOps repository under an Application, or "
                     "delete it if it was a manual experiment.", profile_keys=("phase7.unmanaged",))
def test_every_platform_workload_is_managed_by_an_application(snapshot, profile):
    apps = {a["metadata"]["name"] for a in _applications(snapshot, profile.phase7.projects)}
    exempt = {(e.namespace, e.name): e.reason for e in profile.phase7.unmanaged}
    namespaces = set(profile.platform.namespaces)
    problems, rows, seen = [], [], 0
    for kind, plural in KIND_LIST.items():
        for obj in snapshot.items(plural):
            namespace, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
            if namespace not in namespaces:
                continue
            seen += 1
            owner = tracked_by(obj)
            rows.append([kind, f"{namespace}/{name}", owner or "-"])
            if (namespace, name) in exempt:
                continue
            if owner is None:
                problems.append(f"{kind} {namespace}/{name}: not managed by any Argo CD Application (no "
                                f"{TRACKING_LABEL} label or tracking annotation)")
            elif owner not in apps:
                problems.append(f"{kind} {namespace}/{name}: tracked by Application {owner}, which does not exist")
    require_data(seen, "platform workloads", "workloads in the platform namespaces")
    attach_table("workload ownership", ["kind", "workload", "application"], rows)
    fail(problems)
