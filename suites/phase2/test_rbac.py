"""P2-RBAC: least privilege, asked of the API server's authorizer (SubjectAccessReview) for every subject.

Adversarial table P2-RBAC:
- group-binding: a RoleBinding gives a secret-reading Role to the group system:serviceaccounts:data-platform,
  which holds every account of the namespace, default included; no subject is literally named default
- aggregated-admin: a ClusterRole carrying the aggregate-to-admin label adds secrets to `admin`, bound long ago
  to a workload's account
- wildcard-verbs: a Role with `verbs: ["*"]` on `secrets` (not on every resource) in a platform namespace
- escalate-bind: a Role allowing `escalate` and `bind` on roles: the account can grant itself anything
- impersonate: a ClusterRole allowing `impersonate` on users and groups (`system:masters` is one call away)
- exec-elsewhere: a RoleBinding in another platform namespace lets an account `create pods/exec` there
- authenticated-group: a ClusterRoleBinding to system:authenticated grants secret reads to every account
- unlisted-admin: cluster-admin bound to a service account that does not exist yet (RBAC grants by name)
"""
from fixtures.access import Action, Who
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data

RBAC_GROUP = "rbac.authorization.k8s.io"


def questions(namespace: str, platform: list[str]) -> dict[str, list[Action]]:
    """power -> the actions that each grant it, for an account of ``namespace`` (a namespaced question also
    counts cluster-wide grants)."""
    elsewhere = [n for n in [*platform, "kube-system"] if n != namespace]
    return {            # the gravest first: findings are listed in this order
        "admin": [Action("*", "*", "*")],
        "read-secrets-everywhere": [Action(v, "secrets") for v in ("get", "list")],
        "impersonate": [Action("impersonate", r, namespace=namespace) for r in ("users", "groups", "serviceaccounts")],
        "escalate": [Action("escalate", r, RBAC_GROUP, namespace=namespace) for r in ("roles", "clusterroles")],
        "bind": [Action("bind", r, RBAC_GROUP, namespace=namespace) for r in ("roles", "clusterroles")],
        "read-secrets-elsewhere": [Action(v, "secrets", namespace=n) for n in elsewhere for v in ("get", "list")],
        "create-tokens": [Action("create", "serviceaccounts", subresource="token", namespace=namespace)],
        "exec": [Action("create", "pods", subresource="exec", namespace=n) for n in platform],
        "create-pods": [Action("create", "pods", namespace=namespace)],
        "write-secrets": [Action(v, "secrets", namespace=namespace) for v in ("create", "update", "patch")],
        "read-secrets": [Action(v, "secrets", namespace=namespace) for v in ("get", "list")],
    }


def _subjects(snapshot, platform: list[str]) -> tuple[set[tuple[str, str]], set[tuple[str, str, str | None]]]:
    """The platform's service accounts (existing or only named by a binding: RBAC grants by name), and every
    other subject any binding names (kind, name, namespace)."""
    accounts = {(a["metadata"]["namespace"], a["metadata"]["name"]) for a in snapshot.items("serviceaccounts", platform)}
    cluster_bindings = snapshot.items("clusterrolebindings")
    require_data(cluster_bindings, "kubernetes clusterrolebindings", f"GET /apis/{RBAC_GROUP}/v1/clusterrolebindings")
    others = set()
    for binding in cluster_bindings + snapshot.items("rolebindings"):
        for subject in binding.get("subjects") or []:
            kind, name = subject.get("kind"), subject.get("name")
            namespace = subject.get("namespace") or binding["metadata"].get("namespace")
            if kind == "ServiceAccount" and namespace in platform:
                accounts.add((namespace, name))
            else:
                others.add((kind, name, namespace if kind == "ServiceAccount" else None))
    return accounts, others


def _who(kind: str, name: str, namespace: str | None) -> Who:
    if kind == "ServiceAccount":
        return Who.service_account(namespace, name)
    return Who(None, (name,)) if kind == "Group" else Who(name, ("system:authenticated",))


@criterion("P2-RBAC", 2, "Least-privilege access", severity="critical",
           requirement="Asked of the API server's authorizer: no subject outside the profile's list may do every "
                       "verb on every resource; and no service account of the platform namespaces (existing, or "
                       "named by a binding) may read secrets in every or another namespace, read or write its own "
                       "namespace's secrets, exec into pods, create pods, escalate or bind roles, impersonate, or "
                       "create tokens, unless the profile allows that account that power with a reason; a "
                       "namespace's default account may do none of them.",
           next_step="kubectl auth can-i --list --as=system:serviceaccount:NS:NAME shows what the account may do; "
                     "find the binding with kubectl get rolebinding,clusterrolebinding -A -o wide (groups such as "
                     "system:serviceaccounts:NS count) and narrow its role, or give the workload its own account.",
           profile_keys=("phase2.rbac",))
def test_no_subject_holds_powers_the_profile_does_not_allow(snapshot, access, profile):
    spec, platform = profile.phase2.rbac, list(profile.platform.namespaces)
    admins = {(s.kind, s.name, s.namespace) for s in spec.admin_subjects}
    allowed = {(p.namespace, p.name, power): p.reason for p in spec.allowed for power in p.may}
    accounts, others = _subjects(snapshot, platform)
    require_data(accounts, "platform service accounts", f"service accounts in {', '.join(platform)}")
    asked: list[tuple[str, Who, str, Action]] = []       # (subject shown, who, power, action)
    for namespace, name in sorted(accounts):
        for power, actions in questions(namespace, platform).items():
            asked += [(f"ServiceAccount {namespace}/{name}", Who.service_account(namespace, name), power, a)
                      for a in actions]
    for kind, name, namespace in sorted(others, key=str):
        if (kind, name, namespace) not in admins:
            asked.append((f"{kind} {namespace + '/' if namespace else ''}{name}", _who(kind, name, namespace),
                          "admin", Action("*", "*", "*")))
    answers = access.allowed([(who, action) for _, who, _, action in asked])
    granted: dict[tuple[str, str], list[str]] = {}
    for (shown, _, power, action), yes in zip(asked, answers):
        if yes:
            granted.setdefault((shown, power), []).append(str(action))
    problems, rows = [], []
    order = list(questions("", platform))
    for (shown, power), actions in sorted(granted.items(), key=lambda kv: (order.index(kv[0][1]), kv[0][0])):
        namespace, _, name = shown.removeprefix("ServiceAccount ").partition("/")
        reason = allowed.get((namespace, name, power)) if shown.startswith("ServiceAccount ") else None
        if (shown, "admin") in granted and power != "admin":
            continue        # an admin may do everything: that one finding says it
        rows.append([shown, power, "; ".join(actions), f"allowed: {reason}" if reason else "not allowed"])
        if not reason:
            problems.append(f"{shown}: may {power} ({'; '.join(actions[:3])}"
                            f"{f' and {len(actions) - 3} more' if len(actions) > 3 else ''}), which the profile does "
                            "not allow it")
    rows.append(["(asked)", f"{len(asked)} reviews", f"{len(accounts)} platform accounts, {len(others)} other "
                 "subjects", ""])
    attach_table("powers granted", ["subject", "power", "actions the authorizer allowed", "verdict"], rows)
    fail(problems)
