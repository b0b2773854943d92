"""Every pod spec of the platform namespaces, whoever owns it: what P2-IMAGES and P2-POD-SECURITY judge.

Two sources, because each alone misses something:
- the templates of every workload kind that makes pods (Deployment, StatefulSet, DaemonSet, ReplicaSet,
  ReplicationController, Job, CronJob): what runs next, a scaled-to-zero workload, a CronJob between runs;
- every pod that is not finished, whoever owns it (a Job's, an operator's, none), with its init and ephemeral
  containers: what runs now, which admission does not re-check (a pod admitted before its namespace was
  labelled, a template changed since, a debug container added with kubectl debug).

History is left out, as it will not run again: a ReplicaSet its Deployment keeps for rollbacks, a Job its
CronJob made (the CronJob's template is judged) or one that has finished, a pod that Succeeded or Failed.

A pod is named with the workload at the top of its owner chain (Pod -> ReplicaSet -> Deployment, Pod -> Job ->
CronJob), which is what a profile waives and what a team fixes. An owner reference of a kind read here counts
only when that object exists with that UID; otherwise the pod stands for itself (anyone can write an owner
reference). Owners of other kinds (an operator's resource) are named as written.
"""
from __future__ import annotations

from dataclasses import dataclass

TEMPLATE_KINDS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
                  "ReplicaSet": "replicasets", "ReplicationController": "replicationcontrollers", "Job": "jobs",
                  "CronJob": "cronjobs"}
FINISHED_PODS = ("Succeeded", "Failed")
# Listed per platform namespace: kinds only this module reads, numerous across a cluster (a Deployment keeps ten
# old ReplicaSets). The others are one cluster-wide list the other checks read as well.
PER_NAMESPACE = {"ReplicaSet", "ReplicationController"}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class PodSource:
    kind: str               # Pod, or the kind whose template this is
    namespace: str
    name: str
    workload: str           # "Kind name" at the top of the owner chain (the object itself when it has no owner)
    metadata: dict          # the pod's, or the template's
    spec: dict

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


    @property
    def shown(self) -> str:
        """How a finding names it: a template by its object, a pod with the workload it belongs to."""
        own = f"{self.kind} {self.name}"
        return self.ref if own == self.workload else f"{self.ref} (of {self.workload})"

    def containers(self) -> list[tuple[str, dict]]:
        """(list name, container) of every container: init, regular and ephemeral."""
        return [(key, c) for key in CONTAINER_LISTS for c in self.spec.get(key) or []]


def _controller(meta: dict) -> dict | None:
    return next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)


def _template(kind: str, obj: dict) -> dict:
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return spec.get("template") or {}


def _finished_job(job: dict) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def _history(kind: str, obj: dict, top_kind: str) -> bool:
    if kind == "ReplicaSet":
        return top_kind == "Deployment"
    if kind == "Job":
        return top_kind == "CronJob" or _finished_job(obj)
    return kind == "Pod" and (obj.get("status") or {}).get("phase") in FINISHED_PODS


def platform_pod_sources(snapshot, namespaces: set[str]) -> list[PodSource]:
    """Templates first, then pods, of every object in ``namespaces`` that runs or will run."""
    listed = sorted(namespaces)
    objects = {kind: [o for o in snapshot.items(plural, listed if kind in PER_NAMESPACE else None)
                      if o["metadata"].get("namespace") in namespaces]
               for kind, plural in TEMPLATE_KINDS.items()}
    by_ref = {(kind, o["metadata"]["namespace"], o["metadata"]["name"]): o
              for kind, items in objects.items() for o in items}

    def top(kind: str, namespace: str, name: str, meta: dict) -> tuple[str, str]:
        owner, hops = _controller(meta), 0
        while owner and hops < 4:       # Pod -> Job -> CronJob is the longest chain of built-in kinds
            if owner.get("kind") in TEMPLATE_KINDS:
                found = by_ref.get((owner["kind"], namespace, owner.get("name")))
                if found is None or (owner.get("uid") and owner["uid"] != found["metadata"].get("uid")):
                    break                               # a reference to nothing: the object stands for itself
                kind, name, owner = owner["kind"], owner["name"], _controller(found["metadata"])
            else:
                kind, name, owner = owner.get("kind", "?"), owner.get("name", "?"), None
            hops += 1
        return kind, name

    sources = []
    for kind, items in [*objects.items(), ("Pod", snapshot.items("pods", listed))]:
        for obj in items:
            meta = obj["metadata"]
            namespace, name = meta["namespace"], meta["name"]
            top_kind, top_name = top(kind, namespace, name, meta)
            if _history(kind, obj, top_kind):
                continue
            template = obj if kind == "Pod" else _template(kind, obj)
            sources.append(PodSource(kind, namespace, name, f"{top_kind} {top_name}", template.get("metadata") or {},
                                     template.get("spec") or {}))
    return sources


def first_of_each_finding(found: list[tuple[PodSource, str]]) -> list[tuple[PodSource, str]]:
    """One line per (workload, finding): a template's finding is not repeated for each of its pods, but a pod
    that differs from its template (an older revision, a debug container) is named on its own."""
    seen, kept = set(), []
    for source, finding in found:
        key = (source.namespace, source.workload, finding)
        if key not in seen:
            seen.add(key)
            kept.append((source, finding))
    return kept
