"""Phase 1's adversarial rows on recorded inputs: each must fail (or be broken where the answer is impossible), next
to a healthy world that passes. Workloads carry the status their controllers write (kube-controller-manager
v1.33.13: observedGeneration, updated, ready and available counts, Progressing and Available conditions), as
tests/test_rollout.py records them from the real controller."""
from __future__ import annotations

import datetime as dt

import pytest

from readiness.profile import Profile, load_profile
from suites.phase1 import test_events as events
from suites.phase1 import test_nodes_ready as nodes_ready
from suites.phase1 import test_services as services
from suites.phase1 import test_storage as storage
from suites.phase1 import test_system as system
from suites.phase1 import test_version as version
from tests.builders import TERMINATING, cond, deployment, endpoint_slice, node, pod, service, stamp, stuck, workload
from tests.builders import profile_with
from tests.fakes import FakeSnapshot, empty_world, run_check
from tests.suite_runner import ROOT

SANDBOX = load_profile(ROOT / "profiles" / "sandbox.yaml")
NS, SYSTEM_NS = "data-platform", "kube-system"


def run(fn, profile: Profile = SANDBOX, prometheus=None, raw: dict | None = None, **objects):
    world = {**empty_world(profile), "snapshot": FakeSnapshot(objects, raw=raw)}
    if prometheus is not None:
        world["prometheus"] = prometheus
    return run_check(fn, world)


# Workloads as their controllers write them ------------------------------------------------------------------

def statefulset(name: str, namespace: str = NS, replicas: int = 3, partition: int = 0, **status) -> dict:
    obj = workload("StatefulSet", namespace, name, {"app": name}, replicas=replicas)
    obj["metadata"]["generation"] = 1
    obj["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    obj["status"] = {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas,
                     "availableReplicas": replicas, "currentReplicas": replicas, "updatedReplicas": replicas,
                     "currentRevision": f"{name}-1", "updateRevision": f"{name}-1", **status}
    return obj


def daemonset(name: str, namespace: str = SYSTEM_NS, desired: int = 3, **status) -> dict:
    obj = workload("DaemonSet", namespace, name, {"app": name})
    obj["metadata"]["generation"] = 1
    obj["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    obj["status"] = {"observedGeneration": 1, "desiredNumberScheduled": desired, "currentNumberScheduled": desired,
                     "updatedNumberScheduled": desired, "numberReady": desired, "numberAvailable": desired,
                     "numberMisscheduled": 0, **status}
    return obj


# P1-SERVICES ------------------------------------------------------------------------------------------------

SERVICES_PROFILE = profile_with({"platform.workloads": [
    {"namespace": NS, "kind": "Deployment", "name": "trino"}, {"namespace": NS, "kind": "StatefulSet", "name": "kafka"}]})


def platform_services(deployments=None, statefulsets=None):
    return run(services.test_every_service_available_and_deployment_health, SERVICES_PROFILE,
               deployments=deployments if deployments is not None else [deployment("trino")],
               statefulsets=statefulsets if statefulsets is not None else [statefulset("kafka")])


def test_services_healthy_world_passes():
    assert platform_services() == ("passed", "")


def test_services_partition_reached_passes():
    """A staged StatefulSet rollout at its partition is what its spec asks for (kubectl: complete)."""
    staged = statefulset("kafka", partition=2, updatedReplicas=1, currentReplicas=2, updateRevision="kafka-2")
    assert platform_services(statefulsets=[staged]) == ("passed", "")


@pytest.mark.row("P1-SERVICES", "rollout-stuck")
def test_services_stuck_rollout_with_old_pods_ready_fails():
    verdict, message = platform_services(deployments=[stuck(deployment("trino"))])
    assert verdict == "failed"
    assert ('Deployment data-platform/trino: rollout stuck (Progressing=False, ProgressDeadlineExceeded: ReplicaSet '
            '"trino-7856cb65c9" has timed out progressing.)') in message


@pytest.mark.row("P1-SERVICES", "spec-not-observed")
def test_services_unobserved_spec_fails():
    changed = deployment("trino")
    changed["metadata"]["generation"], changed["status"]["observedGeneration"] = 7, 6
    verdict, message = platform_services(deployments=[changed])
    assert verdict == "failed" and ("Deployment data-platform/trino: spec change not yet observed by its controller "
                                    "(generation 7, observedGeneration 6)") in message


@pytest.mark.row("P1-SERVICES", "ready-not-available")
def test_services_ready_but_not_available_fails():
    verdict, message = platform_services(deployments=[deployment("trino", availableReplicas=0)])
    assert verdict == "failed" and "Deployment data-platform/trino: 0/2 replicas available" in message


@pytest.mark.row("P1-SERVICES", "old-replicas-pending")
def test_services_old_replica_pending_termination_fails():
    lingering = deployment("trino")
    lingering["status"]["replicas"] = 3          # the old ReplicaSet's pod still counted
    verdict, message = platform_services(deployments=[lingering])
    assert verdict == "failed"
    assert "Deployment data-platform/trino: rollout in progress: 1 old replicas pending termination" in message


@pytest.mark.row("P1-SERVICES", "partition-not-reached")
def test_services_partition_not_reached_fails():
    staged = statefulset("kafka", partition=1, updatedReplicas=1, currentReplicas=2, updateRevision="kafka-2")
    verdict, message = platform_services(statefulsets=[staged])
    assert verdict == "failed" and ("StatefulSet data-platform/kafka: rollout in progress: 1 of 2 pods run the "
                                    "update revision kafka-2 (ordinals 1 and above; partition 1)") in message


@pytest.mark.row("P1-SERVICES", "ondelete-pending")
def test_services_on_delete_update_pending_fails():
    old = statefulset("kafka", updatedReplicas=0, updateRevision="kafka-2")
    old["spec"]["updateStrategy"] = {"type": "OnDelete"}
    verdict, message = platform_services(statefulsets=[old])
    assert verdict == "failed" and ("StatefulSet data-platform/kafka: update pending: 0 of 3 pods run the current "
                                    "template kafka-2 (OnDelete") in message


@pytest.mark.row("P1-SERVICES", "unlisted-rollout-stuck")
def test_services_unlisted_stuck_rollout_fails_at_full_health():
    verdict, message = platform_services(deployments=[deployment("trino"), stuck(deployment("airflow"))])
    assert verdict == "failed" and "deployment health" not in message
    assert "Deployment data-platform/airflow: rollout stuck (Progressing=False, ProgressDeadlineExceeded" in message


@pytest.mark.row("P1-SERVICES", "past-deadline-unmarked")
def test_services_rollout_past_its_deadline_fails_before_the_controller_says_so():
    late = stuck(deployment("trino"))
    late["status"]["conditions"][1] = {**cond("Progressing", True, "ReplicaSetUpdated"), "lastUpdateTime": stamp(900),
                                       "message": 'ReplicaSet "trino-7856cb65c9" is progressing.'}
    verdict, message = platform_services(deployments=[late])
    assert verdict == "failed" and ("Deployment data-platform/trino: rollout stuck (no progress for 15m, past its "
                                    "progress deadline of 600s, not yet marked ProgressDeadlineExceeded)") in message


def test_services_rollout_within_its_deadline_is_not_yet_available():
    """The decision: a rollout in progress is not done (kubectl keeps waiting); it fails as in progress, saying
    how long its deadline still allows, and is never called stuck."""
    moving = stuck(deployment("trino"))
    moving["status"]["conditions"][1] = {**cond("Progressing", True, "ReplicaSetUpdated"), "lastUpdateTime": stamp(20)}
    verdict, message = platform_services(deployments=[moving])
    assert verdict == "failed" and "stuck" not in message
    assert ("Deployment data-platform/trino: rollout in progress: 1 of 2 replicas updated (within its progress "
            "deadline of 600s, last progress 2") in message


# P1-SYSTEM --------------------------------------------------------------------------------------------------

METRICS_API = {"kind": "APIService", "metadata": {"name": "v1beta1.metrics.k8s.io"},
               "spec": {"service": {"namespace": SYSTEM_NS, "name": "metrics-server"}, "group": "metrics.k8s.io"},
               "status": {"conditions": [cond("Available", True, "Passed")]}}


def cluster_system(profile: Profile = SANDBOX, **changes):
    objects = {"deployments": [deployment("coredns", SYSTEM_NS)], "daemonsets": [daemonset("kube-proxy")],
               "statefulsets": [], "services": [service(SYSTEM_NS, "kube-dns", ("dns", 53))],
               # ready unset means ready: the API's meaning of an endpoint's conditions
               "endpointslices": [endpoint_slice(SYSTEM_NS, "kube-dns", {}, {"ready": True, "serving": True})],
               "apiservices": [METRICS_API], **changes}
    return run(system.test_cluster_dns_metrics_api_and_system_workloads_available, profile, **objects)


def test_system_healthy_world_passes():
    assert cluster_system() == ("passed", "")


def test_system_exempted_workload_passes_and_is_shown_with_its_reason():
    profile = profile_with({"phase1.system.exempt": [{"namespace": SYSTEM_NS, "kind": "DaemonSet",
                                                      "name": "nvidia-device-plugin", "reason": "driver upgrade"}]})
    gpu = daemonset("nvidia-device-plugin", numberReady=0, numberAvailable=0)
    assert cluster_system(profile, daemonsets=[daemonset("kube-proxy"), gpu]) == ("passed", "")
    assert "nvidia-device-plugin: 0/3 scheduled pods available" in cluster_system(
        daemonsets=[daemonset("kube-proxy"), gpu])[1]


def test_system_daemonset_no_node_is_eligible_for_is_rolled_out():
    """kubectl rollout status: a DaemonSet whose desiredNumberScheduled is 0 (a GPU plugin on a cluster without
    GPU nodes) has rolled out; one the profile requires must run somewhere, and a Deployment at zero never
    serves."""
    gpu = daemonset("nvidia-device-plugin", desired=0)
    assert cluster_system(daemonsets=[daemonset("kube-proxy"), gpu]) == ("passed", "")
    required = profile_with({"phase1.system.workloads": [{"namespace": SYSTEM_NS, "kind": "DaemonSet",
                                                          "name": "nvidia-device-plugin"}]})
    verdict, message = cluster_system(required, daemonsets=[daemonset("kube-proxy"), gpu])
    assert verdict == "failed" and ("DaemonSet kube-system/nvidia-device-plugin: runs on no node "
                                    "(desiredNumberScheduled 0)") in message
    verdict, message = cluster_system(deployments=[deployment("coredns", SYSTEM_NS),
                                                   deployment("metrics-server", SYSTEM_NS, replicas=0)])
    assert verdict == "failed" and "Deployment kube-system/metrics-server: scaled to zero replicas" in message


def test_system_exemption_needs_a_reason_and_a_judged_namespace():
    for exemption in ({"namespace": SYSTEM_NS, "kind": "DaemonSet", "name": "kube-proxy", "reason": " "},
                      {"namespace": "monitoring", "kind": "DaemonSet", "name": "promtail", "reason": "ok"},
                      {"namespace": SYSTEM_NS, "kind": "Deployment", "name": "coredns", "reason": "dns elsewhere"}):
        with pytest.raises(ValueError):
            profile_with({"phase1.system.exempt": [exemption]})


def test_system_extra_namespace_is_judged():
    profile = profile_with({"phase1.system.extra_namespaces": ["calico-system"]})
    calico = daemonset("calico-node", "calico-system", numberAvailable=1, numberReady=1)
    verdict, message = cluster_system(profile, daemonsets=[daemonset("kube-proxy"), calico])
    assert verdict == "failed" and "DaemonSet calico-system/calico-node: 1/3 scheduled pods available" in message
    assert cluster_system(daemonsets=[daemonset("kube-proxy"), calico]) == ("passed", "")


def test_system_with_nothing_in_kube_system_is_not_a_pass():
    verdict, message = cluster_system(deployments=[], daemonsets=[])
    assert verdict == "failed" and "coredns (cluster DNS): not found" in message and "could not evaluate" in message


@pytest.mark.row("P1-SYSTEM", "kube-proxy-down")
def test_system_unlisted_kube_proxy_down_fails():
    verdict, message = cluster_system(daemonsets=[daemonset("kube-proxy", numberReady=0, numberAvailable=0)])
    assert verdict == "failed" and "DaemonSet kube-system/kube-proxy: 0/3 scheduled pods available" in message


@pytest.mark.row("P1-SYSTEM", "cni-rollout-pending")
def test_system_cni_rollout_pending_fails():
    cni = daemonset("cilium", updatedNumberScheduled=1)
    verdict, message = cluster_system(daemonsets=[daemonset("kube-proxy"), cni])
    assert verdict == "failed" and "DaemonSet kube-system/cilium: rollout in progress: 1 of 3 scheduled pods " \
                                   "updated" in message


@pytest.mark.row("P1-SYSTEM", "dns-rollout-stuck")
def test_system_dns_stuck_rollout_fails():
    verdict, message = cluster_system(deployments=[stuck(deployment("coredns", SYSTEM_NS))])
    assert verdict == "failed" and ("Deployment kube-system/coredns (cluster DNS): rollout stuck (Progressing=False, "
                                    "ProgressDeadlineExceeded") in message


@pytest.mark.row("P1-SYSTEM", "dns-endpoints-terminating")
def test_system_dns_endpoints_all_terminating_fail():
    verdict, message = cluster_system(endpointslices=[endpoint_slice(SYSTEM_NS, "kube-dns", TERMINATING, TERMINATING)])
    assert verdict == "failed" and "Service kube-system/kube-dns (cluster DNS): no ready endpoints" in message


@pytest.mark.row("P1-SYSTEM", "metrics-apiservice-local")
def test_system_local_metrics_apiservice_fails():
    local = {**METRICS_API, "spec": {"group": "metrics.k8s.io"},
             "status": {"conditions": [cond("Available", True, "Local")]}}
    verdict, message = cluster_system(apiservices=[local])
    assert verdict == "failed" and ("APIService v1beta1.metrics.k8s.io: handled locally by the API server "
                                    "(spec.service unset), expected a metrics server's Service") in message


@pytest.mark.row("P1-SYSTEM", "system-statefulset-unobserved")
def test_system_statefulset_unobserved_fails():
    changed = statefulset("csi-attacher", SYSTEM_NS, replicas=2)
    changed["metadata"]["generation"], changed["status"]["observedGeneration"] = 4, 3
    verdict, message = cluster_system(statefulsets=[changed])
    assert verdict == "failed" and ("StatefulSet kube-system/csi-attacher: spec change not yet observed by its "
                                    "controller (generation 4, observedGeneration 3)") in message


def static_pod(component: str, node_name: str = "cp1", ready: bool = True, restarts: int = 0,
               finished_s_ago: float | None = None, waiting: str | None = None) -> dict:
    """The mirror pod the kubelet writes for a static pod (kubeadm's manifests): owned by its Node."""
    p = pod(SYSTEM_NS, f"{component}-{node_name}", node_name, {"component": component, "tier": "control-plane"},
            owner={"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": f"node-{node_name}"}, ready=ready,
            containers=(component,))
    p["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "0f6c3a", "kubernetes.io/config.source": "file"}
    p["spec"]["restartPolicy"] = "Always"
    last = {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": stamp(finished_s_ago)}} \
        if finished_s_ago is not None else {}
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": stamp(
        max(finished_s_ago - 5, 0) if finished_s_ago is not None else 3600)}}
    p["status"]["containerStatuses"] = [{"name": component, "ready": ready and not waiting, "restartCount": restarts,
                                         "state": state, "lastState": last}]
    return p


CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")


def test_system_ready_static_pods_and_finished_bare_pods_pass():
    finished = pod(SYSTEM_NS, "debug-dns", "w1", {"run": "debug-dns"}, ready=False)
    finished["spec"]["restartPolicy"] = "Never"
    finished["status"]["phase"] = "Succeeded"
    replica = pod(SYSTEM_NS, "coredns-5c96cbff57-x", "w1", {"app": "coredns"}, ready=False,
                  owner={"kind": "ReplicaSet", "name": "coredns-5c96cbff57", "uid": "rs-dns"})   # its Deployment's
    long_ago = static_pod("etcd", "cp2", restarts=12, finished_s_ago=7200)
    pods = [static_pod(c) for c in CONTROL_PLANE] + [finished, replica, long_ago]
    assert cluster_system(pods=pods) == ("passed", "")


def test_system_exempted_static_pod_passes():
    profile = profile_with({"phase1.system.exempt": [{"namespace": SYSTEM_NS, "kind": "Pod",
                                                      "name": "kube-scheduler-cp3", "reason": "cp3 being replaced"}]})
    down = static_pod("kube-scheduler", "cp3", ready=False, restarts=9, waiting="CrashLoopBackOff")
    assert cluster_system(profile, pods=[static_pod("kube-scheduler"), down]) == ("passed", "")


@pytest.mark.row("P1-SYSTEM", "controller-manager-crashloop")
def test_system_crash_looping_control_plane_static_pods_fail():
    pods = [static_pod("kube-apiserver"), static_pod("etcd"),
            static_pod("kube-controller-manager", ready=False, restarts=57, waiting="CrashLoopBackOff"),
            static_pod("kube-scheduler", ready=False, restarts=57, waiting="CrashLoopBackOff")]
    verdict, message = cluster_system(pods=pods)
    assert verdict == "failed"
    assert ("Pod kube-system/kube-controller-manager-cp1 (static pod on node cp1): not ready (phase Running, "
            "Ready=False; container kube-controller-manager waiting CrashLoopBackOff, 57 restarts), expected Running "
            "and Ready") in message
    assert "Pod kube-system/kube-scheduler-cp1 (static pod on node cp1): not ready" in message
    assert "kube-apiserver-cp1" not in message and "etcd-cp1" not in message


@pytest.mark.row("P1-SYSTEM", "static-pod-restart-loop")
def test_system_static_pod_restarting_while_ready_fails():
    verdict, message = cluster_system(pods=[static_pod("etcd", restarts=12, finished_s_ago=30)])
    assert verdict == "failed" and ("Pod kube-system/etcd-cp1 (static pod on node cp1) container etcd: 12 restarts, "
                                    "the last at") in message and "allowed 3" in message


@pytest.mark.row("P1-SYSTEM", "daemonset-status-unwritten")
def test_system_daemonset_whose_status_was_never_written_fails():
    new = daemonset("nvidia-device-plugin")
    new["status"] = {}
    verdict, message = cluster_system(daemonsets=[daemonset("kube-proxy"), new])
    assert verdict == "failed" and ("DaemonSet kube-system/nvidia-device-plugin: spec change not yet observed by its "
                                    "controller (generation 1, observedGeneration 0)") in message


# P1-NODES-READY ---------------------------------------------------------------------------------------------

def live_node(name: str, heartbeat_s_ago: float = 30, taints: list | None = None) -> dict:
    n = node(name, taints=taints)
    n["status"]["conditions"] = [{**cond("Ready", True, "KubeletReady"), "lastHeartbeatTime": stamp(heartbeat_s_ago)}]
    return n


def nodes_check(nodes: list[dict], profile: Profile = SANDBOX):
    return run(nodes_ready.test_every_node_ready_without_pressure_or_cordon, profile, nodes=nodes)


def test_nodes_healthy_world_passes():
    dedicated = live_node("gpu", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    cordoned = live_node("w3", taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}])
    cordoned["spec"]["unschedulable"] = True
    profile = profile_with({"phase1.nodes.allowed_cordoned": {"w3": "disk replacement, ticket OPS-12"}})
    assert nodes_check([live_node("w1"), live_node("w2", heartbeat_s_ago=1200), dedicated, cordoned], profile) \
        == ("passed", "")


def test_nodes_condition_and_its_taint_are_reported_once():
    lost = live_node("w2", taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}])
    lost["status"]["conditions"][0] = cond("Ready", "Unknown", "NodeStatusUnknown")
    verdict, message = nodes_check([live_node("w1"), lost])
    assert verdict == "failed" and message == "node w2: Ready=Unknown (NodeStatusUnknown)"


@pytest.mark.row("P1-NODES-READY", "stale-heartbeat")
def test_nodes_ready_with_a_stale_heartbeat_fails():
    verdict, message = nodes_check([live_node("w1"), live_node("w2", heartbeat_s_ago=3600)])
    assert verdict == "failed" and "node w2: Ready=True but its kubelet last posted status 60m ago" in message \
        and "expected within 1260s" in message and "node w1" not in message


@pytest.mark.row("P1-NODES-READY", "unreachable-taint")
def test_nodes_ready_with_an_unreachable_taint_fails():
    tainted = live_node("w2", taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}])
    verdict, message = nodes_check([live_node("w1"), tainted])
    assert verdict == "failed" and ("node w2: tainted node.kubernetes.io/unreachable:NoExecute (the node lifecycle "
                                    "controller cannot reach its kubelet), expected no such taint") in message


@pytest.mark.row("P1-NODES-READY", "cloud-uninitialized")
def test_nodes_uninitialized_by_the_cloud_controller_fails():
    tainted = live_node("w2", taints=[{"key": "node.cloudprovider.kubernetes.io/uninitialized", "value": "true",
                                       "effect": "NoSchedule"}])
    verdict, message = nodes_check([live_node("w1"), tainted])
    assert verdict == "failed" and "node w2: tainted node.cloudprovider.kubernetes.io/uninitialized:NoSchedule " \
                                   "(the cloud controller has not initialized it)" in message


@pytest.mark.row("P1-NODES-READY", "out-of-service")
def test_nodes_out_of_service_fails():
    tainted = live_node("w2", taints=[{"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown",
                                       "effect": "NoExecute"}])
    verdict, message = nodes_check([live_node("w1"), tainted])
    assert verdict == "failed" and "node w2: tainted node.kubernetes.io/out-of-service:NoExecute" in message


@pytest.mark.row("P1-NODES-READY", "listed-twice")
def test_nodes_listed_twice_is_broken():
    verdict, message = nodes_check([live_node("w1"), live_node("w2"), live_node("w1")])
    assert verdict == "broken" and "listed node w1 twice" in message


@pytest.mark.row("P1-NODES-READY", "no-nodes")
def test_no_nodes_is_broken():
    verdict, message = nodes_check([])
    assert verdict == "broken" and "GET /api/v1/nodes returned nothing" in message


def test_nodes_heartbeat_within_the_clock_skew_allowance_passes():
    ahead = live_node("w2")
    ahead["status"]["conditions"][0]["lastHeartbeatTime"] = stamp(-20)      # 20 s ahead: two clocks
    assert nodes_check([live_node("w1"), ahead]) == ("passed", "")


@pytest.mark.row("P1-NODES-READY", "future-heartbeat")
def test_nodes_heartbeat_in_the_future_fails():
    ahead = live_node("w2")
    ahead["status"]["conditions"][0]["lastHeartbeatTime"] = stamp(-86400)
    verdict, message = nodes_check([live_node("w1"), ahead])
    assert verdict == "failed" and "node w2: Ready=True but its lastHeartbeatTime" in message \
        and "is 24.0h in the future (more than the 60s clock skew allowed)" in message and "node w1" not in message


# P1-K8S-VERSION ---------------------------------------------------------------------------------------------

def kubelet(name: str, at: str) -> dict:
    n = live_node(name)
    n["status"]["nodeInfo"] = {"kubeletVersion": at}
    return n


def apiserver_pod(name: str, at: str) -> dict:
    p = pod(SYSTEM_NS, f"kube-apiserver-{name}", name, {"component": "kube-apiserver", "tier": "control-plane"},
            containers=("kube-apiserver",))
    p["spec"]["containers"][0]["image"] = f"registry.k8s.io/kube-apiserver:{at}"
    return p


def versions(nodes: list[dict], server: str = "v1.33.13", pods: list | None = None, profile: Profile = SANDBOX):
    return run(version.test_kubernetes_version_supported_and_kubelets_within_skew, profile,
               raw={"/version": {"gitVersion": server}}, nodes=nodes, pods=pods or [])


def test_versions_healthy_world_passes():
    pods = [apiserver_pod("cp1", "v1.33.13"), apiserver_pod("cp2", "v1.33.12")]
    assert versions([kubelet("w1", "v1.33.13"), kubelet("w2", "v1.30.14+k3s1")], pods=pods) == ("passed", "")
    assert versions([kubelet("w1", "v1.30.4-eks-a737599")], server="v1.30.5-gke.1014001") == ("passed", "")


@pytest.mark.row("P1-K8S-VERSION", "newer-kubelet")
def test_versions_kubelet_newer_than_the_api_server_fails():
    verdict, message = versions([kubelet("w1", "v1.33.13"), kubelet("w2", "v1.34.1")])
    assert verdict == "failed" and "node w2: kubelet v1.34.1 is newer than the API server v1.33.13" in message


@pytest.mark.row("P1-K8S-VERSION", "prerelease-server")
def test_versions_release_candidate_api_server_fails():
    verdict, message = versions([kubelet("w1", "v1.33.13")], server="v1.34.0-rc.1")
    assert verdict == "failed" and "API server: v1.34.0-rc.1 is a pre-release, expected a released version" in message


@pytest.mark.row("P1-K8S-VERSION", "older-apiserver-instance")
def test_versions_older_api_server_instance_fails():
    pods = [apiserver_pod("cp1", "v1.33.13"), apiserver_pod("cp2", "v1.32.4")]
    verdict, message = versions([kubelet("w1", "v1.33.13")], pods=pods)
    assert verdict == "failed" and ("node w1: kubelet v1.33.13 is newer than the oldest API server v1.32.4 (pod "
                                    "kube-system/kube-apiserver-cp2)") in message


@pytest.mark.row("P1-K8S-VERSION", "kubelet-past-end-of-support")
def test_versions_kubelet_past_its_end_of_support_fails():
    today = dt.date.today()
    profile = profile_with({"phase1.kubernetes.end_of_support": {"1.33": today + dt.timedelta(days=90),
                                                                 "1.30": today - dt.timedelta(days=1)}})
    verdict, message = versions([kubelet("w1", "v1.33.13"), kubelet("w2", "v1.30.14")], profile=profile)
    assert verdict == "failed" and "node w2: kubelet v1.30.14: upstream support for 1.30 ended on" in message
    assert "API server" not in message


@pytest.mark.row("P1-K8S-VERSION", "kubelet-below-minimum")
def test_versions_kubelet_below_the_minimum_fails():
    verdict, message = versions([kubelet("w1", "v1.29.8"), kubelet("w2", "v1.26.15")], server="v1.29.8")
    assert verdict == "failed" and "node w2: kubelet v1.26.15, expected at least 1.27" in message


@pytest.mark.row("P1-K8S-VERSION", "unparseable-kubelet")
def test_versions_unparseable_kubelet_fails():
    verdict, message = versions([kubelet("w1", "v1.33.13"), kubelet("w2", "kwok-v0.7.0")])
    assert verdict == "failed" and "node w2: kubelet version 'kwok-v0.7.0' is not a Kubernetes version" in message


def test_versions_kubelet_within_the_skew_of_the_newest_api_server_passes():
    """API servers at 1.33 and 1.32: kubelets 1.32 down to 1.30 are supported (version skew policy)."""
    pods = [apiserver_pod("cp1", "v1.33.13"), apiserver_pod("cp2", "v1.32.9")]
    assert versions([kubelet("w1", "v1.32.9"), kubelet("w2", "v1.30.14")], pods=pods) == ("passed", "")


def test_versions_api_server_pod_version_from_another_source_passes():
    """A digest-pinned image whose container status names the tag; the only API server pod, which /version
    speaks for; a reference with both tag and digest."""
    status_tagged = apiserver_pod("cp2", "x")
    status_tagged["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-apiserver@sha256:" + "a" * 64
    status_tagged["status"]["containerStatuses"] = [{"name": "kube-apiserver", "ready": True, "restartCount": 0,
                                                     "image": "registry.k8s.io/kube-apiserver:v1.33.12"}]
    both = apiserver_pod("cp3", "v1.33.13@sha256:" + "b" * 64)
    assert versions([kubelet("w1", "v1.33.13")], pods=[apiserver_pod("cp1", "v1.33.13"), status_tagged, both]) \
        == ("passed", "")
    only = apiserver_pod("cp1", "x")
    only["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-apiserver@sha256:" + "a" * 64
    assert versions([kubelet("w1", "v1.33.13")], pods=[only]) == ("passed", "")


@pytest.mark.row("P1-K8S-VERSION", "kubelet-lags-newest-apiserver")
def test_versions_kubelet_too_far_behind_the_newest_api_server_fails():
    pods = [apiserver_pod("cp1", "v1.33.13"), apiserver_pod("cp2", "v1.32.9")]
    verdict, message = versions([kubelet("w1", "v1.32.9"), kubelet("w2", "v1.29.15")], pods=pods)
    assert verdict == "failed" and ("node w2: kubelet v1.29.15 is 4 minor versions behind the newest API server "
                                    "v1.33.13") in message and "expected at most 3" in message
    assert "node w1" not in message


@pytest.mark.row("P1-K8S-VERSION", "prerelease-kubelet")
def test_versions_release_candidate_kubelet_fails():
    verdict, message = versions([kubelet("w1", "v1.33.13"), kubelet("w2", "v1.33.0-rc.1")])
    assert verdict == "failed" and message == "node w2: kubelet v1.33.0-rc.1 is a pre-release, expected a released " \
                                              "version"


@pytest.mark.row("P1-K8S-VERSION", "apiserver-version-unreadable")
def test_versions_api_server_pod_without_a_readable_version_is_broken():
    pinned = apiserver_pod("cp2", "x")
    pinned["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-apiserver@sha256:" + "a" * 64
    verdict, message = versions([kubelet("w1", "v1.33.13")], pods=[apiserver_pod("cp1", "v1.33.13"), pinned])
    assert verdict == "broken" and ("could not evaluate: kube-apiserver version: pod kube-system/kube-apiserver-cp2: "
                                    "its kube-apiserver container's image registry.k8s.io/kube-apiserver@sha256:") \
        in message and "carries no version tag" in message and "no source gives its version" in message
    verdict, message = versions([kubelet("w1", "v1.34.1")], pods=[apiserver_pod("cp1", "v1.33.13"), pinned])
    assert verdict == "failed" and "node w1: kubelet v1.34.1 is newer" in message and "could not evaluate" in message


# P1-STORAGE -------------------------------------------------------------------------------------------------

DEFAULT_CLASS = {"kind": "StorageClass", "provisioner": "ebs.csi.aws.com", "metadata": {
    "name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}


def claim(name: str, volume: str, size: str = "100Gi", uid: str = "c-1", **status) -> dict:
    return {"kind": "PersistentVolumeClaim", "metadata": {"namespace": NS, "name": name, "uid": uid},
            "spec": {"resources": {"requests": {"storage": size}}, "volumeName": volume, "storageClassName": "gp3"},
            "status": {"phase": "Bound", "capacity": {"storage": size}, **status}}


def volume(name: str, claim_name: str, claim_uid: str = "c-1", size: str = "100Gi", **spec) -> dict:
    return {"kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": size}, "storageClassName": "gp3",
                     "claimRef": {"kind": "PersistentVolumeClaim", "namespace": NS, "name": claim_name,
                                  "uid": claim_uid}, **spec},
            "status": {"phase": "Bound"}}


def on_node(hostname: str) -> dict:
    return {"nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": [hostname]}]}]}}}


def storage_check(claims=None, volumes=None, classes=None, nodes=None):
    return run(storage.test_default_storage_class_claims_bound_volumes_healthy,
               storageclasses=classes if classes is not None else [DEFAULT_CLASS],
               persistentvolumeclaims=claims if claims is not None else [claim("data-kafka-0", "pv-1")],
               persistentvolumes=volumes if volumes is not None else [volume("pv-1", "data-kafka-0")],
               nodes=nodes if nodes is not None else [live_node("w1")])


def test_storage_healthy_world_passes():
    assert storage_check() == ("passed", "")
    local = [volume("pv-1", "data-kafka-0", **on_node("w1"))]
    grown = [claim("data-kafka-0", "pv-1", capacity={"storage": "200Gi"})]
    assert storage_check(claims=grown, volumes=local) == ("passed", "")


@pytest.mark.row("P1-STORAGE", "claimref-mismatch")
def test_storage_claim_bound_to_a_volume_of_another_claim_fails():
    verdict, message = storage_check(volumes=[volume("pv-1", "data-kafka-0", claim_uid="c-old")])
    assert verdict == "failed" and ("pvc data-platform/data-kafka-0: Bound to PersistentVolume pv-1, whose claimRef "
                                    "is data-platform/data-kafka-0 (uid c-old), expected this claim (uid c-1)") in message
    verdict, message = storage_check(volumes=[volume("pv-1", "data-kafka-1")])
    assert verdict == "failed" and "whose claimRef is data-platform/data-kafka-1" in message


@pytest.mark.row("P1-STORAGE", "bound-volume-missing")
def test_storage_claim_bound_to_a_missing_volume_fails():
    verdict, message = storage_check(volumes=[])
    assert verdict == "failed" and ("pvc data-platform/data-kafka-0: Bound to PersistentVolume pv-1, which does not "
                                    "exist") in message


@pytest.mark.row("P1-STORAGE", "resize-infeasible")
def test_storage_infeasible_resize_fails():
    small = claim("data-kafka-0", "pv-1", size="500Gi", capacity={"storage": "100Gi"},
                  allocatedResourceStatuses={"storage": "ControllerResizeInfeasible"})
    verdict, message = storage_check(claims=[small])
    assert verdict == "failed" and ("pvc data-platform/data-kafka-0: holds 100Gi, expected the 500Gi it requests "
                                    "(resize: storage ControllerResizeInfeasible)") in message


@pytest.mark.row("P1-STORAGE", "claim-terminating")
def test_storage_claim_being_deleted_fails():
    leaving = claim("data-kafka-0", "pv-1")
    leaving["metadata"].update(deletionTimestamp=stamp(300), finalizers=["kubernetes.io/pvc-protection"])
    verdict, message = storage_check(claims=[leaving])
    assert verdict == "failed" and "pvc data-platform/data-kafka-0: being deleted since" in message \
        and "kubernetes.io/pvc-protection" in message


@pytest.mark.row("P1-STORAGE", "local-volume-node-gone")
def test_storage_local_volume_on_a_node_that_is_gone_fails():
    verdict, message = storage_check(volumes=[volume("pv-1", "data-kafka-0", **on_node("w9"))])
    assert verdict == "failed" and ("pvc data-platform/data-kafka-0: its PersistentVolume pv-1 may only be used on "
                                    "nodes its node affinity selects, and no node matches it") in message


@pytest.mark.row("P1-STORAGE", "volume-released")
def test_storage_claim_bound_to_a_released_volume_fails():
    released = volume("pv-1", "data-kafka-0")
    released["status"]["phase"] = "Released"
    verdict, message = storage_check(volumes=[released])
    assert verdict == "failed" and ("pvc data-platform/data-kafka-0: Bound to PersistentVolume pv-1, which is "
                                    "Released, expected Bound") in message


@pytest.mark.row("P1-STORAGE", "default-annotation-capitalized")
def test_storage_default_annotation_must_be_lower_case_true():
    capitalized = {**DEFAULT_CLASS, "metadata": {"name": "gp3", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "True"}}}
    verdict, message = storage_check(classes=[capitalized])
    assert verdict == "failed" and "cluster: none of the 1 StorageClasses is the default (gp3;" in message


def modifying(status: str | None, wanted: str = "gold", held: str = "silver") -> dict:
    """A claim whose VolumeAttributesClass changed to ``wanted``, as the external resizer reports it."""
    c = claim("data-kafka-0", "pv-1", currentVolumeAttributesClassName=held)
    c["spec"]["volumeAttributesClassName"] = wanted
    if status:
        c["status"]["modifyVolumeStatus"] = {"targetVolumeAttributesClassName": wanted, "status": status}
    if status == "Infeasible":
        c["status"]["conditions"] = [{"type": "ModifyVolumeError", "status": "True", "lastTransitionTime": stamp(60),
                                      "message": "ModifyVolume failed: iops 64000 exceeds the volume's limit"}]
    return c


def test_storage_claim_holding_the_class_it_asks_for_passes():
    assert storage_check(claims=[modifying(None, held="gold")]) == ("passed", "")


def test_storage_capacity_that_is_no_number_fails():
    verdict, message = storage_check(claims=[claim("data-kafka-0", "pv-1", capacity={"storage": "NaN"})])
    assert verdict == "failed" and "pvc data-platform/data-kafka-0: holds 'NaN', which is no quantity" in message


@pytest.mark.row("P1-STORAGE", "volume-modify-infeasible")
def test_storage_infeasible_or_pending_class_modification_fails():
    verdict, message = storage_check(claims=[modifying("Infeasible")])
    assert verdict == "failed" and ("pvc data-platform/data-kafka-0: holds VolumeAttributesClass silver, expected the "
                                    "gold it requests (modification to class gold Infeasible; ModifyVolumeError: "
                                    "ModifyVolume failed: iops 64000") in message
    verdict, message = storage_check(claims=[modifying("Pending")])
    assert verdict == "failed" and "(modification to class gold Pending)" in message
    verdict, message = storage_check(claims=[modifying("InProgress")])
    assert verdict == "failed" and "expected the gold it requests (modification InProgress)" in message


# P1-EVENTS --------------------------------------------------------------------------------------------------

def warning(reason: str = "BackOff", **times) -> dict:
    return {"type": "Warning", "reason": reason, "count": 3, "message": "Back-off restarting failed container",
            "metadata": {"namespace": NS, "name": f"trino-1.{reason}", "creationTimestamp": stamp(7200)},
            "involvedObject": {"kind": "Pod", "name": "trino-1"}, **times}


def restarting(kind: str = "containerStatuses", restarts: int = 2, finished_s_ago: float | None = 30,
               waiting: str | None = None) -> dict:
    p = pod(NS, "trino-1", "w1", {"app": "trino"})
    started = stamp(max(finished_s_ago - 10, 0) if finished_s_ago is not None else 20)    # its restart
    status = {"name": "main", "restartCount": restarts, "ready": waiting is None,
              "state": {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": started}},
              "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": stamp(finished_s_ago)}}
              if finished_s_ago is not None else {}}
    if kind == "initContainerStatuses":
        status["name"] = "setup"
    p["status"][kind] = [status]
    return p


def events_check(pods=None, found=None):
    return run(events.test_no_warning_events_or_restart_loops, pods=pods or [restarting()], events=found or [])


def test_events_healthy_world_passes():
    old = warning(lastTimestamp=stamp(7200), firstTimestamp=stamp(7300))
    assert events_check(found=[old, warning("Pulled", lastTimestamp=stamp(5))]) == ("passed", "")
    long_ago = restarting(restarts=50, finished_s_ago=7200)
    assert events_check(pods=[long_ago]) == ("passed", "")


@pytest.mark.row("P1-EVENTS", "event-series-recent")
def test_events_series_observed_recently_fails():
    recurring = warning(lastTimestamp=stamp(7200), series={"count": 40, "lastObservedTime": stamp(10)})
    verdict, message = events_check(found=[recurring])
    assert verdict == "failed" and "pod data-platform/trino-1: BackOff x40, last 1" in message


@pytest.mark.row("P1-EVENTS", "event-time-only")
def test_events_with_only_an_event_time_fail():
    modern = warning(eventTime=stamp(15).replace("Z", ".123456Z"), lastTimestamp=None, firstTimestamp=None)
    verdict, message = events_check(found=[modern])
    assert verdict == "failed" and "pod data-platform/trino-1: BackOff x3, last 1" in message


@pytest.mark.row("P1-EVENTS", "init-container-crashloop")
def test_events_init_container_crash_loop_fails():
    verdict, message = events_check(pods=[restarting("initContainerStatuses", restarts=9)])
    assert verdict == "failed" and "pod data-platform/trino-1 init container setup: 9 restarts" in message


@pytest.mark.row("P1-EVENTS", "sidecar-restart-loop")
def test_events_sidecar_restart_loop_fails():
    sidecar = restarting("initContainerStatuses", restarts=6, waiting="CrashLoopBackOff")
    sidecar["spec"]["initContainers"] = [{"name": "setup", "restartPolicy": "Always"}]
    sidecar["status"]["containerStatuses"] = [{"name": "main", "restartCount": 0, "ready": True,
                                               "state": {"running": {"startedAt": stamp(3600)}}}]
    verdict, message = events_check(pods=[sidecar])
    assert verdict == "failed" and ("pod data-platform/trino-1 init container setup: 6 restarts, the last at"
                                    in message) and "now in CrashLoopBackOff, allowed 3" in message


@pytest.mark.row("P1-EVENTS", "crashloop-without-last-state")
def test_events_crash_loop_without_last_state_fails():
    verdict, message = events_check(pods=[restarting(restarts=40, finished_s_ago=None, waiting="CrashLoopBackOff")])
    assert verdict == "failed" and ("pod data-platform/trino-1 container main: 40 restarts, no record of the last "
                                    "termination, now in CrashLoopBackOff, allowed 3") in message


def test_events_restarts_placed_before_the_window_pass():
    """A container that restarted 50 times, the last two hours ago, and has run since."""
    settled = restarting(restarts=50, finished_s_ago=7200)
    settled["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": stamp(7190)}}
    assert events_check(pods=[settled]) == ("passed", "")


@pytest.mark.row("P1-EVENTS", "restarted-and-running")
def test_events_restart_loop_caught_running_fails():
    looping = restarting(restarts=40, finished_s_ago=330)
    looping["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": stamp(20)}}
    verdict, message = events_check(pods=[looping])
    assert verdict == "failed" and "pod data-platform/trino-1 container main: 40 restarts, the last at" in message \
        and "(started again after Error), allowed 3" in message


@pytest.mark.row("P1-EVENTS", "crashed-just-now")
def test_events_restart_loop_caught_terminated_fails():
    looping = restarting(restarts=40, finished_s_ago=330)
    looping["status"]["containerStatuses"][0]["state"] = {"terminated": {
        "reason": "Error", "exitCode": 1, "startedAt": stamp(15), "finishedAt": stamp(5)}}
    verdict, message = events_check(pods=[looping])
    assert verdict == "failed" and "pod data-platform/trino-1 container main: 40 restarts, the last at" in message \
        and "(exited Error, waiting to start again), allowed 3" in message
