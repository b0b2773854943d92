"""P2-RBAC against the sandbox's real authorizer: each adversarial row built from real RBAC objects in a scratch
namespace must fail the check, and the namespace without them must pass. Groups, aggregation and wildcards
are then the API server's, not a recording of ours."""
from __future__ import annotations

import json
import time

import pytest
from kubernetes import config as kube_config

from fixtures.access import AccessReview
from fixtures.cache import SharedCache
from fixtures.kube import Snapshot
from readiness.profile import load_profile
from sandbox.run import kube
from suites.phase2.test_rbac import test_no_subject_holds_powers_the_profile_does_not_allow as rbac_check
from tests.fakes import empty_world, run_check
from tests.suite_runner import ROOT

NS = "rbac-table"
RBAC = "rbac.authorization.k8s.io"


def _role(kind: str, name: str, rules: list[dict], labels: dict | None = None) -> dict:
    meta = {"name": name, **({"namespace": NS} if kind == "Role" else {}), **({"labels": labels} if labels else {})}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, "rules": rules}


def _binding(kind: str, name: str, role_kind: str, role: str, subject: dict, namespace: str = NS) -> dict:
    meta = {"name": name, **({"namespace": namespace} if kind == "RoleBinding" else {})}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role}, "subjects": [subject]}


APP = {"kind": "ServiceAccount", "name": "app", "namespace": NS}
SECRETS = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]

# row -> (objects, text the failure must contain)
ROWS = {
    "group-binding": ([_role("Role", "t-reader", SECRETS),
                       _binding("RoleBinding", "t-reader", "Role", "t-reader",
                                {"kind": "Group", "apiGroup": RBAC, "name": f"system:serviceaccounts:{NS}"})],
                      f"ServiceAccount {NS}/default: may read-secrets (get secrets in namespace {NS}"),
    "aggregated-admin": ([dict(_role("ClusterRole", "t-aggregate", []), aggregationRule={"clusterRoleSelectors": [
                              {"matchLabels": {"t-aggregate": "true"}}]}),
                          _role("ClusterRole", "t-aggregated-secrets", SECRETS, {"t-aggregate": "true"}),
                          _binding("RoleBinding", "t-aggregate", "ClusterRole", "t-aggregate", APP)],
                         f"ServiceAccount {NS}/app: may read-secrets (get secrets in namespace {NS}"),
    "wildcard-verbs": ([_role("Role", "t-wild", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]),
                        _binding("RoleBinding", "t-wild", "Role", "t-wild", APP)],
                       f"ServiceAccount {NS}/app: may write-secrets (create secrets in namespace {NS}"),
    "escalate-bind": ([_role("Role", "t-escalate", [{"apiGroups": [RBAC], "resources": ["roles"],
                                                      "verbs": ["escalate", "bind"]}]),
                       _binding("RoleBinding", "t-escalate", "Role", "t-escalate", APP)],
                      f"ServiceAccount {NS}/app: may escalate (escalate roles.{RBAC} in namespace {NS})"),
    "impersonate": ([_role("ClusterRole", "t-impersonate", [{"apiGroups": [""], "resources": ["users", "groups"],
                                                             "verbs": ["impersonate"]}]),
                     _binding("ClusterRoleBinding", "t-impersonate", "ClusterRole", "t-impersonate", APP)],
                    f"ServiceAccount {NS}/app: may impersonate (impersonate users in every namespace"),
    "exec-elsewhere": ([_binding("RoleBinding", "t-exec", "ClusterRole", "edit", APP, namespace="kube-system")],
                       f"ServiceAccount {NS}/app: may read-secrets-elsewhere (get secrets in namespace kube-system"),
    "authenticated-group": ([_role("ClusterRole", "t-everyone", SECRETS),
                             _binding("ClusterRoleBinding", "t-everyone", "ClusterRole", "t-everyone",
                                      {"kind": "Group", "apiGroup": RBAC, "name": "system:authenticated"})],
                            f"ServiceAccount {NS}/app: may read-secrets-everywhere (get secrets in every namespace"),
    "unlisted-admin": ([_binding("ClusterRoleBinding", "t-admin", "ClusterRole", "cluster-admin",
                                 {"kind": "ServiceAccount", "name": "ghost", "namespace": NS})],
                       f"ServiceAccount {NS}/ghost: may admin (* * in every namespace"),
    "watch-secrets": ([_role("ClusterRole", "t-watch", [{"apiGroups": [""], "resources": ["secrets"],
                                                         "verbs": ["watch"]}]),
                       _binding("ClusterRoleBinding", "t-watch", "ClusterRole", "t-watch", APP)],
                      f"ServiceAccount {NS}/app: may read-secrets-everywhere (watch secrets in every namespace)"),
    "powers-elsewhere": ([_role("ClusterRole", "t-tokens", [{"apiGroups": [""], "resources": ["serviceaccounts/token"],
                                                             "verbs": ["create"]}]),
                          _binding("RoleBinding", "t-tokens", "ClusterRole", "t-tokens", APP, namespace="kube-system")],
                         f"ServiceAccount {NS}/app: may create-tokens (create serviceaccounts/token in namespace "
                         "kube-system)"),
    "secrets-outside-platform": ([_binding("RoleBinding", "t-argocd", "ClusterRole", "t-reader-cluster", APP,
                                           namespace="argocd"), _role("ClusterRole", "t-reader-cluster", SECRETS)],
                                 f"ServiceAccount {NS}/app: may read-secrets-elsewhere (get secrets in namespace "
                                 "argocd"),
    "enumerated-admin": ([_role("ClusterRole", "t-every-verb", [{"apiGroups": ["*"], "resources": ["*"], "verbs": [
                              "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]}]),
                          _binding("ClusterRoleBinding", "t-every-verb", "ClusterRole", "t-every-verb",
                                   {"kind": "User", "apiGroup": RBAC, "name": "mallory"})],
                         "User mallory: may admin (create * in every namespace)"),
    "account-as-user": ([_role("Role", "t-as-user", SECRETS),
                         _binding("RoleBinding", "t-as-user", "Role", "t-as-user",
                                  {"kind": "User", "apiGroup": RBAC, "name": f"system:serviceaccount:{NS}:etl"})],
                        f"ServiceAccount {NS}/etl: may read-secrets (get secrets in namespace {NS}"),
    "workload-creation": ([_role("Role", "t-deployer", [{"apiGroups": ["apps"], "resources": ["deployments"],
                                                         "verbs": ["create"]}]),
                           _binding("RoleBinding", "t-deployer", "Role", "t-deployer", APP)],
                          f"ServiceAccount {NS}/app: may create-pods (create deployments.apps in namespace {NS})"),
    "ephemeral-exec": ([_role("Role", "t-debug", [{"apiGroups": [""], "resources": ["pods/ephemeralcontainers"],
                                                   "verbs": ["patch"]}]),
                        _binding("RoleBinding", "t-debug", "Role", "t-debug", APP)],
                       f"ServiceAccount {NS}/app: may exec (patch pods/ephemeralcontainers in namespace {NS})"),
}


def _kubectl(layout, *args: str, stdin: str | None = None) -> str:
    return kube.kubectl(layout, *args, stdin=stdin).stdout


@pytest.fixture(scope="module")
def live(sandbox):
    _kubectl(sandbox, "create", "namespace", NS)
    _kubectl(sandbox, "-n", NS, "create", "serviceaccount", "app")
    api = kube_config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    snapshot = Snapshot(api, SharedCache(), api.configuration.host)
    profile = load_profile(ROOT / "profiles" / "sandbox.yaml")
    profile = profile.model_copy(update={"platform": profile.platform.model_copy(update={"namespaces": [NS]})})
    yield sandbox, profile, snapshot
    _kubectl(sandbox, "delete", "namespace", NS, "--timeout=90s")   # gone before a next run creates it
    _kubectl(sandbox, "delete", "clusterrole,clusterrolebinding", "-l", "rbac-table=1", "--ignore-not-found")


def _verdict(layout, profile, snapshot) -> tuple[str, str]:
    fresh = Snapshot(snapshot.api, SharedCache(), snapshot.server)      # no cached lists between rows
    return run_check(rbac_check, {**empty_world(profile), "snapshot": fresh, "access": AccessReview(fresh)})


def test_scratch_namespace_without_grants_passes(live):
    layout, profile, snapshot = live
    assert _verdict(layout, profile, snapshot) == ("passed", "")


@pytest.mark.parametrize("row", sorted(ROWS))
def test_row_fails_on_the_real_authorizer(live, row):
    layout, profile, snapshot = live
    labelled = [dict(o, metadata={**o["metadata"], "labels": {**o["metadata"].get("labels", {}), "rbac-table": "1"}})
                for o in ROWS[row][0]]
    _kubectl(layout, "apply", "-f", "-", stdin="\n".join(json.dumps(o) for o in labelled))
    try:        # the controller manager fills an aggregated role a moment after it is created
        deadline = time.monotonic() + 15
        while (found := _verdict(layout, profile, snapshot))[0] == "passed" and time.monotonic() < deadline:
            time.sleep(0.5)
        verdict, message = found
    finally:
        _kubectl(layout, "delete", "-f", "-", "--ignore-not-found", stdin="\n".join(json.dumps(o) for o in labelled))
    assert verdict == "failed", f"{row}: {verdict} {message}"
    assert ROWS[row][1] in message, f"{row}: {message}"
