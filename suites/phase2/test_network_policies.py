"""P2-NETPOL: every platform pod is isolated by NetworkPolicy, open to everyone nowhere, and still reachable.

Adversarial table P2-NETPOL:
- allow-all-beside-deny: a default-deny policy and an allow-all one (`podSelector: {}`, `ingress: [{}]`) in the
  same namespace: policies add up, so every pod is open
- rule-without-from: an ingress rule with ports but no `from` opens those ports to every source
- every-namespace-peer: a peer `namespaceSelector: {}` lets in every pod of every namespace
- internet-ipblock: a peer `ipBlock: {cidr: 0.0.0.0/0}` lets in every address
- unselected-pod: the default-deny policy's podSelector matches some labels only: a pod without them is not
  isolated at all
- egress-only-deny: the namespace's only policy has `policyTypes: [Egress]`, so ingress is not isolated
- host-network-pod: a pod on the host network, which NetworkPolicy does not govern
- unreachable-workload: isolated, but no rule reaches any port its containers declare (the service is cut off)
- every-namespace-by-expression: `namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name,
  operator: Exists}]}` is not empty, yet selects every namespace (the control plane labels each one)
- halves-added-up: two policies allow 0.0.0.0/1 and 128.0.0.0/1; or two peers select the pods with and without
  a label: no peer alone is everyone, together they are
"""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.netpol import is_default_deny, openings, reaches, selecting
from readiness.verdict import fail, require_data
from suites.pod_sources import first_of_each_finding, platform_pod_sources
from suites.workloads import find_workload

def _declared_ports(pod_spec: dict) -> list[dict]:
    return [port for c in pod_spec.get("containers") or [] for port in c.get("ports") or []]


def _isolation_findings(policies: list[dict], pod: dict, direction: str) -> tuple[list[str], str]:
    """What is wrong with one direction of one pod, and the policies that select it (for the evidence)."""
    chosen = selecting(policies, pod, direction)
    names = ", ".join(p["metadata"]["name"] for p in chosen) or "-"
    if not chosen:
        return [f"not isolated for {direction.lower()}: no NetworkPolicy selects it with policy type {direction}, so "
                "all traffic is allowed"], names
    return [f"{direction.lower()} open to everyone ({opening})" for opening in openings(chosen, direction)], names


@criterion("P2-NETPOL", 2, "Network policies isolate the platform", severity="critical",
           requirement="Every platform namespace has a default-deny ingress NetworkPolicy; every running pod of the "
                       "platform namespaces is isolated for ingress (and egress where the profile asks) with, all "
                       "policies selecting it added up, no rule open to every source (a rule without peers, an "
                       "empty namespaceSelector, an ipBlock of every address) unless the profile names that "
                       "workload with a reason; and every workload of the profile is still reachable on a port its "
                       "containers declare.",
           next_step="Apply a default-deny-ingress policy to the namespace; replace the named open rule with peers "
                     "that name the real callers (namespace and pod selectors, ports); or list the workload under "
                     "phase2.network_policies.open with the reason.",
           profile_keys=("platform.namespaces", "platform.workloads", "phase2.network_policies"))
def test_every_pod_isolated_open_nowhere_and_reachable(snapshot, profile):
    spec = profile.phase2.network_policies
    policies = [p for p in snapshot.items("networkpolicies")
                if p["metadata"].get("namespace") in profile.platform.namespaces]
    namespaces = {n["metadata"]["name"] for n in snapshot.items("namespaces")}
    require_data(namespaces, "kubernetes namespaces", "GET /api/v1/namespaces")
    problems, rows = [], []
    for namespace in profile.platform.namespaces:
        deny = [p["metadata"]["name"] for p in policies
                if p["metadata"].get("namespace") == namespace and is_default_deny(p, "Ingress")]
        rows.append(["namespace", namespace, "default deny: " + (", ".join(deny) or "-"), ""])
        if namespace not in namespaces:
            problems.append(f"namespace {namespace}: not found")
        elif not deny:
            problems.append(f"namespace {namespace}: no default-deny ingress NetworkPolicy (none selects every pod "
                            "with policy type Ingress and no ingress rule)")
    directions = ["Ingress"] + (["Egress"] if spec.egress else [])
    allowed_open = {(o.namespace, f"{o.kind} {o.name}", o.direction): o.reason for o in spec.open}
    found, pods = [], 0
    for source in platform_pod_sources(snapshot, set(profile.platform.namespaces)):
        if source.kind != "Pod":
            continue
        pods += 1
        pod = {"metadata": source.metadata}
        for direction in directions:
            reason = allowed_open.get((source.namespace, source.workload, direction.lower()))
            if source.spec.get("hostNetwork"):
                findings, names = [f"on the host network: no NetworkPolicy governs its {direction.lower()}"], "-"
            else:
                findings, names = _isolation_findings(policies, pod, direction)
            rows.append([source.shown, direction, names, "; ".join(findings) or "isolated"])
            found += [] if reason else [(source, finding) for finding in findings]
    require_data(pods, "platform pods", f"running pods in {', '.join(profile.platform.namespaces)}")
    problems += [f"{source.shown}: {finding}" for source, finding in first_of_each_finding(found)]
    for workload in profile.platform.workloads:
        obj = find_workload(snapshot, workload)
        if obj is None:
            problems.append(f"{workload.kind} {workload.ref}: not found")
            continue
        template = obj["spec"]["template"]
        chosen = selecting(policies, {"metadata": {**(template.get("metadata") or {}),
                                                   "namespace": workload.namespace}}, "Ingress")
        ports = _declared_ports(template.get("spec") or {})
        if chosen and not reaches(chosen, ports):
            shown = ", ".join(str(p.get("name") or p.get("containerPort")) for p in ports) or "none declared"
            problems.append(f"{workload.kind} {workload.ref}: no NetworkPolicy allows ingress to a port its "
                            f"containers declare ({shown}), so it cannot be reached")
    attach_table("network policies", ["object", "direction", "selecting policies", "verdict"], rows)
    fail(problems)
