"""Phase 2's adversarial rows on recorded inputs: each must fail (or be broken), next to a healthy world that
passes. RBAC's answers are recorded authorizer answers; tests/test_rbac_live.py asks the real one."""
from __future__ import annotations

import time

import pytest

from readiness.profile import load_profile
from suites.phase2 import test_certificates as certificates
from suites.phase2 import test_images as image_checks
from suites.phase2 import test_network_policies as netpol
from suites.phase2 import test_pod_security as pod_security_checks
from suites.phase2 import test_rbac as rbac
from suites.phase2 import test_secrets_store as secrets_store
from tests.builders import cond, pod, stamp, workload
from tests.fakes import FakeAccess, FakeSnapshot, FakeTls, FakeVault, empty_world, run_check
from tests.suite_runner import ROOT

PROFILE = load_profile(ROOT / "profiles" / "sandbox.yaml")
NS = "data-platform"
IMAGE = "registry.local/254carbon/trino:1.0"


def run(fn, param=None, **fixtures):
    objects = {k: v for k, v in fixtures.items() if k not in ("access", "vault", "tls", "profile")}
    world = {**empty_world(fixtures.get("profile", PROFILE)), "snapshot": FakeSnapshot(objects)}
    world.update({k: v for k, v in fixtures.items() if k in ("access", "vault", "tls")})
    return run_check(fn, world, param)


def deployment(name: str = "trino", image: str = IMAGE, **spec) -> dict:
    obj = workload("Deployment", NS, name, {"app": name})
    obj["spec"]["template"]["spec"] = {"containers": [{"name": name, "image": image,
                                                        "ports": [{"containerPort": 8080, "name": "http"}]}], **spec}
    return obj


def running(name: str, labels: dict, image: str = IMAGE, owner: dict | None = None, namespace: str = NS) -> dict:
    p = pod(namespace, name, "w1", labels, owner=owner)
    p["spec"]["containers"][0].update(image=image, ports=[{"containerPort": 8080, "name": "http"}])
    return p


# P2-IMAGES ------------------------------------------------------------------------------------------------

def images(**objects):
    return run(image_checks.test_images_from_allowed_registries_tagged_and_pinned,
               **{"deployments": [deployment()], "pods": [running("trino-1", {"app": "trino"})], **objects})


def test_images_healthy_world_passes():
    assert images() == ("passed", "")


@pytest.mark.row("P2-IMAGES", "job-pod")
def test_images_job_pod_from_docker_hub_fails():
    job_pod = running("migrate-x1", {"job": "migrate"}, "postgres:latest",
                      owner={"kind": "Job", "name": "migrate-29", "uid": "j1"})
    job = {"kind": "Job", "metadata": {"namespace": NS, "name": "migrate-29", "uid": "j1", "ownerReferences": [
        {"kind": "CronJob", "name": "migrate", "controller": True}]}, "spec": {"template": {"spec": {}}}}
    cron = {"kind": "CronJob", "metadata": {"namespace": NS, "name": "migrate", "uid": "c1"}, "spec": {"jobTemplate": {
        "spec": {"template": {"spec": {"containers": [{"name": "migrate", "image": IMAGE}]}}}}}}
    verdict, message = images(pods=[running("trino-1", {"app": "trino"}), job_pod], jobs=[job], cronjobs=[cron])
    assert verdict == "failed"
    assert "Pod data-platform/migrate-x1 (of CronJob migrate) container main: image 'postgres:latest': registry " \
           "docker.io is not allowed; tag latest" in message


@pytest.mark.row("P2-IMAGES", "cronjob-between-runs")
def test_images_cronjob_template_fails_without_a_pod():
    cron = {"kind": "CronJob", "metadata": {"namespace": NS, "name": "report"}, "spec": {"jobTemplate": {"spec": {
        "template": {"spec": {"containers": [{"name": "report", "image": "docker.io/library/python:3.12"}]}}}}}}
    verdict, message = images(cronjobs=[cron])
    assert verdict == "failed" and "CronJob data-platform/report container report: image " \
                                   "'docker.io/library/python:3.12': registry docker.io is not allowed" in message


@pytest.mark.row("P2-IMAGES", "ephemeral-container")
def test_images_ephemeral_debug_container_fails():
    debugged = running("trino-1", {"app": "trino"}, owner={"kind": "Deployment", "name": "trino", "uid": "uid-trino"})
    debugged["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "docker.io/busybox"}]
    verdict, message = images(pods=[debugged])
    assert verdict == "failed" and "Pod data-platform/trino-1 (of Deployment trino) ephemeral container debugger: " \
                                   "image 'docker.io/busybox': registry docker.io is not allowed; untagged" in message


@pytest.mark.row("P2-IMAGES", "init-container")
def test_images_init_container_fails():
    bad = deployment(initContainers=[{"name": "wait", "image": "quay.io/prometheus/busybox:1.36"}])
    verdict, message = images(deployments=[bad])
    assert verdict == "failed" and "Deployment data-platform/trino container wait: image " \
                                   "'quay.io/prometheus/busybox:1.36': registry quay.io is not allowed" in message


@pytest.mark.row("P2-IMAGES", "stale-pod")
def test_images_pod_of_an_old_revision_fails_though_the_template_is_fixed():
    old = running("trino-old", {"app": "trino"}, "ghcr.io/trino/trino:440",
                  owner={"kind": "ReplicaSet", "name": "trino-5d9", "uid": "r"})
    rs = {"kind": "ReplicaSet", "metadata": {"namespace": NS, "name": "trino-5d9", "uid": "r", "ownerReferences": [
        {"kind": "Deployment", "name": "trino", "controller": True}]}, "spec": {"template": {"spec": {
            "containers": [{"name": "trino", "image": IMAGE}]}}}}
    verdict, message = images(pods=[old], replicasets=[rs])
    assert verdict == "failed" and "Pod data-platform/trino-old (of Deployment trino) container main: image " \
                                   "'ghcr.io/trino/trino:440': registry ghcr.io is not allowed" in message


@pytest.mark.row("P2-IMAGES", "registry-prefix-lookalike")
def test_images_lookalike_registry_fails():
    verdict, message = images(deployments=[deployment(image="registry.local.evil.io/trino:1.0")])
    assert verdict == "failed" and "registry registry.local.evil.io is not allowed" in message


@pytest.mark.row("P2-IMAGES", "implicit-docker-hub")
def test_images_implicit_docker_hub_fails():
    verdict, message = images(deployments=[deployment(image="postgres:15")])
    assert verdict == "failed" and "image 'postgres:15': registry docker.io is not allowed" in message


@pytest.mark.row("P2-IMAGES", "operator-pod")
def test_images_pod_of_an_operator_resource_fails():
    broker = running("kafka-0", {"app": "kafka"}, "quay.io/strimzi/kafka:0.45.0-kafka-3.9.0",
                     owner={"kind": "StrimziPodSet", "name": "kafka", "uid": "s"})
    verdict, message = images(pods=[broker])
    assert verdict == "failed" and "Pod data-platform/kafka-0 (of StrimziPodSet kafka) container main" in message


# P2-NETPOL ------------------------------------------------------------------------------------------------

def policy(name: str, namespace: str = NS, selector: dict | None = None, **spec) -> dict:
    return {"kind": "NetworkPolicy", "metadata": {"namespace": namespace, "name": name},
            "spec": {"podSelector": {} if selector is None else selector, **spec}}


def healthy_policies() -> list[dict]:
    return [policy("default-deny-ingress", namespace=n, policyTypes=["Ingress"]) for n in PROFILE.platform.namespaces] \
        + [policy("allow-same-namespace", namespace=n, ingress=[{"from": [{"podSelector": {}}]}])
           for n in PROFILE.platform.namespaces]


TRINO_ONLY = PROFILE.model_copy(update={"platform": PROFILE.platform.model_copy(update={
    "workloads": [w for w in PROFILE.platform.workloads if w.name == "trino"]})})
NAMESPACES = [{"metadata": {"name": n}} for n in PROFILE.platform.namespaces]


def netpols(policies=None, pods=None, profile=TRINO_ONLY):
    return run(netpol.test_every_pod_isolated_open_nowhere_and_reachable, profile=profile, namespaces=NAMESPACES,
               networkpolicies=healthy_policies() if policies is None else policies,
               pods=pods or [running("trino-1", {"app": "trino"})], deployments=[deployment()])


def test_netpol_healthy_world_passes():
    assert netpols() == ("passed", "")


@pytest.mark.row("P2-NETPOL", "allow-all-beside-deny")
def test_netpol_allow_all_beside_default_deny_fails():
    verdict, message = netpols(healthy_policies() + [policy("allow-all", ingress=[{}])])
    assert verdict == "failed"
    assert "Pod data-platform/trino-1: ingress open to everyone (policy allow-all rule 1: every peer (the rule " \
           "names none) on every port)" in message


@pytest.mark.row("P2-NETPOL", "rule-without-from")
def test_netpol_rule_with_ports_and_no_peers_fails():
    verdict, message = netpols(healthy_policies() + [policy("web", selector={"matchLabels": {"app": "trino"}},
                                                            ingress=[{"ports": [{"port": 8080}]}])])
    assert verdict == "failed" and "policy web rule 1: every peer (the rule names none) on TCP/8080" in message


@pytest.mark.row("P2-NETPOL", "every-namespace-peer")
def test_netpol_empty_namespace_selector_fails():
    every_namespace = policy("cluster", ingress=[{"from": [{"namespaceSelector": {}}]}])
    verdict, message = netpols(healthy_policies() + [every_namespace])
    assert verdict == "failed" and "policy cluster rule 1: every pod of every namespace" in message


@pytest.mark.row("P2-NETPOL", "internet-ipblock")
def test_netpol_ipblock_of_every_address_fails():
    block = {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}
    verdict, message = netpols(healthy_policies() + [policy("edge", ingress=[{"from": [block]}])])
    assert verdict == "failed" and "policy edge rule 1: every address (ipBlock 0.0.0.0/0)" in message


@pytest.mark.row("P2-NETPOL", "unselected-pod")
def test_netpol_pod_outside_the_deny_selector_is_not_isolated():
    narrow = [p for p in healthy_policies() if p["metadata"]["namespace"] != NS] + [
        policy("deny-apps", selector={"matchLabels": {"tier": "app"}}, policyTypes=["Ingress"]),
        policy("allow-same-namespace", selector={"matchLabels": {"tier": "app"}},
               ingress=[{"from": [{"podSelector": {}}]}])]
    verdict, message = netpols(narrow)
    assert verdict == "failed" and "namespace data-platform: no default-deny ingress NetworkPolicy" in message
    assert "Pod data-platform/trino-1: not isolated for ingress: no NetworkPolicy selects it" in message


@pytest.mark.row("P2-NETPOL", "egress-only-deny")
def test_netpol_egress_only_policy_leaves_ingress_open():
    egress_only = [p for p in healthy_policies() if p["metadata"]["namespace"] != NS] + [
        policy("default-deny", policyTypes=["Egress"])]
    verdict, message = netpols(egress_only)
    assert verdict == "failed" and "Pod data-platform/trino-1: not isolated for ingress" in message


@pytest.mark.row("P2-NETPOL", "host-network-pod")
def test_netpol_host_network_pod_fails():
    host = running("trino-1", {"app": "trino"})
    host["spec"]["hostNetwork"] = True
    verdict, message = netpols(pods=[host])
    assert verdict == "failed" and "Pod data-platform/trino-1: on the host network: no NetworkPolicy governs its " \
                                   "ingress" in message


@pytest.mark.row("P2-NETPOL", "unreachable-workload")
def test_netpol_workload_no_rule_reaches_fails():
    db_only = policy("db-only", ingress=[{"ports": [{"port": 5432}], "from": [{"podSelector": {}}]}])
    other_port = [p for p in healthy_policies() if p["metadata"]["name"] == "default-deny-ingress"
                  or p["metadata"]["namespace"] != NS] + [db_only]
    verdict, message = netpols(other_port)
    assert verdict == "failed" and "Deployment data-platform/trino: no NetworkPolicy allows ingress to a port its " \
                                   "containers declare (http), so it cannot be reached" in message


@pytest.mark.row("P2-NETPOL", "every-namespace-by-expression")
def test_netpol_namespace_selector_matching_every_namespace_fails():
    everywhere = {"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                                                              "operator": "Exists"}]}}
    verdict, message = netpols(healthy_policies() + [policy("wide", ingress=[{"from": [everywhere]}])])
    assert verdict == "failed" and "policy wide rule 1: every pod of every namespace (namespaceSelector " \
                                   "{kubernetes.io/metadata.name Exists})" in message


@pytest.mark.row("P2-NETPOL", "halves-added-up")
def test_netpol_peers_that_add_up_to_everyone_fail():
    halves = healthy_policies() + [policy("low", ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/1"}}]}]),
                                   policy("high", ingress=[{"from": [{"ipBlock": {"cidr": "128.0.0.0/1"}}]}])]
    verdict, message = netpols(halves)
    assert verdict == "failed" and "policies allow-same-namespace, high, low added up: every address (ipBlock " \
                                   "0.0.0.0/1, 128.0.0.0/1) on every port" in message
    labelled = {"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}}
    unlabelled = {"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "app",
                                                                                 "operator": "DoesNotExist"}]}}
    verdict, message = netpols(healthy_policies() + [policy("both", ingress=[{"from": [labelled, unlabelled]}])])
    assert verdict == "failed" and "policy both rule 1: every pod of every namespace" in message


def test_netpol_peers_that_do_not_add_up_to_everyone_pass():
    some = {"namespaceSelector": {"matchLabels": {"team": "data"}}}
    apps = {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "portal"}}}
    private = {"ipBlock": {"cidr": "10.0.0.0/8"}}
    assert netpols(healthy_policies() + [policy("some", ingress=[{"from": [some, apps, private]}])]) == ("passed", "")


def test_netpol_named_port_and_port_range_reach_and_a_profile_opening_is_allowed():
    ranged = [p for p in healthy_policies() if p["metadata"]["name"] == "default-deny-ingress"
              or p["metadata"]["namespace"] != NS] + [
        policy("range", ingress=[{"from": [{"podSelector": {}}], "ports": [{"port": 8000, "endPort": 8100}]}]),
        policy("edge", selector={"matchLabels": {"app": "trino"}}, ingress=[{"ports": [{"port": "http"}]}])]
    opened = TRINO_ONLY.model_dump()
    opened["phase2"]["network_policies"]["open"] = [{"namespace": NS, "kind": "Deployment", "name": "trino",
                                                     "direction": "ingress",
                                                     "reason": "the edge proxy's upstream"}]
    owned = running("trino-1", {"app": "trino"}, owner={"kind": "Deployment", "name": "trino", "uid": "uid-trino"})
    assert netpols(ranged, [owned], type(PROFILE).model_validate(opened)) == ("passed", "")


# P2-RBAC --------------------------------------------------------------------------------------------------

ACCOUNTS = [{"metadata": {"namespace": n, "name": "default"}} for n in PROFILE.platform.namespaces] + [
    {"metadata": {"namespace": "monitoring", "name": "prometheus-operator"}},
    {"metadata": {"namespace": NS, "name": "superset"}}]
MASTERS = {"metadata": {"name": "cluster-admin"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
           "subjects": [{"kind": "Group", "name": "system:masters"}]}
OPERATOR = ("system:serviceaccount:monitoring:prometheus-operator", "get", "secrets", None)
HEALTHY_GRANTS = [("system:masters", "*", "*", None), OPERATOR,
                  ("system:serviceaccount:monitoring:prometheus-operator", "list", "secrets", None)]


SUPERSET = {"kind": "ServiceAccount", "name": "superset", "namespace": NS}


def binding_in(namespace: str, subject: dict) -> dict:
    return {"metadata": {"namespace": namespace, "name": "grant"}, "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [subject]}


def powers(grants=(), bindings=(), role_bindings=()):
    return run(rbac.test_no_subject_holds_powers_the_profile_does_not_allow, serviceaccounts=ACCOUNTS,
               clusterrolebindings=[MASTERS, *bindings], rolebindings=list(role_bindings),
               access=FakeAccess([*HEALTHY_GRANTS, *grants]))


def test_rbac_healthy_world_passes():
    assert powers() == ("passed", "")


@pytest.mark.row("P2-RBAC", "group-binding")
def test_rbac_secret_reads_through_the_namespace_group_fail():
    verdict, message = powers([("system:serviceaccounts:data-platform", "get", "secrets", NS)])
    assert verdict == "failed"
    assert "ServiceAccount data-platform/default: may read-secrets (get secrets in namespace data-platform)" in message
    assert "ServiceAccount data-platform/superset: may read-secrets" in message


@pytest.mark.row("P2-RBAC", "aggregated-admin")
def test_rbac_secrets_aggregated_into_a_role_fail():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "list", "secrets", NS),
                               ("system:serviceaccount:data-platform:superset", "update", "secrets", NS)])
    assert verdict == "failed" and "ServiceAccount data-platform/superset: may read-secrets (list secrets in " \
                                   "namespace data-platform)" in message and "may write-secrets" in message


@pytest.mark.row("P2-RBAC", "wildcard-verbs")
def test_rbac_every_verb_on_secrets_fails():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "*", "secrets", NS)])
    assert verdict == "failed" and "may write-secrets (create secrets in namespace data-platform; update secrets " \
                                   "in namespace data-platform; patch secrets in namespace data-platform)" in message


@pytest.mark.row("P2-RBAC", "escalate-bind")
def test_rbac_escalate_and_bind_fail():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "escalate", "roles", NS),
                               ("system:serviceaccount:data-platform:superset", "bind", "clusterroles", None)])
    assert verdict == "failed" and "ServiceAccount data-platform/superset: may escalate (escalate " \
                                   "roles.rbac.authorization.k8s.io in namespace data-platform)" in message
    assert "may bind (bind clusterroles.rbac.authorization.k8s.io in namespace data-platform)" in message


@pytest.mark.row("P2-RBAC", "impersonate")
def test_rbac_impersonation_fails():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "impersonate", "groups", None)])
    assert verdict == "failed" and "may impersonate (impersonate groups in every namespace)" in message


@pytest.mark.row("P2-RBAC", "exec-elsewhere")
def test_rbac_exec_in_another_namespace_fails():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "create", "pods/exec", "vault-prod")],
                              role_bindings=[binding_in("vault-prod", SUPERSET)])
    assert verdict == "failed" and "may exec (create pods/exec in namespace vault-prod)" in message


@pytest.mark.row("P2-RBAC", "authenticated-group")
def test_rbac_grant_to_every_authenticated_subject_fails():
    verdict, message = powers([("system:authenticated", "list", "secrets", None)])
    assert verdict == "failed" and "ServiceAccount vault-prod/default: may read-secrets-everywhere (list secrets " \
                                   "in every namespace)" in message


@pytest.mark.row("P2-RBAC", "unlisted-admin")
def test_rbac_admin_bound_to_an_account_that_does_not_exist_fails():
    binding = {"metadata": {"name": "oops"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
               "subjects": [{"kind": "ServiceAccount", "name": "ghost", "namespace": NS},
                            {"kind": "User", "name": "mallory"}]}
    verdict, message = powers([("system:serviceaccount:data-platform:ghost", "*", "*", None),
                               ("mallory", "*", "*", None)], bindings=[binding])
    assert verdict == "failed" and "ServiceAccount data-platform/ghost: may admin (* * in every namespace" in message
    assert "User mallory: may admin" in message and "may read-secrets" not in message.split("ghost")[1][:60]


@pytest.mark.row("P2-RBAC", "watch-secrets")
def test_rbac_watching_secrets_fails():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "watch", "secrets", None)])
    assert verdict == "failed" and "ServiceAccount data-platform/superset: may read-secrets-everywhere (watch " \
                                   "secrets in every namespace)" in message


@pytest.mark.row("P2-RBAC", "powers-elsewhere")
def test_rbac_powers_granted_in_a_namespace_outside_the_platform_fail():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "create", "pods", "kube-system")],
                              role_bindings=[binding_in("kube-system", SUPERSET)])
    assert verdict == "failed" and "may create-pods (create pods in namespace kube-system)" in message


@pytest.mark.row("P2-RBAC", "secrets-outside-platform")
def test_rbac_secret_reads_outside_the_platform_fail():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "list", "secrets", "argocd")],
                              role_bindings=[binding_in("argocd", SUPERSET)])
    assert verdict == "failed" and "may read-secrets-elsewhere (list secrets in namespace argocd)" in message


@pytest.mark.row("P2-RBAC", "enumerated-admin")
def test_rbac_every_verb_listed_one_by_one_fails():
    binding = {"metadata": {"name": "ops"}, "roleRef": {"kind": "ClusterRole", "name": "everything"},
               "subjects": [{"kind": "User", "name": "mallory"}]}
    verdict, message = powers([("mallory", "create", "*", None)], bindings=[binding])
    assert verdict == "failed" and "User mallory: may admin (create * in every namespace)" in message


@pytest.mark.row("P2-RBAC", "account-as-user")
def test_rbac_account_named_by_its_user_name_fails():
    subject = {"kind": "User", "name": "system:serviceaccount:data-platform:etl"}
    verdict, message = powers([("system:serviceaccount:data-platform:etl", "get", "secrets", NS)],
                              role_bindings=[binding_in(NS, subject)])
    assert verdict == "failed" and "ServiceAccount data-platform/etl: may read-secrets (get secrets in namespace " \
                                   "data-platform)" in message


@pytest.mark.row("P2-RBAC", "workload-creation")
def test_rbac_creating_workloads_fails():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "create", "cronjobs", NS)])
    assert verdict == "failed" and "may create-pods (create cronjobs.batch in namespace data-platform)" in message


@pytest.mark.row("P2-RBAC", "ephemeral-exec")
def test_rbac_adding_ephemeral_containers_fails():
    verdict, message = powers([("system:serviceaccount:data-platform:superset", "patch", "pods/ephemeralcontainers",
                                NS)])
    assert verdict == "failed" and "may exec (patch pods/ephemeralcontainers in namespace data-platform)" in message


def test_rbac_a_review_without_an_answer_or_forbidden_is_broken():
    from readiness.verdict import CouldNotLook

    class Forbidden:
        def create(self, path, body, what):
            raise CouldNotLook(what, f"POST {path}: HTTP 403 forbidden", "forbidden")
    denied = FakeAccess()
    denied.snapshot = Forbidden()
    assert run(rbac.test_no_subject_holds_powers_the_profile_does_not_allow, serviceaccounts=ACCOUNTS,
               clusterrolebindings=[MASTERS], access=denied)[0] == "broken"
    assert run(rbac.test_no_subject_holds_powers_the_profile_does_not_allow, serviceaccounts=ACCOUNTS,
               clusterrolebindings=[MASTERS], access=FakeAccess(answer={"kind": "Status"}))[0] == "broken"
    webhook_failed = {"status": {"allowed": False, "evaluationError": "policy data.k8s.authz not found"}}
    assert run(rbac.test_no_subject_holds_powers_the_profile_does_not_allow, serviceaccounts=ACCOUNTS,
               clusterrolebindings=[MASTERS], access=FakeAccess(answer=webhook_failed))[0] == "broken"


# P2-CERTIFICATES ------------------------------------------------------------------------------------------

def certificate(name: str, days_left: float = 80, issuer: dict | None = None, **status) -> dict:
    not_after = stamp(-days_left * 86400)
    return {"metadata": {"namespace": NS, "name": name, "generation": 1},
            "spec": {"secretName": name, "issuerRef": issuer or {"name": "letsencrypt-prod", "kind": "ClusterIssuer"}},
            "status": {"notAfter": not_after, "notBefore": stamp(86400),
                       "renewalTime": stamp(-(days_left - 30) * 86400),
                       "conditions": [{**cond("Ready", True), "observedGeneration": 1}], **status}}


def issuer_obj(name: str, namespace: str | None = None, ready: bool = True, generation: int = 1, **condition):
    meta = {"name": name, "generation": generation, **({"namespace": namespace} if namespace else {})}
    return {"metadata": meta, "status": {"conditions": [{**cond("Ready", ready), "observedGeneration": 1,
                                                         **condition}]}}


LETSENCRYPT = issuer_obj("letsencrypt-prod")


def certs(*changed, clusterissuers=(LETSENCRYPT,), issuers=()):
    fine = [certificate(f"c{i}") for i in range(PROFILE.phase2.certificates.minimum - len(changed))]
    return run(certificates.test_certificates_ready_and_not_expiring, certificates=fine + list(changed),
               clusterissuers=list(clusterissuers), issuers=list(issuers))


def test_certificates_healthy_world_passes():
    assert certs() == ("passed", "")


@pytest.mark.row("P2-CERTIFICATES", "ready-for-old-spec")
def test_certificate_ready_for_an_old_generation_fails():
    old = certificate("portal-tls")
    old["metadata"]["generation"] = 3
    verdict, message = certs(old)
    assert verdict == "failed" and "certificate data-platform/portal-tls: Ready is for generation 1, the spec is at " \
                                   "generation 3" in message


@pytest.mark.row("P2-CERTIFICATES", "renewal-stuck")
def test_certificate_renewal_overdue_fails():
    stuck = certificate("portal-tls", days_left=20, renewalTime=stamp(10 * 86400), lastFailureTime=stamp(600),
                        failedIssuanceAttempts=7)
    verdict, message = certs(stuck)
    assert verdict == "failed" and "certificate data-platform/portal-tls: renewal overdue since" in message \
        and "7 failed attempts" in message


@pytest.mark.row("P2-CERTIFICATES", "not-yet-valid")
def test_certificate_not_valid_yet_fails():
    verdict, message = certs(certificate("portal-tls", notBefore=stamp(-86400)))
    assert verdict == "failed" and "certificate data-platform/portal-tls: not valid before" in message


@pytest.mark.row("P2-CERTIFICATES", "expired-still-ready")
def test_certificate_expired_but_ready_fails():
    verdict, message = certs(certificate("portal-tls", days_left=-2))
    assert verdict == "failed" and "certificate data-platform/portal-tls: expires in -2.0 days" in message


@pytest.mark.row("P2-CERTIFICATES", "issuer-not-ready")
def test_certificates_ready_but_their_issuer_cannot_sign_fails():
    broken = issuer_obj("letsencrypt-prod", ready=False, reason="ErrGetKeyPair",
                        message="Error getting keypair for CA issuer: secrets \"platform-ca\" not found")
    verdict, message = certs(clusterissuers=[broken])
    assert verdict == "failed" and "certificate data-platform/c0: issuer ClusterIssuer/letsencrypt-prod Ready=False " \
                                   "(ErrGetKeyPair: Error getting keypair" in message and "it cannot renew" in message


@pytest.mark.row("P2-CERTIFICATES", "issuer-missing")
def test_certificate_naming_no_issuer_fails():
    verdict, message = certs(certificate("portal-tls", issuer={"name": "letsencrypt-staging", "kind": "ClusterIssuer"}))
    assert verdict == "failed" and message.endswith(
        "certificate data-platform/portal-tls: issuer ClusterIssuer/letsencrypt-staging not found")


@pytest.mark.row("P2-CERTIFICATES", "issuer-elsewhere")
def test_certificate_issuer_in_another_namespace_fails():
    # no kind: cert-manager reads it as an Issuer in the Certificate's own namespace
    elsewhere = issuer_obj("team-ca", namespace="cert-manager")
    verdict, message = certs(certificate("portal-tls", issuer={"name": "team-ca"}), issuers=[elsewhere])
    assert verdict == "failed" and "certificate data-platform/portal-tls: issuer Issuer data-platform/team-ca not " \
                                   "found" in message
    here = issuer_obj("team-ca", namespace=NS)
    assert certs(certificate("portal-tls", issuer={"name": "team-ca"}), issuers=[elsewhere, here]) == ("passed", "")


@pytest.mark.row("P2-CERTIFICATES", "issuer-ready-for-old-spec")
def test_issuer_ready_for_an_old_generation_fails():
    verdict, message = certs(clusterissuers=[issuer_obj("letsencrypt-prod", generation=2)])
    assert verdict == "failed" and "issuer ClusterIssuer/letsencrypt-prod Ready is for generation 1, its spec is at " \
                                   "generation 2" in message


@pytest.mark.row("P2-CERTIFICATES", "issuer-being-deleted")
def test_issuer_being_deleted_fails():
    leaving = issuer_obj("letsencrypt-prod")
    leaving["metadata"].update(deletionTimestamp=stamp(600), finalizers=["example.com/keep"])
    verdict, message = certs(clusterissuers=[leaving])
    assert verdict == "failed" and "issuer ClusterIssuer/letsencrypt-prod is being deleted" in message


@pytest.mark.row("P2-CERTIFICATES", "being-deleted")
def test_certificate_being_deleted_fails_and_does_not_count():
    leaving = certificate("portal-tls")
    leaving["metadata"].update(deletionTimestamp=stamp(3 * 86400), finalizers=["argocd.argoproj.io/finalizer"])
    verdict, message = certs(leaving)
    minimum = PROFILE.phase2.certificates.minimum
    assert verdict == "failed" and f"cluster: {minimum - 1} Certificates (not being deleted), expected at least " \
                                   f"{minimum}" in message \
        and "certificate data-platform/portal-tls: being deleted since" in message


@pytest.mark.row("P2-CERTIFICATES", "issuance-failing")
def test_certificate_whose_latest_issuance_failed_fails():
    failing = certificate("portal-tls", days_left=60, lastFailureTime=stamp(600), failedIssuanceAttempts=6)
    verdict, message = certs(failing)
    assert verdict == "failed" and message.endswith(
        "certificate data-platform/portal-tls: its latest issuance failed at " + stamp(600) + " (6 failed attempts)")


@pytest.mark.row("P2-CERTIFICATES", "renewal-disabled")
def test_certificate_with_renewal_disabled_fails():
    frozen = certificate("portal-tls")
    frozen["spec"]["renewal"] = {"policy": "Disabled"}
    del frozen["status"]["renewalTime"]
    verdict, message = certs(frozen)
    assert verdict == "failed" and "portal-tls: renewal disabled (spec.renewal.policy Disabled)" in message


@pytest.mark.row("P2-CERTIFICATES", "ready-without-generation")
def test_certificate_ready_without_observed_generation_fails():
    unknown = certificate("portal-tls")
    del unknown["status"]["conditions"][0]["observedGeneration"]
    verdict, message = certs(unknown)
    assert verdict == "failed" and "portal-tls: Ready is for generation unknown, the spec is at generation 1" in message


def test_certificate_issued_seconds_ahead_of_our_clock_passes():
    assert certs(certificate("portal-tls", notBefore=stamp(-5))) == ("passed", "")


def test_external_issuer_is_named_but_not_judged():
    external = certificate("portal-tls", issuer={"name": "pca", "kind": "AWSPCAClusterIssuer",
                                                 "group": "awspca.cert-manager.io"})
    assert certs(external) == ("passed", "")


def test_issuer_crds_missing_fails():
    world = {**empty_world(PROFILE), "snapshot": FakeSnapshot({"certificates": [certificate("c0")]},
                                                              not_served={"clusterissuers"})}
    verdict, message = run_check(certificates.test_certificates_ready_and_not_expiring, world)
    assert verdict == "failed" and "crd clusterissuers.cert-manager.io: not installed" in message


def served(result: dict):
    endpoint = PROFILE.phase2.certificates.served[0]
    return run(certificates.test_served_certificate_verifies_and_is_not_expiring, endpoint,
               tls=FakeTls({endpoint.host: result}))


def test_served_certificate_healthy_passes():
    assert served({"verified": True, "not_after": stamp(-60 * 86400).replace("Z", "+00:00")}) == ("passed", "")


@pytest.mark.row("P2-CERTIFICATES", "served-old-chain")
def test_served_old_chain_fails():
    verdict, message = served({"verified": True, "not_after": stamp(-3 * 86400).replace("Z", "+00:00")})
    assert verdict == "failed" and "served certificate portal.254carbon.com (127.0.0.1:18443): expires in" in message


@pytest.mark.row("P2-CERTIFICATES", "served-other-name")
def test_served_other_name_fails():
    verdict, message = served({"verified": False, "error": "Hostname mismatch, certificate is not valid for "
                                                           "'portal.254carbon.com'", "not_after": None})
    assert verdict == "failed" and "does not verify: Hostname mismatch" in message


@pytest.mark.row("P2-CERTIFICATES", "served-untrusted")
def test_served_self_signed_fails():
    verdict, message = served({"verified": False, "error": "self-signed certificate", "not_after": None})
    assert verdict == "failed" and "does not verify: self-signed certificate" in message


# P2-SECRETS-STORE -----------------------------------------------------------------------------------------

def vault(status: int, **body):
    fields = {"initialized": True, "sealed": False, "standby": status == 429, "version": "1.20.0",
              "server_time_utc": int(time.time()), **body}
    return run(secrets_store.test_secrets_store_initialized_unsealed_active, vault=FakeVault(status, fields))


def test_secrets_store_healthy_active_and_standby_pass():
    assert vault(200) == ("passed", "")
    assert vault(429, ha_connection_healthy=True) == ("passed", "")


@pytest.mark.row("P2-SECRETS-STORE", "standby-without-active")
def test_secrets_store_standby_without_active_fails():
    verdict, message = vault(429, ha_connection_healthy=False)
    assert verdict == "failed" and "standby without a healthy connection to an active node" in message


@pytest.mark.row("P2-SECRETS-STORE", "removed-from-cluster")
def test_secrets_store_removed_node_fails():
    verdict, message = vault(530, removed_from_cluster=True)
    assert verdict == "failed" and "removed from its cluster (HTTP 530" in message


@pytest.mark.row("P2-SECRETS-STORE", "sealed-answering-200")
def test_secrets_store_200_that_says_sealed_is_broken():
    verdict, message = vault(200, sealed=True)
    assert verdict == "broken" and "answered HTTP 200" in message and "sealed=True" in message


@pytest.mark.row("P2-SECRETS-STORE", "cached-answer")
def test_secrets_store_replayed_answer_is_broken():
    verdict, message = vault(200, server_time_utc=int(time.time()) - 7200)
    assert verdict == "broken" and "away from now (a cached answer" in message


@pytest.mark.row("P2-SECRETS-STORE", "not-vault")
def test_secrets_store_other_server_is_broken():
    verdict, message = run(secrets_store.test_secrets_store_initialized_unsealed_active,
                           vault=FakeVault(200, {"status": "ok"}))
    assert verdict == "broken" and "without Vault's health fields" in message


@pytest.mark.row("P2-SECRETS-STORE", "performance-standby")
def test_secrets_store_performance_standby_fails():
    verdict, message = vault(473)
    assert verdict == "failed" and "performance standby (reads only)" in message


# P2-POD-SECURITY ------------------------------------------------------------------------------------------

SAFE_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
SAFE_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def compliant(name: str = "trino-1", owner: dict | None = None, namespace: str = NS, **container_context) -> dict:
    p = running(name, {"app": name.rsplit("-", 1)[0]}, owner=owner, namespace=namespace)
    p["spec"]["securityContext"] = dict(SAFE_POD)
    p["spec"]["containers"][0]["securityContext"] = {**SAFE_CONTAINER, **container_context}
    return p


def labelled_namespaces(level: str = "restricted") -> list[dict]:
    return [{"metadata": {"name": n, "labels": {"pod-security.kubernetes.io/enforce": PROFILE.phase2.pod_security
                                                .namespace_levels.get(n, level)}}}
            for n in PROFILE.platform.namespaces]


def pod_security(*pods, profile=PROFILE, **objects):
    return run(pod_security_checks.test_every_pod_meets_the_level_and_namespaces_enforce_it, profile=profile,
               namespaces=labelled_namespaces(), pods=list(pods) or [compliant()], **objects)


def test_pod_security_healthy_world_passes():
    assert pod_security() == ("passed", "")


@pytest.mark.row("P2-POD-SECURITY", "job-pod")
def test_pod_security_privileged_root_job_pod_fails():
    job_pod = compliant("migrate-x1", owner={"kind": "Job", "name": "migrate", "uid": "j"}, privileged=True,
                        allowPrivilegeEscalation=True)
    job_pod["spec"]["securityContext"] = {"runAsUser": 0}
    job = {"kind": "Job", "metadata": {"namespace": NS, "name": "migrate", "uid": "j"}, "spec": {"template": {}}}
    verdict, message = pod_security(compliant(), job_pod, jobs=[job])
    assert verdict == "failed" and "Pod data-platform/migrate-x1 (of Job migrate): violates restricted: privileged " \
                                   "(container \"main\" must not set securityContext.privileged=true)" in message


@pytest.mark.row("P2-POD-SECURITY", "admitted-while-relaxed")
def test_pod_security_running_pod_fails_though_the_namespace_enforces_restricted():
    verdict, message = pod_security(compliant("trino-1", privileged=True, allowPrivilegeEscalation=True))
    assert verdict == "failed" and "Pod data-platform/trino-1: violates restricted: privileged" in message
    assert "namespace" not in message


@pytest.mark.row("P2-POD-SECURITY", "added-capability")
def test_pod_security_added_capability_fails():
    verdict, message = pod_security(compliant(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}))
    assert verdict == "failed" and "unrestricted capabilities (container \"main\" must not include \"SYS_ADMIN\" in " \
                                   "securityContext.capabilities.add)" in message


@pytest.mark.row("P2-POD-SECURITY", "privilege-escalation")
def test_pod_security_privilege_escalation_fails():
    unset = compliant()
    del unset["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"]
    verdict, message = pod_security(unset)
    assert verdict == "failed" and "allowPrivilegeEscalation != false (container \"main\" must set " \
                                   "securityContext.allowPrivilegeEscalation=false)" in message


@pytest.mark.row("P2-POD-SECURITY", "seccomp-unconfined")
def test_pod_security_unconfined_container_under_a_confined_pod_fails():
    verdict, message = pod_security(compliant(seccompProfile={"type": "Unconfined"}))
    assert verdict == "failed" and "seccompProfile (container \"main\" must not set securityContext.seccompProfile." \
                                   "type to \"Unconfined\")" in message


@pytest.mark.row("P2-POD-SECURITY", "host-port")
def test_pod_security_host_port_fails():
    exposed = compliant()
    exposed["spec"]["containers"][0]["ports"] = [{"containerPort": 9100, "hostPort": 9100}]
    verdict, message = pod_security(exposed)
    assert verdict == "failed" and "hostPort (container \"main\" uses hostPort 9100)" in message


@pytest.mark.row("P2-POD-SECURITY", "ephemeral-debug")
def test_pod_security_privileged_debug_container_fails():
    debugged = compliant(owner={"kind": "Deployment", "name": "trino", "uid": "uid-trino"})
    debugged["spec"]["ephemeralContainers"] = [{"name": "debugger-x", "image": IMAGE,
                                                "securityContext": {"privileged": True}}]
    verdict, message = pod_security(debugged, deployments=[deployment()])
    assert verdict == "failed" and "Pod data-platform/trino-1 (of Deployment trino): violates restricted: " \
                                   "privileged (container \"debugger-x\"" in message


@pytest.mark.row("P2-POD-SECURITY", "exemption-for-another-control")
def test_pod_security_waiver_of_host_path_does_not_cover_privileged():
    agent = compliant("promtail-a1", owner={"kind": "DaemonSet", "name": "promtail", "uid": "p"},
                      namespace="monitoring")
    agent["spec"]["volumes"] = [{"name": "pods", "hostPath": {"path": "/var/log/pods"}}]
    daemonset = {"kind": "DaemonSet", "metadata": {"namespace": "monitoring", "name": "promtail", "uid": "p"},
                 "spec": {"template": {"spec": {"containers": [], "volumes": agent["spec"]["volumes"]}}}}
    assert pod_security(compliant(), agent, daemonsets=[daemonset]) == ("passed", "")   # the waived control alone
    assert pod_security(compliant(), dict(agent, metadata={**agent["metadata"], "ownerReferences": [
        {"kind": "DaemonSet", "name": "promtail", "uid": "forged", "controller": True}]}),
        daemonsets=[daemonset])[0] == "failed"          # a forged owner reference is not the waived workload
    agent["spec"]["volumes"].append({"name": "share", "nfs": {}})
    agent["spec"]["containers"][0]["securityContext"]["privileged"] = True
    verdict, message = pod_security(compliant(), agent, daemonsets=[daemonset])
    assert verdict == "failed" and "Pod monitoring/promtail-a1 (of DaemonSet promtail): violates restricted: " \
                                   "privileged" in message and "restricted volume types" in message


@pytest.mark.row("P2-POD-SECURITY", "pinned-old-version")
def test_pod_security_namespace_pinned_to_an_old_version_fails():
    namespaces = labelled_namespaces()
    namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = "v1.0"
    verdict, message = run(pod_security_checks.test_every_pod_meets_the_level_and_namespaces_enforce_it,
                           namespaces=namespaces, pods=[compliant()])
    assert verdict == "failed" and "namespace data-platform: pod-security.kubernetes.io/enforce-version=v1.0: " \
                                   "admission applies the checks of that version" in message
    namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = "latest"
    assert run(pod_security_checks.test_every_pod_meets_the_level_and_namespaces_enforce_it,
               namespaces=namespaces, pods=[compliant()]) == ("passed", "")


@pytest.mark.row("P2-POD-SECURITY", "forged-owner")
def test_pod_security_forged_owner_reference_is_not_the_waived_workload():
    daemonset = {"kind": "DaemonSet", "metadata": {"namespace": "monitoring", "name": "promtail", "uid": "p"},
                 "spec": {"template": {"spec": {}}}}
    forged = compliant("promtail-x", owner={"kind": "DaemonSet", "name": "promtail", "uid": "not-p"},
                       namespace="monitoring")
    forged["spec"]["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    verdict, message = pod_security(forged, daemonsets=[daemonset])
    assert verdict == "failed" and "Pod monitoring/promtail-x: violates restricted: restricted volume types" in message


@pytest.mark.row("P2-POD-SECURITY", "replication-controller")
def test_pod_security_replication_controller_template_fails():
    rc = {"kind": "ReplicationController", "metadata": {"namespace": NS, "name": "legacy-etl"},
          "spec": {"replicas": 0, "template": {"spec": {"containers": [
              {"name": "etl", "image": IMAGE, "securityContext": {"privileged": True}}]}}}}
    verdict, message = pod_security(replicationcontrollers=[rc])
    assert verdict == "failed" and "ReplicationController data-platform/legacy-etl: violates restricted: " \
                                   "privileged" in message


@pytest.mark.row("P2-IMAGES", "replication-controller")
def test_images_replication_controller_template_fails():
    rc = {"kind": "ReplicationController", "metadata": {"namespace": NS, "name": "legacy-etl"},
          "spec": {"replicas": 0, "template": {"spec": {"containers": [{"name": "etl", "image": "python:latest"}]}}}}
    verdict, message = images(replicationcontrollers=[rc])
    assert verdict == "failed" and "ReplicationController data-platform/legacy-etl container etl: image " \
                                   "'python:latest': registry docker.io is not allowed; tag latest" in message


def test_images_history_that_will_not_run_again_and_an_upper_case_host_pass():
    old_rs = {"kind": "ReplicaSet", "metadata": {"namespace": NS, "name": "trino-5d9", "uid": "r", "ownerReferences": [
        {"kind": "Deployment", "name": "trino", "uid": "uid-trino", "controller": True}]},
        "spec": {"replicas": 0, "template": {"spec": {"containers": [{"name": "t",
                                                                      "image": "docker.io/trinodb/trino:440"}]}}}}
    cron = {"kind": "CronJob", "metadata": {"namespace": NS, "name": "report", "uid": "c"}, "spec": {"jobTemplate": {
        "spec": {"template": {"spec": {"containers": [{"name": "r", "image": IMAGE}]}}}}}}
    old_job = {"kind": "Job", "metadata": {"namespace": NS, "name": "report-1", "uid": "j"},
               "spec": {"template": {"spec": {"containers": [{"name": "r", "image": "python:latest"}]}}},
               "status": {"conditions": [cond("Complete", True)]}}
    done = running("report-1-x", {"job": "report"}, "python:latest", owner={"kind": "Job", "name": "report-1",
                                                                             "uid": "j"})
    done["status"]["phase"] = "Succeeded"
    assert images(replicasets=[old_rs], cronjobs=[cron], jobs=[old_job],
                  pods=[running("trino-1", {"app": "trino"}, "REGISTRY.LOCAL/254carbon/trino:1.0"), done]) \
        == ("passed", "")
