"""P1-SYSTEM: the cluster's own services are available: DNS, the metrics API and every system workload.

Every Deployment, StatefulSet and DaemonSet of kube-system (and of the profile's extra namespaces) is judged,
listed in the profile or not: kube-proxy and the CNI agent are workloads no profile remembers to name. So is
every pod there that no workload controller runs: the static pods of the control plane (kube-apiserver,
kube-controller-manager, kube-scheduler, etcd), whose mirror pods the kubelet writes with their Node as owner,
and bare pods. Each must be Ready and not in a restart loop (P1-EVENTS' definition, over its lookback). A
controller manager that is down also freezes every workload status the other checks read, so nothing else
would notice it. One is left out only by an exemption that gives its reason; a pod that ran to completion by
its restart policy is history, not a service.

A DaemonSet no node is eligible for (desiredNumberScheduled 0, a GPU plugin on a cluster without GPUs) is rolled
out as ``kubectl rollout status`` judges it, unless the profile lists it as a workload that must run; a
Deployment or StatefulSet scaled to zero is never available.

Adversarial table P1-SYSTEM:
- kube-proxy-down: the kube-proxy DaemonSet has 0 of 3 scheduled pods available; the profile lists no
  kube-system workload, so nothing asked about it
- cni-rollout-pending: the CNI DaemonSet's new template reached 1 of 3 nodes (updatedNumberScheduled 1);
  numberReady is 3, the old pods still run
- dns-rollout-stuck: CoreDNS's new ReplicaSet cannot be scheduled, the controller set Progressing=False
  ProgressDeadlineExceeded; the old ReplicaSet's 2 pods keep readyReplicas at 2 of 2
- dns-endpoints-terminating: every kube-dns endpoint is terminating (ready false, serving true, terminating
  true) while its pods drain
- metrics-apiservice-local: v1beta1.metrics.k8s.io has no service (handled locally by the API server, which
  serves no metrics), so it is Available with nothing behind it
- system-statefulset-unobserved: a kube-system StatefulSet's spec changed (generation 4) but its controller
  last saw generation 3; its status still shows every replica ready
- controller-manager-crashloop: the static pods of kube-controller-manager and kube-scheduler crash-loop (mirror
  pods owned by their Node, not Ready, CrashLoopBackOff); no Deployment, StatefulSet or DaemonSet runs them, and
  the frozen workload statuses all still read available
- static-pod-restart-loop: etcd's static pod is Ready at this moment, but it restarted 12 times, the last 30
  seconds ago
- daemonset-status-unwritten: a new kube-system DaemonSet whose controller never wrote its status
  (observedGeneration 0 of generation 1) reads desiredNumberScheduled 0, like one no node is eligible for
"""
import datetime as dt

from fixtures.kube import by_ref, condition, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.ready import desired_replicas
from readiness.rollout import rollout
from readiness.verdict import CouldNotLook, fail, fail_first
from suites.phase1.restarts import restart_loops
from suites.workloads import KIND_LIST, find_workload, is_ready_pod, ready_endpoints, shortfall

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"     # the kubelet's mark on the mirror pod of a static pod


def _judged(snapshot, namespaces: list[str]) -> list[dict]:
    return [o for plural in KIND_LIST.values() for o in snapshot.items(plural)
            if o["metadata"].get("namespace") in namespaces]


def _ref(obj: dict) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def _system_shortfall(obj: dict, required: bool) -> str | None:
    """Why a system workload is not available (suites.workloads.shortfall), except that a DaemonSet no node is
    eligible for is rolled out as kubectl judges it, unless the profile requires it to run."""
    if obj.get("kind") == "DaemonSet" and desired_replicas(obj) == 0 and not required:
        state = rollout(obj)
        return None if state.done else state.why
    return shortfall(obj)


def _unmanaged_pods(snapshot, namespaces: list[str]) -> list[tuple[dict, str]]:
    """(pod, what it is) of every pod in ``namespaces`` that no workload controller runs: a static pod's mirror
    (its controller is its Node) or a bare pod. A pod finished by its restart policy (Never, OnFailure) is left
    out."""
    found = []
    for pod in snapshot.items("pods", namespaces):
        meta, spec = pod["metadata"], pod.get("spec") or {}
        owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
        mirror = MIRROR_ANNOTATION in (meta.get("annotations") or {}) or (owner or {}).get("kind") == "Node"
        if owner is not None and owner.get("kind") != "Node":
            continue                # run by a controller, judged through it
        if (not mirror and (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
                and spec.get("restartPolicy", "Always") != "Always"):
            continue
        found.append((pod, f"static pod on node {spec.get('nodeName') or (owner or {}).get('name', '?')}"
                      if mirror else "bare pod"))
    return found


def _containers_shown(pod: dict) -> str:
    """Each container that is not ready, with its state and restarts."""
    status, shown = pod.get("status") or {}, []
    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if container.get("ready"):
            continue
        state = container.get("state") or {}
        kind = next(iter(state), "no state")
        reason = (state.get(kind) or {}).get("reason") if isinstance(state.get(kind), dict) else None
        shown.append(f"container {container.get('name')} {kind}{f' {reason}' if reason else ''}, "
                     f"{container.get('restartCount', 0)} restarts")
    return "; ".join(shown)


def _pod_problems(pod: dict, what: str, since: dt.datetime, allowed: int) -> list[str]:
    meta, status = pod["metadata"], pod.get("status") or {}
    if not is_ready_pod(pod):
        ready = condition(pod, "Ready") or {}
        seen = [f"phase {status.get('phase', 'unknown')}", f"Ready={ready.get('status', 'missing')}"
                + (f" ({ready['reason']})" if ready.get("reason") else "")]
        if meta.get("deletionTimestamp"):
            seen.append(f"being deleted since {meta['deletionTimestamp']}")
        containers = _containers_shown(pod)
        return [f"Pod {_ref(pod)} ({what}): not ready ({', '.join(seen)}{f'; {containers}' if containers else ''}), "
                "expected Running and Ready"]
    return [f"Pod {_ref(pod)} ({what}) {line.removeprefix(f'pod {_ref(pod)} ')}"
            for line in restart_loops([pod], since, allowed)]


def _dns_problems(snapshot, spec, rows: list) -> list[str]:
    problems = []
    dns = by_ref(snapshot.items("deployments")).get(spec.dns.ref)
    why = "not found" if dns is None else shortfall(dns)
    rows.append(["Deployment", spec.dns.ref, why or "available"])
    if why:
        problems.append(f"Deployment {spec.dns.ref} (cluster DNS): {why}")
    service = by_ref(snapshot.items("services")).get(spec.dns_service.ref)
    endpoints = ready_endpoints(snapshot, spec.dns_service.namespace, spec.dns_service.name) if service else []
    rows.append(["Service", spec.dns_service.ref, f"{len(endpoints)} ready endpoints" if service else "not found"])
    if service is None:
        problems.append(f"Service {spec.dns_service.ref} (cluster DNS): not found")
    elif not endpoints:
        problems.append(f"Service {spec.dns_service.ref} (cluster DNS): no ready endpoints, expected at least one "
                        "(none is ready, serving and not terminating)")
    return problems


def _metrics_api_problems(snapshot, name: str, rows: list) -> list[str]:
    apiservice = by_ref(snapshot.items("apiservices")).get(name)
    if apiservice is None:
        rows.append(["APIService", name, "not registered"])
        return [f"APIService {name}: not registered (metrics-server not installed)"]
    if not (apiservice.get("spec") or {}).get("service"):
        rows.append(["APIService", name, "local"])
        return [f"APIService {name}: handled locally by the API server (spec.service unset), expected a metrics "
                "server's Service behind it"]
    available = is_true(apiservice, "Available")
    rows.append(["APIService", name, "Available" if available else "not available"])
    if available:
        return []
    cond = condition(apiservice, "Available") or {}
    return [f"APIService {name}: Available={cond.get('status', 'missing')} ({cond.get('reason', 'no reason')})"]


@criterion("P1-SYSTEM", 1, "Cluster system services available", severity="blocker",
           requirement="The cluster DNS Deployment is fully rolled out and available and its Service has ready "
                       "endpoints; the resource metrics APIService is backed by a Service and Available; every "
                       "Deployment, StatefulSet and DaemonSet of kube-system and of the profile's extra namespaces, "
                       "and every workload the profile lists, is fully rolled out with all desired replicas "
                       "available (a DaemonSet no node is eligible for is rolled out unless the profile lists it); "
                       "every pod there that no workload controller runs (the control plane's static pods) is "
                       "Ready and not restarting more often than P1-EVENTS allows; unless the profile exempts it "
                       "with a reason.",
           next_step="kubectl -n kube-system get deploy,ds,sts,pods and kubectl rollout status on the one named: "
                     "scale DNS back up or fix its pods; a stuck rollout needs its new pods' events (kubectl "
                     "describe); a static control-plane pod needs its manifest (/etc/kubernetes/manifests) and its "
                     "container's logs on its node (crictl logs); for the metrics API see P3-METRICS-API's "
                     "runbook.", profile_keys=("phase1.system", "phase1.events"))
def test_cluster_dns_metrics_api_and_system_workloads_available(snapshot, profile):
    spec = profile.phase1.system
    rows: list[list] = []
    problems = _dns_problems(snapshot, spec, rows)
    problems += _metrics_api_problems(snapshot, spec.metrics_apiservice, rows)
    exempt = {(e.kind, e.ref): e.reason for e in spec.exempt}
    judged = {(o["kind"], _ref(o)): o for o in _judged(snapshot, spec.namespaces)}
    required = {(workload.kind, workload.ref) for workload in spec.workloads}
    for workload in spec.workloads:
        judged.setdefault((workload.kind, workload.ref), find_workload(snapshot, workload))
    for (kind, ref), obj in sorted(judged.items(), key=lambda kv: kv[0][1]):
        if (kind, ref) == ("Deployment", spec.dns.ref):
            continue                        # judged above, as the cluster DNS
        why = f"{kind} not found" if obj is None else _system_shortfall(obj, (kind, ref) in required)
        state = why or ("rolled out on no node (desiredNumberScheduled 0: no node is eligible)"
                        if obj is not None and desired_replicas(obj) == 0 else "available")
        if (kind, ref) in exempt:
            rows.append([kind, ref, f"exempt ({exempt[kind, ref]}): {state}"])
            continue
        rows.append([kind, ref, state])
        if why:
            problems.append(f"{kind} {ref}: {why}")
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=profile.phase1.events.lookback_s)
    for pod, what in _unmanaged_pods(snapshot, spec.namespaces):
        found = _pod_problems(pod, what, since, profile.phase1.events.max_restarts)
        if ("Pod", _ref(pod)) in exempt:
            rows.append(["Pod", _ref(pod), f"exempt ({exempt['Pod', _ref(pod)]}): {what}, "
                                           f"{'; '.join(found) or 'ready'}"])
            continue
        rows.append(["Pod", _ref(pod), f"{what}: {'; '.join(found) or 'ready'}"])
        problems += found
    attach_table("system services", ["kind", "object", "state"], rows)
    if not any(obj for obj in judged.values()):
        fail_first(problems, CouldNotLook(
            "system workloads", f"no Deployment, StatefulSet or DaemonSet in {', '.join(spec.namespaces)}; a "
                                "cluster has at least its DNS there (wrong cluster or scope?)", "empty"))
    fail(problems)
