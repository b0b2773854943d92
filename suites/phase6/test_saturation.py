"""P6-SATURATION: nodes have headroom on current usage, no HPA wants more replicas than its maximum for long, no
container of the platform was OOM-killed or pod evicted for want of a node's resource, and no pod waits long for a
node with room for it.

Judged by what the controllers mean, not by what sits at a limit:
- an HPA by its ScalingLimited condition as the HPA controller writes it (pkg/controller/podautoscaler/
  horizontal.go, Kubernetes 1.33): True with TooManyReplicas is the one state in which the load wants more replicas
  than maxReplicas. TooFewReplicas (wants fewer than minReplicas), ScaleUpLimit and ScaleDownLimit (a rate limit
  on the way) and False with DesiredWithinRange are not saturation, so an HPA pinned on purpose (minReplicas ==
  maxReplicas) passes however long it sits at its pin. setConditionInList moves lastTransitionTime only when the
  status flips, not the reason, so how long it has wanted more is bounded by the later of that time and
  status.lastScaleTime (when it reached its current count). With ScalingActive False the controller computes no
  desired count and leaves ScalingLimited as it was: that HPA cannot be judged.
- node usage from metrics.k8s.io (NodeMetrics: usage over ``window`` up to ``timestamp``) only when its timestamp
  is at most phase6.saturation.max_metrics_age_s old: older, undated or future usage is data the check could not
  look at (broken), never a pass.
- every pod of the platform namespaces whatever its phase (a Job's failed pod its retry replaced, a pod the kubelet
  evicted and its ReplicaSet replaced), each init, regular and ephemeral container, in its current state and its
  last termination; a container keeps only its latest termination, so a restart with no record of why is a cause
  the check could not look at.

Adversarial table P6-SATURATION:
- pinned-hpa-wants-more: an HPA pinned on purpose (minReplicas == maxReplicas) whose load has wanted more than the
  pin for hours (ScalingLimited True, TooManyReplicas); pinned and idle (TooFewReplicas) or on target
  (DesiredWithinRange), which the check failed as held at its maximum, passes
- reason-changed-not-time: ScalingLimited True for days (TooFewReplicas at its minimum), then TooManyReplicas at
  its maximum keeps the old lastTransitionTime: reached the maximum (status.lastScaleTime) 2 hours ago fails, 5
  minutes ago passes (the check failed it as held for days)
- hpa-not-computing: at maxReplicas with ScalingActive False (FailedGetResourceMetric, metrics-server down): the
  controller computes nothing and leaves ScalingLimited DesiredWithinRange from before, whatever the load is now
- stale-node-usage: a node's NodeMetrics timestamp is 20 minutes old (its kubelet's stats stopped moving), its
  usage a calm 10%
- undated-node-usage: NodeMetrics without a timestamp: the age of its usage cannot be told
- node-usage-from-future: NodeMetrics dated an hour ahead of every clock
- oom-init-container: an init container (a sidecar is a restartable one) OOM-killed 5 minutes ago: only
  initContainerStatuses records it
- oom-current-state: a Job's pod Failed with its container's current state terminated OOMKilled and an empty
  lastState (restartPolicy Never); the Job's retry replaced it and succeeded
- oom-undated: lastState terminated OOMKilled without finishedAt: placed by the restart after it, or counted
  within the window when nothing dates it
- restart-reason-lost: 4 restarts, the latest 2 minutes ago, and no lastState (the runtime removed the dead
  container): an OOM kill cannot be ruled out
- memory-eviction: a pod the kubelet evicted 5 minutes ago because its node was low on memory (phase Failed,
  reason Evicted), which its ReplicaSet replaced: no container was OOM-killed
- rejected-by-node: a pod its node's kubelet refused at admission (phase Failed, reason OutOfmemory: the node was
  already full when it arrived), which its ReplicaSet replaced: it never ran
- unschedulable-for-resources: a pod Pending for 20 minutes, Unschedulable for "Insufficient memory" on every
  node, while every node's usage is low (requests fill the nodes, not usage)
"""
from __future__ import annotations

import math
import re

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.quantity import quantity
from readiness.ready import condition, is_true
from readiness.timing import age_s, parse, shown
from readiness.verdict import CouldNotLook, fail, fail_first, require_data

WANTS_MORE = "TooManyReplicas"      # ScalingLimited's only reason for a desired count above maxReplicas
CONTAINER_STATUSES = (("init container", "initContainerStatuses"), ("container", "containerStatuses"),
                      ("ephemeral container", "ephemeralContainerStatuses"))
# The scheduler's reasons a node has no room for a pod's requests (its Unschedulable message, "0/3 nodes are
# available: 3 Insufficient memory."), as opposed to taints, affinity or volume conflicts.
NO_ROOM = re.compile(r"Insufficient [\w./-]+|Too many pods")
EVICTED_FOR = re.compile(r"low on resource: ([\w/-]+)")
REJECTED_FOR = re.compile(r"OutOf([\w-]+)")          # the kubelet's admission: "OutOf" + the resource


def _ref(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _newest(*stamps: str | None) -> str | None:
    """The latest of the timestamps that parse, as written."""
    placed = [(parse(s), s) for s in stamps if s and _parses(s)]
    return max(placed)[1] if placed else None


def _parses(stamp: str) -> bool:
    try:
        return parse(stamp) is not None
    except ValueError:
        return False


def node_use(snapshot, spec) -> tuple[list[str], list[CouldNotLook], list[list]]:
    """(problems, nodes whose usage could not be judged, table rows) of every Ready node."""
    samples = {m["metadata"]["name"]: m for m in snapshot.items("node_metrics")}
    problems, unjudged, rows = [], [], []
    for node in snapshot.items("nodes"):
        name = node["metadata"]["name"]
        if not is_true(node, "Ready"):
            continue         # a NotReady node is P1-NODES-READY's finding; it has no current usage
        sample = samples.get(name)
        if sample is None:
            unjudged.append(CouldNotLook("node usage", f"node {name}: Ready but metrics.k8s.io has no usage for it",
                                         "empty"))
            continue
        stamp, window = sample.get("timestamp"), sample.get("window") or "no window"
        age = age_s(stamp) if stamp and _parses(stamp) else None
        if age is None:
            unjudged.append(CouldNotLook("node usage", f"node {name}: its usage from metrics.k8s.io carries no "
                                         f"readable timestamp ({stamp!r}), so how old it is cannot be told", "stale"))
            continue
        if age > spec.max_metrics_age_s or -age > spec.max_metrics_age_s:
            when = f"{shown(age)} old" if age > 0 else f"dated {shown(-age)} in the future"
            unjudged.append(CouldNotLook("node usage", f"node {name}: its usage from metrics.k8s.io is {when} "
                                         f"(timestamp {stamp}, window {window}), expected at most "
                                         f"{shown(spec.max_metrics_age_s)} old", "stale"))
            continue
        usage = sample.get("usage") or {}
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        for resource, bound in (("cpu", spec.node_cpu_max), ("memory", spec.node_memory_max)):
            used, total = usage.get(resource), allocatable.get(resource)
            try:
                share = quantity(used) / quantity(total)
            except (ValueError, TypeError, ZeroDivisionError):
                share = math.nan
            if not (math.isfinite(share) and share >= 0):       # NaN compares false with every bound
                unjudged.append(CouldNotLook("node usage", f"node {name}: {resource} used {used!r} of allocatable "
                                             f"{total!r} cannot be read as a share", "invalid"))
                continue
            rows.append([name, resource, used, total, f"{share:.1%}", stamp, window])
            if share > bound:
                problems.append(f"node {name}: {resource} {share:.0%} of allocatable in use ({used} of {total}), "
                                f"expected at most {bound:.0%}")
    attach_table("node use", ["node", "resource", "used", "allocatable", "share", "timestamp", "window"], rows)
    return problems, unjudged, rows


def hpas_wanting_more(snapshot, spec) -> tuple[list[str], list[CouldNotLook]]:
    """HPAs whose controller has wanted more than maxReplicas for longer than allowed; HPAs it cannot judge."""
    problems, unjudged = [], []
    for hpa in snapshot.items("hpas"):
        ref, status = _ref(hpa), hpa.get("status") or {}
        top, current = (hpa.get("spec") or {}).get("maxReplicas"), status.get("currentReplicas", 0)
        active, limited = condition(hpa, "ScalingActive") or {}, condition(hpa, "ScalingLimited") or {}
        if active.get("reason") == "ScalingDisabled":
            continue         # its target was scaled to zero on purpose: the controller leaves it alone
        # The controller writes ScalingActive whenever it writes ScalingLimited; False (or Unknown) means it
        # stopped computing and what ScalingLimited says is from before.
        if active and active.get("status") != "True":
            seen = f"ScalingActive {active.get('status')} ({active.get('reason')})"
            left = (f"ScalingLimited {limited.get('status')} ({limited.get('reason')}) is left from before"
                    if limited else "it has no ScalingLimited condition")
            unjudged.append(CouldNotLook("hpa", f"hpa {ref}: {seen}: its controller computes no desired replica "
                                         f"count, so whether its load wants more than maxReplicas {top} cannot be "
                                         f"told ({left}; {current} replicas now)", "stale"))
            continue
        if limited.get("status") != "True" or limited.get("reason") != WANTS_MORE:
            if not limited and top is not None and current >= top:
                unjudged.append(CouldNotLook("hpa", f"hpa {ref}: at maxReplicas {top} with no ScalingLimited "
                                             "condition: whether its load wants more cannot be told", "empty"))
            continue
        since = _newest(limited.get("lastTransitionTime"), status.get("lastScaleTime"))
        basis = (f"ScalingLimited True since {limited.get('lastTransitionTime') or 'an unrecorded time'}, last "
                 f"scaled {status.get('lastScaleTime') or 'never'}")
        held = age_s(since)
        if held is None:
            problems.append(f"hpa {ref}: held at maxReplicas {top} ({WANTS_MORE}) since a time its status does not "
                            f"record ({basis}), expected at most {shown(spec.hpa_at_max_s)}")
        elif held > spec.hpa_at_max_s:
            problems.append(f"hpa {ref}: held at maxReplicas {top} for {shown(held)} ({WANTS_MORE}), expected at "
                            f"most {shown(spec.hpa_at_max_s)}; its controller wants more replicas ({basis})")
    return problems, unjudged


def _oom(status: dict) -> tuple[str | None, str] | None:
    """(when, which record) of a container's OOM kill: its current state first, then its last termination, placed
    by its restart after it when the runtime kept no finishedAt; None without one."""
    state = status.get("state") or {}
    now, last = state.get("terminated") or {}, (status.get("lastState") or {}).get("terminated") or {}
    if now.get("reason") == "OOMKilled":
        return now.get("finishedAt"), "its current state, not restarted since"
    if last.get("reason") == "OOMKilled":
        if last.get("finishedAt"):
            return last["finishedAt"], "its last termination"
        started = (state.get("running") or {}).get("startedAt")
        return started, "its last termination, undated: placed by the restart after it"
    return None


def pod_findings(snapshot, spec, namespaces: list[str]) -> tuple[list[str], list[CouldNotLook]]:
    """OOM kills, evictions for a node's resource and pods waiting for room, in every pod of the namespaces."""
    problems, unjudged = [], []
    for pod in snapshot.items("pods", sorted(namespaces)):
        ref, status = f"pod {_ref(pod)}", pod.get("status") or {}
        for kind, key in CONTAINER_STATUSES:
            for container in status.get(key) or []:
                name, restarts = container.get("name"), container.get("restartCount", 0)
                oom = _oom(container)
                if oom:
                    ago = age_s(oom[0]) if oom[0] and _parses(oom[0]) else None
                    if ago is None:
                        problems.append(f"{ref} {kind} {name}: OOMKilled at a time the pod does not record "
                                        f"(restarts {restarts}), {oom[1]}, expected none within "
                                        f"{shown(spec.oom_window_s)}")
                    elif ago <= spec.oom_window_s:
                        problems.append(f"{ref} {kind} {name}: OOMKilled {shown(max(ago, 0))} ago (restarts "
                                        f"{restarts}), {oom[1]}, expected none within {shown(spec.oom_window_s)}")
                    continue
                if restarts and not (container.get("lastState") or {}).get("terminated"):
                    started = ((container.get("state") or {}).get("running") or {}).get("startedAt")
                    ago = age_s(started) if started and _parses(started) else None
                    if ago is None or ago <= spec.oom_window_s:
                        latest = "at an unrecorded time" if ago is None else f"the latest {shown(max(ago, 0))} ago"
                        unjudged.append(CouldNotLook("pod", f"{ref} {kind} {name}: restarted {restarts} times, "
                                                     f"{latest}, and the pod keeps no record of why (no "
                                                     "lastState): an OOM kill cannot be ruled out", "empty"))
        problems += _evicted(pod, ref, status, spec) + _waiting_for_room(pod, ref, status, spec)
    return problems, unjudged


def _evicted(pod: dict, ref: str, status: dict, spec) -> list[str]:
    """A pod its node's kubelet evicted because the node ran low on a resource, or refused to run at admission for
    want of one (reason OutOfcpu, OutOfmemory...: scheduled on a node already full); either stays Failed until
    collected, after its workload replaced it."""
    message, reason = status.get("message") or "", status.get("reason") or ""
    low, short = EVICTED_FOR.search(message), REJECTED_FOR.fullmatch(reason)
    if reason == "Evicted" and low:
        verb, why = "evicted", f"because its node was low on {low.group(1)}"
    elif short:
        verb, why = "refused by its node", f"for want of {short.group(1)} ({reason})"
    else:
        return []
    disruption = condition(pod, "DisruptionTarget") or {}
    ended = [((c.get("state") or {}).get("terminated") or {}).get("finishedAt")
             for _, key in CONTAINER_STATUSES for c in status.get(key) or []]
    when = _newest(disruption.get("lastTransitionTime"), *ended, (condition(pod, "Ready") or {}).get(
        "lastTransitionTime"), None if ended or disruption else (pod.get("metadata") or {}).get("creationTimestamp"))
    ago = age_s(when)
    if ago is None:
        return [f"{ref}: {verb} {why} at a time the pod does not record, expected none within "
                f"{shown(spec.oom_window_s)}"]
    if ago > spec.oom_window_s:
        return []
    return [f"{ref}: {verb} {shown(max(ago, 0))} ago {why} ({_short(message)}), expected none within "
            f"{shown(spec.oom_window_s)}"]


def _waiting_for_room(pod: dict, ref: str, status: dict, spec) -> list[str]:
    """A pending pod the scheduler finds no node with room for (requests fill the nodes, whatever their usage)."""
    scheduled = condition(pod, "PodScheduled") or {}
    message = scheduled.get("message") or ""
    if status.get("phase") != "Pending" or scheduled.get("status") != "False" \
            or scheduled.get("reason") != "Unschedulable" or not NO_ROOM.search(message) \
            or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return []
    since = scheduled.get("lastTransitionTime") or (pod.get("metadata") or {}).get("creationTimestamp")
    waited = age_s(since) if since and _parses(since) else None
    if waited is not None and waited <= spec.pending_max_s:
        return []
    how_long = "since a time it does not record" if waited is None else f"for {shown(waited)}"
    return [f"{ref}: Pending {how_long}, no node has room for it ({_short(message)}), expected scheduled "
            f"within {shown(spec.pending_max_s)}"]


@criterion("P6-SATURATION", 6, "No resource saturation", severity="critical",
           requirement="Each Ready node's CPU and memory in use, read from metrics.k8s.io no older than the "
                       "profile allows, stay within the profile's share of allocatable; no HPA's controller wants "
                       "more replicas than its maxReplicas (ScalingLimited TooManyReplicas) for longer than the "
                       "profile allows; no container of the platform's namespaces was OOM-killed and no pod "
                       "evicted for a node's resource within the profile's window; no pod waits longer than the "
                       "profile allows for a node with room for its requests.",
           next_step="kubectl top nodes and kubectl top pods --sort-by=cpu name the consumer; raise an HPA's "
                     "maximum or the node pool for one that wants more; raise the memory limit of an OOM-killed "
                     "container or fix its leak; kubectl describe pod shows why a pod waits or was evicted.",
           profile_keys=("phase6.saturation", "platform.namespaces"))
def test_no_saturation(snapshot, profile):
    spec = profile.phase6.saturation
    require_data(snapshot.items("nodes"), "kubernetes nodes", "GET /api/v1/nodes")
    problems, unjudged, rows = [], [], []
    for part in (lambda: hpas_wanting_more(snapshot, spec),
                 lambda: pod_findings(snapshot, spec, profile.platform.namespaces)):
        try:
            found, unknown = part()
        except CouldNotLook as exc:
            found, unknown = [], [exc]
        problems, unjudged = problems + found, unjudged + unknown
    try:
        found, unknown, rows = node_use(snapshot, spec)
    except CouldNotLook as exc:
        found, unknown = [], [exc]
    problems, unjudged = found + problems, unknown + unjudged
    if not rows and not unjudged:
        unjudged.append(CouldNotLook("node usage", "no Ready node, so no node's use can be judged", "empty"))
    if unjudged:
        first = unjudged[0]
        reasons = "; ".join(exc.reason for exc in unjudged[:10]) + (
            f"; and {len(unjudged) - 10} more" if len(unjudged) > 10 else "")
        fail_first(problems, CouldNotLook(first.what if len(unjudged) == 1 else "saturation", reasons, first.kind))
    fail(problems)
