"""Small builders of API objects as the API server returns them, for recorded-answer tests."""
from __future__ import annotations

import datetime as dt

def now() -> dt.datetime:
    """The moment of the call: a test session runs for half an hour, longer than many windows the checks use."""
    return dt.datetime.now(dt.timezone.utc)


def stamp(seconds_ago: float) -> str:
    return (now() - dt.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cond(kind: str, status: bool | str, reason: str = "") -> dict:
    value = status if isinstance(status, str) else ("True" if status else "False")
    return {"type": kind, "status": value, "reason": reason}


def node(name: str, ready: bool = True, taints: list | None = None, labels: dict | None = None) -> dict:
    return {"kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints or []}, "status": {"conditions": [cond("Ready", ready)]}}


def pod(namespace: str, name: str, node_name: str, labels: dict, owner: dict | None = None, ready: bool = True,
        started_s_ago: float = 3600, containers=("main",), init_containers=(), resources: dict | None = None) -> dict:
    res = resources if resources is not None else {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                   "limits": {"cpu": "1", "memory": "256Mi"}}
    meta = {"namespace": namespace, "name": name, "labels": labels, "creationTimestamp": stamp(started_s_ago)}
    if owner:
        meta["ownerReferences"] = [{**owner, "controller": True}]
    return {"kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node_name, "containers": [{"name": c, "resources": res} for c in containers],
                     "initContainers": [{"name": c, "resources": {}} for c in init_containers]},
            "status": {"phase": "Running", "startTime": stamp(started_s_ago),
                       "conditions": [cond("Ready", ready)]}}


def workload(kind: str, namespace: str, name: str, labels: dict, replicas: int | None = 2, ready: int = 2,
             status: dict | None = None, uid: str | None = None) -> dict:
    spec = {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {}}}
    if replicas is not None and kind != "DaemonSet":
        spec["replicas"] = replicas
    default_status = {"numberReady": ready} if kind == "DaemonSet" else {"readyReplicas": ready}
    return {"kind": kind, "metadata": {"namespace": namespace, "name": name, "uid": uid or f"uid-{name}"},
            "spec": spec, "status": status or default_status}


def target(job: str, instance: str, health: str = "up", **labels) -> dict:
    return {"labels": {"job": job, "instance": instance, **labels}, "health": health, "lastError": ""}


def sample(labels: dict, value) -> dict:
    return {"metric": labels, "value": [now().timestamp(), str(value)]}


def tuned(profile, **dotted):
    """A copy of ``profile`` with settings replaced, by dotted path: tuned(p, **{"phase8.availability.window": "30d"})."""
    from readiness.profile import Profile
    data = profile.model_dump()
    for path, value in dotted.items():
        *parents, last = path.split(".")
        holder = data
        for part in parents:
            holder = holder[part]
        holder[last] = value
    return Profile.model_validate(data)


def profile_with(changes: dict):
    """The sandbox profile with dotted-path settings replaced."""
    from readiness.profile import load_profile
    from tests.suite_runner import ROOT
    return tuned(load_profile(ROOT / "profiles" / "sandbox.yaml"), **changes)


def deployment(name: str, namespace: str = "data-platform", replicas: int = 2, **status) -> dict:
    obj = workload("Deployment", namespace, name, {"app": name}, replicas=replicas)
    obj["metadata"]["generation"] = 1
    obj["spec"].update(progressDeadlineSeconds=600, strategy={
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    obj["status"] = {
        "observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [{**cond("Available", True, "MinimumReplicasAvailable"), "lastUpdateTime": stamp(3600)},
                       {**cond("Progressing", True, "NewReplicaSetAvailable"), "lastUpdateTime": stamp(3600),
                        "message": f'ReplicaSet "{name}-5c96cbff57" has successfully progressed.'}],
        **status}
    return obj


def stuck(obj: dict) -> dict:
    """The Deployment after a template change whose new pods cannot be scheduled (maxSurge 1, maxUnavailable 0),
    once kube-controller-manager passed its deadline: the old ReplicaSet's pods are all still ready."""
    name, replicas = obj["metadata"]["name"], obj["spec"]["replicas"]
    obj["metadata"]["generation"] = 2
    obj["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 1, "maxUnavailable": 0}
    obj["status"].update(observedGeneration=2, replicas=replicas + 1, updatedReplicas=1, unavailableReplicas=1)
    obj["status"]["conditions"][1] = {**cond("Progressing", False, "ProgressDeadlineExceeded"),
                                      "lastUpdateTime": stamp(60),
                                      "message": f'ReplicaSet "{name}-7856cb65c9" has timed out progressing.'}
    return obj


def endpoint_slice(namespace: str, service: str, *conditions: dict, ports=(("http", 8080),)) -> dict:
    """As the EndpointSlice controller writes it: each of the Service's ports by its name, with the port number
    the pods resolved its targetPort to."""
    return {"kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"namespace": namespace, "name": f"{service}-abcde",
                         "labels": {"kubernetes.io/service-name": service}},
            "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports],
            "endpoints": [{"addresses": [f"10.0.0.{i + 10}"], "conditions": c,
                           "targetRef": {"kind": "Pod", "name": f"{service}-{i}", "namespace": namespace}}
                          for i, c in enumerate(conditions)]}


def service(namespace: str, name: str, *ports: tuple[str, int]) -> dict:
    return {"kind": "Service", "metadata": {"namespace": namespace, "name": name},
            "spec": {"selector": {"app": name}, "ports": [{"name": n, "port": p, "targetPort": p}
                                                          for n, p in ports or [("http", 8080)]]}}


TERMINATING = {"ready": False, "serving": True, "terminating": True}
