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
- watch-secrets: only `watch` on secrets, which streams every secret's contents as much as `list` does
- powers-elsewhere: a RoleBinding in kube-system lets a platform account create pods and tokens there
- secrets-outside-platform: a RoleBinding in a namespace outside the platform lets an account read its secrets
- enumerated-admin: a role listing every verb one by one on every resource (no `*` verb) bound to a user
- account-as-user: a RoleBinding names the account by its user name (kind User,
  system:serviceaccount:NS:NAME) before the account exists
- workload-creation: `create deployments` (or jobs, cronjobs, ...) runs pods as any account of the namespace
- ephemeral-exec: `patch pods/ephemeralcontainers` is exec by another name
"""
from fixtures.access import Action, Who
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data

RBAC_GROUP = "rbac.authorization.k8s.io"
READ, WRITE = ("get", "list", "watch"), ("create", "update", "patch")   # list and watch reveal contents too
# Either grant makes its holder an administrator: a request for "*" matches only a rule's "*", so a role that
# lists every verb one by one is caught by "create" (Kubernetes' own garbage collector and namespace controller
# may update or delete everything, never create).
ADMIN = [Action(verb, "*", "*") for verb in ("*", "create")]
IMPERSONATE_ANYONE = [Action("impersonate", r) for r in ("users", "groups")]   # system:masters is one call away
# Creating any of these runs a pod, with any secret of its namespace mounted and as any of its accounts.
POD_MAKERS = [("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "statefulsets"),
              ("apps", "daemonsets"), ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs")]


def account_questions(namespace: str, where: list[str]) -> dict[str, list[Action]]:
    """power -> the actions that each grant it, for an account of ``namespace``, asked in ``where``: its own
    namespace and every namespace where a RoleBinding could name it (a namespaced question also counts
    cluster-wide grants). The gravest power first: findings are listed in this order."""
    def each(build) -> list[Action]:
        return [action for n in where for action in build(n)]
    return {
        "admin": ADMIN,
        "read-secrets-everywhere": [Action(v, "secrets") for v in READ],
        "impersonate": IMPERSONATE_ANYONE + each(lambda n: [Action("impersonate", "serviceaccounts", namespace=n)]),
        "escalate": each(lambda n: [Action("escalate", r, RBAC_GROUP, namespace=n) for r in ("roles", "clusterroles")]),
        "bind": each(lambda n: [Action("bind", r, RBAC_GROUP, namespace=n) for r in ("roles", "clusterroles")]),
        "read-secrets-elsewhere": [Action(v, "secrets", namespace=n) for n in where if n != namespace for v in READ],
        "create-tokens": each(lambda n: [Action("create", "serviceaccounts", subresource="token", namespace=n)]),
        "exec": [Action("get", "nodes", subresource="proxy")] + each(lambda n: [
            Action("create", "pods", subresource="exec", namespace=n),
            Action("create", "pods", subresource="attach", namespace=n),
            Action("patch", "pods", subresource="ephemeralcontainers", namespace=n)]),
        "create-pods": each(lambda n: [Action("create", r, g, namespace=n) for g, r in POD_MAKERS]),
        "write-secrets": each(lambda n: [Action(v, "secrets", namespace=n) for v in WRITE]),
        "read-secrets": [Action(v, "secrets", namespace=namespace) for v in READ],
    }


POWER_ORDER = list(account_questions("", [""]))
SERVICE_ACCOUNT_USER = "system:serviceaccount:"


def _could_name(subject: dict, binding_namespace: str, account: tuple[str, str]) -> bool:
    """Whether a RoleBinding's subject may stand for the account: itself, its user name, or one of its groups."""
    namespace, name = account
    kind, subject_name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return (subject.get("namespace") or binding_namespace, subject_name) == account
    if kind == "User":
        return subject_name == f"{SERVICE_ACCOUNT_USER}{namespace}:{name}"
    return subject_name in Who.service_account(namespace, name).groups


def _subjects(snapshot, platform: list[str]):
    """The platform's service accounts (existing, or only named by a binding, as a ServiceAccount or by its user
    name: RBAC grants by name) with the namespaces to ask about, and every other subject any binding names."""
    accounts = {(a["metadata"]["namespace"], a["metadata"]["name"])
                for a in snapshot.items("serviceaccounts", platform)}
    cluster_bindings = snapshot.items("clusterrolebindings")
    require_data(cluster_bindings, "kubernetes clusterrolebindings", f"GET /apis/{RBAC_GROUP}/v1/clusterrolebindings")
    role_bindings = snapshot.items("rolebindings")
    others = set()
    for binding in cluster_bindings + role_bindings:
        for subject in binding.get("subjects") or []:
            kind, name = subject.get("kind"), subject.get("name") or ""
            namespace = subject.get("namespace") or binding["metadata"].get("namespace")
            if kind == "User" and name.startswith(SERVICE_ACCOUNT_USER) and name.count(":") == 3:
                kind, (namespace, name) = "ServiceAccount", name[len(SERVICE_ACCOUNT_USER):].split(":")
            if kind == "ServiceAccount" and namespace in platform:
                accounts.add((namespace, name))
            else:
                others.add((kind, name, namespace if kind == "ServiceAccount" else None))
    where = {account: [account[0], *sorted({b["metadata"]["namespace"] for b in role_bindings
                                            if b["metadata"]["namespace"] != account[0]
                                            and any(_could_name(s, b["metadata"]["namespace"], account)
                                                    for s in b.get("subjects") or [])})]
             for account in accounts}
    return where, others


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
    for (namespace, name), where in sorted(accounts.items()):
        for power, actions in account_questions(namespace, where).items():
            asked += [(f"ServiceAccount {namespace}/{name}", Who.service_account(namespace, name), power, a)
                      for a in actions]
    for kind, name, namespace in sorted(others, key=str):
        if (kind, name, namespace) not in admins:
            shown, who = f"{kind} {namespace + '/' if namespace else ''}{name}", _who(kind, name, namespace)
            asked += [(shown, who, "admin", a) for a in ADMIN] + [(shown, who, "impersonate", a)
                                                                  for a in IMPERSONATE_ANYONE]
    answers = access.allowed([(who, action) for _, who, _, action in asked])
    granted: dict[tuple[str, str], list[str]] = {}
    for (shown, _, power, action), yes in zip(asked, answers):
        if yes:
            granted.setdefault((shown, power), []).append(str(action))
    problems, rows = [], []
    for (shown, power), actions in sorted(granted.items(), key=lambda kv: (POWER_ORDER.index(kv[0][1]), kv[0][0])):
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
