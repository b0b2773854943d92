"""P2-NETPOL: every platform namespace denies ingress by default, and every workload has an allowing policy."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.ready import selects
from readiness.verdict import fail, require_data
from suites.workloads import find_workload


def is_default_deny_ingress(policy: dict) -> bool:
    spec = policy.get("spec") or {}
    types = spec.get("policyTypes") or ["Ingress"]      # without policyTypes, Ingress always applies
    return not (spec.get("podSelector") or {}) and "Ingress" in types and not spec.get("ingress")


def declared_ports(workload: dict) -> set:
    """The ports a workload declares: numbers and names of its containers' ports."""
    found = set()
    for container in workload["spec"]["template"]["spec"].get("containers") or []:
        for port in container.get("ports") or []:
            found |= {port.get("containerPort"), port.get("name")} - {None}
    return found


def allows_ingress(policy: dict, ports: set) -> bool:
    """Whether a rule of the policy lets traffic in to one of ``ports`` (a rule without ports allows all)."""
    for rule in (policy.get("spec") or {}).get("ingress") or []:
        allowed = {p.get("port") for p in rule.get("ports") or []}
        if not rule.get("ports") or not ports or allowed & ports or None in allowed:
            return True
    return False


def policy_selects(policy: dict, labels: dict) -> bool:
    selector = (policy.get("spec") or {}).get("podSelector")
    return selects(selector, labels)


def pod_labels(workload: dict) -> dict:
    return ((workload["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}


@criterion("P2-NETPOL", 2, "Network policies isolate the platform", severity="critical",
           requirement="Every platform namespace has a default-deny ingress NetworkPolicy (empty pod selector, no "
                       "ingress rule), and every workload of the profile is selected by a policy that allows "
                       "ingress to one of the ports its containers declare.",
           next_step="Apply a default-deny-ingress policy to the namespace, then policies that allow each "
                     "workload's declared callers (namespace and pod selectors, ports).",
           profile_keys=("platform.namespaces", "platform.workloads"))
def test_default_deny_and_allowing_policy_per_workload(snapshot, profile):
    policies = snapshot.items("networkpolicies")
    by_namespace: dict[str, list[dict]] = {}
    for policy in policies:
        by_namespace.setdefault(policy["metadata"]["namespace"], []).append(policy)
    namespaces = {n["metadata"]["name"] for n in snapshot.items("namespaces")}
    require_data(namespaces, "kubernetes namespaces", "GET /api/v1/namespaces")
    problems, rows = [], []
    for namespace in profile.platform.namespaces:
        deny = [p["metadata"]["name"] for p in by_namespace.get(namespace, []) if is_default_deny_ingress(p)]
        rows.append(["namespace", namespace, ", ".join(deny) or "-"])
        if namespace not in namespaces:
            problems.append(f"namespace {namespace}: not found")
        elif not deny:
            problems.append(f"namespace {namespace}: no default-deny ingress NetworkPolicy "
                            f"({len(by_namespace.get(namespace, []))} policies, none with an empty pod selector and "
                            "no ingress rule)")
    for workload in profile.platform.workloads:
        obj = find_workload(snapshot, workload)
        if obj is None:
            problems.append(f"{workload.kind} {workload.ref}: not found")
            continue
        labels, ports = pod_labels(obj), declared_ports(obj)
        allowing = [p["metadata"]["name"] for p in by_namespace.get(workload.namespace, [])
                    if policy_selects(p, labels) and allows_ingress(p, ports)]
        rows.append(["workload", workload.ref, ", ".join(allowing) or "-"])
        if not allowing:
            problems.append(f"{workload.kind} {workload.ref}: no NetworkPolicy allows ingress to its declared ports "
                            f"({', '.join(map(str, sorted(ports, key=str))) or 'none'}), so it cannot be reached")
    attach_table("network policies", ["kind", "object", "policies"], rows)
    fail(problems)
