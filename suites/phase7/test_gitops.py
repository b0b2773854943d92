"""Phase 7, GitOps: Argo CD Applications synced, healthy and self-healing, and nothing running outside them,
judged by the application controller's own liveness (suites/phase7/argocd.py reads the objects as Argo CD 3.5.7
does): an Application's status is only as current as the controller's last comparison.

Adversarial table P7-SYNCED:
- controller-dead: Synced and Healthy, but status.reconciledAt is 30 days old and the last operation Failed: a
  stopped application controller leaves its last status behind forever
- never-reconciled: Synced and Healthy with no status.reconciledAt: no controller ever compared it (the CRD has no
  status subresource, so a status applied with the manifest stands as written)
- reconciled-in-future: status.reconciledAt an hour ahead of every clock, which no controller writes
- other-namespace: an Application of the profile's project in namespace team-apps, which the controller does
  not watch (not in application.namespaces): its copied status says Synced and Healthy, never reconciled
- comparison-error: Synced and Healthy, with a ComparisonError condition (the repository stopped answering: the
  controller keeps the last result through its repo-error grace period)
- sync-error: Synced and Healthy with a SyncError condition ("Failed last sync attempt to ...": the newest
  revision never applied)
- invalid-spec-error: an InvalidSpecError condition (the project no longer permits the destination), any
  condition type ending in Error counts
- spec-not-compared: spec.source.targetRevision moved to a new release, but status.sync.comparedTo still names the
  old one: Synced describes a spec the controller never compared
- sources-not-compared: a multi-source Application (spec.sources) whose comparedTo holds only the first source
- destination-not-compared: spec.destination.namespace changed; comparedTo.destination is the old one
- operation-failed: reconciled now, Synced and Healthy, but the last sync Failed (its PostSync hook, the data
  check, failed after every resource applied)
- operation-error: the last operation ended in phase Error
- operation-stuck: a sync Running for 3 hours, waiting on a PreSync hook (Argo CD has no sync timeout by default)
- operation-terminating: a sync being terminated (phase Terminating), which ends Failed
- automated-disabled: syncPolicy.automated with prune and selfHeal, but enabled false (Argo CD 3's switch):
  nothing syncs automatically

Adversarial table P7-NO-DRIFT:
- helm-instance-label: a Deployment installed by hand with Helm carries app.kubernetes.io/instance=data-platform
  (the chart's release label) and no tracking-id annotation; Argo CD 3 tracks by annotation, so no Application
  manages it
- copied-annotation: trino-debug carries the tracking-id annotation copied from data-platform/trino (kubectl get
  -o yaml, renamed, applied): Argo CD ignores an annotation that names another object
- malformed-annotation: a tracking-id annotation "data-platform" without group, kind, namespace and name, which
  Argo CD cannot parse
- other-namespace-app: the annotation names data-platform, but the only Application of that name lives in
  namespace team-apps, whose tracking name is team-apps_data-platform
- other-project: the annotation names an Application that exists, but of project playground, which the profile
  does not list: no sync policy of the platform holds it
- requires-pruning: a correctly annotated Deployment that the Application lists with requiresPruning: it is not
  in git, and only a prune would remove it
- missing-app: the tracking names an Application that does not exist (deleted without cascade)
"""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.timing import age_s, shown
from readiness.verdict import fail, require_data
from suites.phase7.argocd import (FAILED_PHASES, OPERATION_PHASES, automated_enabled, error_conditions,
                                  instance_name, project, ref, tracking, uncompared)
from suites.workloads import KIND_LIST

CLOCK_SKEW_S = 300          # a stamp this far ahead of our clock is another host's clock, not the future
WORKLOAD_GROUP = "apps"     # the API group of every kind in KIND_LIST


def _applications(snapshot, projects: list[str]) -> list[dict]:
    apps = [a for a in snapshot.items("applications") if project(a) in projects]
    require_data(apps, "argo cd applications", f"Applications of projects {', '.join(projects)} (GitOps not in place?)")
    return apps


def reconcile_fault(status: dict, max_age_s: float) -> str | None:
    """Why the controller's last comparison does not speak for now: never made, too old, or from the future."""
    stamp = status.get("reconciledAt")
    age = age_s(stamp)
    if age is None:
        return ("never reconciled (no status.reconciledAt): no application controller compared it (is one running, "
                "and does it watch this namespace?)")
    if age < -CLOCK_SKEW_S:
        return f"status.reconciledAt {stamp} is {shown(-age)} in the future, which no controller writes"
    if age > max_age_s:
        return (f"last reconciled {shown(age)} ago, expected within {shown(max_age_s)} (is the application "
                "controller running?)")
    return None


def operation_fault(status: dict, max_running_s: float) -> str | None:
    """Why the last operation (a sync) did not succeed, or has run too long."""
    operation = status.get("operationState")
    if not operation:
        return None                 # never synced by Argo CD: the sync status says whether it matches git
    phase, message = operation.get("phase"), operation.get("message") or "no message"
    if phase in FAILED_PHASES:
        return f"last sync {phase} at {operation.get('finishedAt', '?')} ({message})"
    if phase == "Terminating":
        return f"sync being terminated since {operation.get('startedAt', '?')} ({message}); it ends Failed"
    if phase == "Running":
        running = age_s(operation.get("startedAt"))
        if running is None:
            return "sync Running without status.operationState.startedAt"
        if running > max_running_s:
            return (f"sync Running for {shown(running)} (since {operation['startedAt']}), expected to finish within "
                    f"{shown(max_running_s)} ({message}; a hook or resource that never becomes healthy?)")
        return None
    if phase not in OPERATION_PHASES:
        return f"operation phase {phase!r}, which Argo CD does not write"
    return None


@criterion("P7-SYNCED", 7, "Applications synced and healthy", severity="critical",
           requirement="Every Argo CD Application of the profile's projects, in any namespace, was reconciled by the "
                       "application controller within the profile's window, against its current spec (sources and "
                       "destination), and is Synced and Healthy with no error condition; its last sync did not fail "
                       "and none has run too long; automated sync is enabled (with prune and self-heal where the "
                       "profile requires them). Resources out of sync or degraded are named.",
           next_step="kubectl -n argocd get pods: a stale reconciledAt means the application controller stopped; "
                     "argocd app get APP shows conditions and the last sync; argocd app diff APP shows what drifted; "
                     "argocd app sync APP, or fix the manifest in git; enable syncPolicy.automated with prune and "
                     "selfHeal.",
           profile_keys=("phase7.projects", "phase7.max_reconcile_age_s", "phase7.max_sync_running_s",
                         "phase7.require_prune", "phase7.require_self_heal"))
def test_applications_synced_healthy_and_automated(snapshot, profile):
    spec = profile.phase7
    problems, rows = [], []
    for app in _applications(snapshot, spec.projects):
        name = f"application {ref(app)}"
        status = app.get("status") or {}
        sync, health = (status.get("sync") or {}), (status.get("health") or {})
        revision = ", ".join(sync.get("revisions") or []) or sync.get("revision")
        automated = (app["spec"].get("syncPolicy") or {}).get("automated")
        operation = status.get("operationState") or {}
        reconciled = age_s(status.get("reconciledAt"))
        errors = error_conditions(app)
        rows.append([name, project(app), sync.get("status"), revision, health.get("status"),
                     status.get("reconciledAt", "-"), "-" if reconciled is None else shown(reconciled),
                     operation.get("phase", "-"), operation.get("finishedAt") or operation.get("startedAt") or "-",
                     automated_enabled(app["spec"]), "; ".join(c.get("type", "") for c in errors) or "-"])
        stale = reconcile_fault(status, spec.max_reconcile_age_s)
        if stale:
            problems.append(f"{name}: {stale}")
        else:                       # a current comparison: what it compared is what it says
            older = uncompared(app)
            if older:
                problems.append(f"{name}: status is of an older spec: {older}; Argo CD has not compared this one")
        if sync.get("status") != "Synced":
            drifted = [f"{r.get('kind')} {r.get('namespace', '')}/{r.get('name')}".replace(" /", " ")
                       for r in status.get("resources") or [] if r.get("status") not in (None, "Synced")]
            problems.append(f"{name}: {sync.get('status', 'no sync status')} at {revision or '?'}"
                            + (f" ({', '.join(drifted)} out of sync)" if drifted else ""))
        if health.get("status") != "Healthy":
            degraded = [f"{r.get('kind')} {r.get('name')}: {(r.get('health') or {}).get('status')}"
                        for r in status.get("resources") or []
                        if (r.get("health") or {}).get("status") not in (None, "Healthy")]
            problems.append(f"{name}: health {health.get('status', 'unknown')}"
                            + (f" ({', '.join(degraded)})" if degraded else ""))
        problems += [f"{name}: condition {c.get('type')}: {c.get('message') or 'no message'}" for c in errors]
        failed = operation_fault(status, spec.max_sync_running_s)
        if failed:
            problems.append(f"{name}: {failed}")
        if automated is None:
            problems.append(f"{name}: no automated sync (spec.syncPolicy.automated)")
        elif not automated_enabled(app["spec"]):
            problems.append(f"{name}: automated sync disabled (spec.syncPolicy.automated.enabled: false)")
        else:
            if spec.require_prune and not automated.get("prune"):
                problems.append(f"{name}: automated sync without prune")
            if spec.require_self_heal and not automated.get("selfHeal"):
                problems.append(f"{name}: automated sync without selfHeal")
    attach_table("applications", ["application", "project", "sync", "revision", "health", "reconciledAt",
                                  "reconciled ago", "operation", "operation at", "automated", "error conditions"],
                 rows)
    fail(problems)


def _listed_for_pruning(app: dict, kind: str, namespace: str, name: str) -> bool:
    """The Application lists the object as live but not in git (ResourceStatus.requiresPruning)."""
    return any(r.get("requiresPruning") and (r.get("group"), r.get("kind"), r.get("namespace"), r.get("name"))
               == (WORKLOAD_GROUP, kind, namespace, name) for r in (app.get("status") or {}).get("resources") or [])


@criterion("P7-NO-DRIFT", 7, "Nothing deployed outside GitOps", severity="normal",
           requirement="Every Deployment, StatefulSet and DaemonSet of the platform namespaces is tracked, as Argo "
                       "CD's tracking method reads it (a tracking annotation naming the object itself, or the "
                       "instance label), by an existing Application of the profile's projects that does not list "
                       "it for pruning, unless the profile exempts it with a reason.",
           next_step="Move the named workload's manifest into the GitOps repository under an Application, or "
                     "delete it if it was a manual experiment.",
           profile_keys=("phase7.unmanaged", "phase7.tracking_method", "phase7.namespace", "phase7.projects"))
def test_every_platform_workload_is_managed_by_an_application(snapshot, profile):
    spec = profile.phase7
    ours = {ref(a) for a in _applications(snapshot, spec.projects)}
    every = {instance_name(a, spec.namespace): a for a in snapshot.items("applications")}
    exempt = {(e.namespace, e.name): e.reason for e in spec.unmanaged}
    namespaces = set(profile.platform.namespaces)
    problems, rows, seen = [], [], 0
    for kind, plural in KIND_LIST.items():
        for obj in snapshot.items(plural):
            namespace, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
            if namespace not in namespaces:
                continue
            seen += 1
            owner, untracked = tracking(obj, kind, WORKLOAD_GROUP, spec.tracking_method)
            app = every.get(owner)
            rows.append([kind, f"{namespace}/{name}", owner or "-", ref(app) if app else "-",
                         project(app) if app else "-"])
            if (namespace, name) in exempt:
                continue
            what = f"{kind} {namespace}/{name}"
            if owner is None:
                problems.append(f"{what}: not managed by any Argo CD Application ({untracked})")
            elif app is None:
                elsewhere = "".join(f"; {ref(a)} is another Application, tracked as {instance_name(a, spec.namespace)}"
                                    for a in snapshot.items("applications") if a["metadata"]["name"] == owner)
                problems.append(f"{what}: tracked by Application {owner}, which does not exist{elsewhere}")
            elif ref(app) not in ours:
                problems.append(f"{what}: tracked by Application {ref(app)} of project {project(app)}, not one of "
                                f"the profile's projects ({', '.join(spec.projects)})")
            elif _listed_for_pruning(app, kind, namespace, name):
                problems.append(f"{what}: Application {ref(app)} lists it as requiring pruning: it is not in git")
    require_data(seen, "platform workloads", "workloads in the platform namespaces")
    attach_table("workload ownership", ["kind", "workload", "tracked as", "application", "project"], rows)
    fail(problems)
