"""Phases 1 and 2 on recorded answers: the edges that decide a verdict (extra proof; each criterion is also
proven against the sandbox in test_faults.py)."""
from __future__ import annotations

from readiness.profile import load_profile
from suites.phase1.test_events import test_no_warning_events_or_restart_loops as events_check
from suites.phase1.test_nodes_ready import test_every_node_ready_without_pressure_or_cordon as nodes_check
from suites.phase1.test_storage import test_default_storage_class_claims_bound_volumes_healthy as storage_check
from suites.phase1.test_version import test_kubernetes_version_supported_and_kubelets_within_skew as version_check
from suites.phase2.test_certificates import test_served_certificate_verifies_and_is_not_expiring as served_check
from suites.phase2.test_secrets_store import test_secrets_store_initialized_unsealed_active as vault_check
from tests.builders import cond, node, pod, stamp, workload
from tests.fakes import FakeSnapshot, FakeTls, FakeVault, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")

CARBON = load_profile(ROOT / "profiles" / "254carbon.yaml")


def world(profile=PROFILE, **objects) -> dict:
    raw = objects.pop("raw", {})
    return {**empty_world(profile), "snapshot": FakeSnapshot(objects, raw=raw)}


def versioned(name: str, kubelet: str) -> dict:
    n = node(name)
    n["status"]["nodeInfo"] = {"kubeletVersion": kubelet}
    return n


def test_kubelet_skew_and_end_of_support():
    fine = world(nodes=[versioned("a", "v1.33.13"), versioned("b", "v1.30.2")], raw={"/version": {"gitVersion": "v1.33.13"}})
    assert run_check(version_check, fine) == ("passed", "")
    verdict, message = run_check(version_check, world(nodes=[versioned("b", "v1.29.4"), versioned("c", "v1.34.0")],
                                                      raw={"/version": {"gitVersion": "v1.33.13"}}))
    assert verdict == "failed" and "node b: kubelet v1.29.4 is 4 minor versions behind" in message \
        and "node c: kubelet v1.34.0 is newer" in message
    verdict, message = run_check(version_check, world(CARBON, nodes=[versioned("a", "v1.33.13")],
                                                      raw={"/version": {"gitVersion": "v1.33.13"}}))
    assert verdict == "failed" and "support for 1.33 ended on 2026-06-28" in message
    verdict, message = run_check(version_check, world(nodes=[versioned("a", "kwok-v0.7.0")],
                                                      raw={"/version": {"gitVersion": "v1.33.13"}}))
    assert verdict == "failed" and "'kwok-v0.7.0' is not a Kubernetes version" in message


def test_node_pressure_and_unexplained_cordon_fail():
    pressured = node("w1")
    pressured["status"]["conditions"].append(cond("MemoryPressure", True))
    cordoned = node("w2")
    cordoned["spec"]["unschedulable"] = True
    verdict, message = run_check(nodes_check, world(nodes=[pressured, cordoned, node("w3", ready=False)]))
    assert verdict == "failed"
    assert "node w1: MemoryPressure=True" in message and "node w2: cordoned" in message and "node w3: Ready=False" in message


def test_two_default_storage_classes_and_a_pending_claim_fail():
    default = {"metadata": {"name": "a", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}
    other = {"metadata": {"name": "b", "annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"}}}
    claim = {"metadata": {"namespace": "data-platform", "name": "data-x"}, "spec": {"resources": {"requests": {
        "storage": "500Gi"}}}, "status": {"phase": "Pending"}}
    verdict, message = run_check(storage_check, world(storageclasses=[default, other], persistentvolumeclaims=[claim]))
    assert verdict == "failed" and "2 default StorageClasses (a, b)" in message \
        and "pvc data-platform/data-x: Pending (requests 500Gi" in message


def test_events_outside_the_window_or_of_other_reasons_do_not_count():
    platform_pod = pod("data-platform", "p", "w1", {"app": "x"})

    def event(reason: str, seconds_ago: float, kind: str = "Warning") -> dict:
        return {"type": kind, "reason": reason, "metadata": {"namespace": "data-platform", "name": f"e-{reason}"},
                "involvedObject": {"kind": "Pod", "name": "p"}, "lastTimestamp": stamp(seconds_ago), "count": 7,
                "message": "0/4 nodes are available"}
    quiet = world(pods=[platform_pod], events=[event("FailedScheduling", 3600), event("Pulled", 1, "Normal"),
                                               event("SomethingElse", 1)])
    assert run_check(events_check, quiet) == ("passed", "")
    verdict, message = run_check(events_check, world(pods=[platform_pod], events=[event("FailedScheduling", 5)]))
    assert verdict == "failed" and "pod data-platform/p: FailedScheduling x7" in message


def test_vault_codes_each_mean_something():
    body = {"initialized": True, "sealed": False, "standby": False}
    assert run_check(vault_check, {**empty_world(PROFILE), "vault": FakeVault(200, body)}) == ("passed", "")
    assert run_check(vault_check, {**empty_world(PROFILE), "vault": FakeVault(429, {**body, "standby": True})}) \
        == ("passed", "")
    for status, sealed, words in ((503, True, "sealed"), (501, False, "not initialized"),
                                  (472, False, "disaster-recovery secondary")):
        verdict, message = run_check(vault_check, {**empty_world(PROFILE),
                                                   "vault": FakeVault(status, {**body, "sealed": sealed})})
        assert verdict == "failed" and words in message, (status, message)
    assert run_check(vault_check, {**empty_world(PROFILE), "vault": FakeVault(418, body)})[0] == "broken"


def test_served_certificate_that_does_not_verify_or_expires_soon_fails():
    endpoint = PROFILE.phase2.certificates.served[0]
    bad = FakeTls({endpoint.host: {"verified": False, "error": "Hostname mismatch"}})
    verdict, message = run_check(served_check, {**empty_world(PROFILE), "tls": bad}, endpoint)
    assert verdict == "failed" and "does not verify: Hostname mismatch" in message
    soon = FakeTls({endpoint.host: {"verified": True, "not_after": stamp(-3 * 86400).replace("Z", "+00:00")}})
    verdict, message = run_check(served_check, {**empty_world(PROFILE), "tls": soon}, endpoint)
    assert verdict == "failed" and "expires in 3.0 days" in message


def test_metrics_api_with_only_nodes_in_their_grace_is_broken():
    from suites.phase3.test_metrics_api import test_metrics_api_serves_nodes_and_pods as metrics_check
    fresh = node("w1")
    fresh["status"]["conditions"][0]["lastTransitionTime"] = stamp(5)
    service = {"metadata": {"name": "v1beta1.metrics.k8s.io"}, "status": {"conditions": [cond("Available", True)]}}
    one = PROFILE.model_copy(update={"platform": PROFILE.platform.model_copy(update={
        "workloads": [PROFILE.platform.workloads[0]]})})
    w = PROFILE.platform.workloads[0]
    deployment = workload("Deployment", w.namespace, w.name, {"app": w.name})
    young = pod(w.namespace, f"{w.name}-1", "w1", {"app": w.name}, started_s_ago=5)
    verdict, message = run_check(metrics_check, {**world(one, nodes=[fresh], apiservices=[service],
                                                         deployments=[deployment], pods=[young])})
    assert verdict == "broken" and "nothing is old enough" in message


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch, as kubectl patch --type=merge applies it."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def test_rollout_stuck_fault_patches_and_heal_restores_what_the_platform_deployed(monkeypatch):
    """The fault's own code, on the Deployment the sandbox deploys (with the API server's defaults): the fault
    leaves a template no node can run with maxUnavailable 0 and a short deadline; the heal puts back the exact
    template (so the old ReplicaSet is current again), deadline and strategy, and waits for the rollout."""
    import copy
    import json

    from sandbox.faults import phase1
    from sandbox.manifests import platform
    from sandbox.run import kube
    from tests.builders import deployment as rolled_out
    deployed = next(o for o in platform.platform_objects() if o["kind"] == "Deployment"
                    and o["metadata"]["name"] == phase1.STUCK_DEPLOYMENT)
    assert {"namespace": "data-platform", "kind": "Deployment", "name": phase1.STUCK_DEPLOYMENT} in [
        w.model_dump(include={"namespace", "kind", "name"}) for w in PROFILE.platform.workloads]
    assert deployed["spec"]["replicas"] >= 2
    live = copy.deepcopy(deployed)
    live["spec"].update(progressDeadlineSeconds=600, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": "25%", "maxSurge": "25%"}})
    original = copy.deepcopy(live)
    calls = []

    def kubectl(layout, *args, check=True, **_):
        calls.append(args)
        live.update(_merge_patch(live, json.loads(args[args.index("-p") + 1])))
    monkeypatch.setattr(kube, "kubectl", kubectl)
    monkeypatch.setattr(kube, "get_json", lambda layout, *args: rolled_out(phase1.STUCK_DEPLOYMENT))
    phase1._stuck_rollout(None)
    assert live["spec"]["progressDeadlineSeconds"] == phase1.STUCK_DEADLINE_S
    assert live["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert live["spec"]["template"]["spec"]["nodeSelector"][phase1.NO_SUCH_NODE] == "true"
    phase1._heal_rollout(None)
    assert live == original and all("--type=merge" in c for c in calls)
