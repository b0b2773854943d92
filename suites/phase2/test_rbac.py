"""P2-RBAC: cluster-wide admin rights only for the subjects the profile names, and idle default accounts."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data


def is_admin_role(role: dict) -> bool:
    """cluster-admin, or any role that grants every verb on every resource."""
    if role["metadata"]["name"] == "cluster-admin":
        return True
    return any("*" in (rule.get("verbs") or []) and "*" in (rule.get("resources") or [])
               and "*" in (rule.get("apiGroups") or []) for rule in role.get("rules") or [])


def subject_ref(subject: dict) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f"ServiceAccount {subject.get('namespace', '?')}/{subject['name']}"
    return f"{subject.get('kind')} {subject['name']}"


@criterion("P2-RBAC", 2, "Least-privilege access", severity="critical",
           requirement="No ClusterRoleBinding or RoleBinding grants cluster-admin, or a role allowing every verb "
                       "on every resource, to a subject outside the profile's list, and the default service "
                       "accounts of the platform namespaces are bound to no role at all.",
           next_step="kubectl get clusterrolebinding,rolebinding -A -o wide: delete the named binding or replace "
                     "it with a role limited to what the subject needs; use a dedicated service account instead "
                     "of default.", profile_keys=("phase2.rbac",))
def test_admin_bindings_allowed_and_default_accounts_unbound(snapshot, profile):
    allowed = {(s.kind, s.name, s.namespace) for s in profile.phase2.rbac.admin_subjects}
    cluster_roles = {r["metadata"]["name"]: r for r in snapshot.items("clusterroles")}
    require_data(cluster_roles, "kubernetes clusterroles", "GET /apis/rbac.authorization.k8s.io/v1/clusterroles")
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in snapshot.items("roles")}
    platform = set(profile.platform.namespaces)
    cluster_bindings = snapshot.items("clusterrolebindings")
    require_data(cluster_bindings, "kubernetes clusterrolebindings",
                 "GET /apis/rbac.authorization.k8s.io/v1/clusterrolebindings")
    bindings = [("ClusterRoleBinding", b) for b in cluster_bindings] + \
               [("RoleBinding", b) for b in snapshot.items("rolebindings")]
    problems, rows = [], []
    for kind, binding in bindings:
        meta, role_ref = binding["metadata"], binding["roleRef"]
        namespace = meta.get("namespace")
        role = cluster_roles.get(role_ref["name"]) if role_ref["kind"] == "ClusterRole" else \
            roles.get((namespace, role_ref["name"]))
        admin = role is not None and is_admin_role(role)
        where = f"{kind} {namespace + '/' if namespace else ''}{meta['name']}"
        for subject in binding.get("subjects") or []:
            key = (subject.get("kind"), subject.get("name"), subject.get("namespace"))
            is_default_sa = subject.get("kind") == "ServiceAccount" and subject.get("name") == "default" \
                and subject.get("namespace", namespace) in platform
            if admin:
                rows.append([where, role_ref["name"], subject_ref(subject), "allowed" if key in allowed else "no"])
                if key not in allowed:
                    problems.append(f"{where}: grants {role_ref['name']} (every verb on every resource) to "
                                    f"{subject_ref(subject)}, which the profile does not allow")
            if is_default_sa:
                problems.append(f"{where}: binds {role_ref['kind']} {role_ref['name']} to the default service "
                                f"account of {subject.get('namespace', namespace)}")
    attach_table("admin bindings", ["binding", "role", "subject", "allowed"], rows)
    fail(problems)
