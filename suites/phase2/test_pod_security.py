"""P2-POD-SECURITY: namespaces enforce Pod Security Admission, and no workload escapes it without a reason."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data
from suites.workloads import platform_pod_specs

ENFORCE = "pod-security.kubernetes.io/enforce"
STRICTNESS = {"privileged": 0, "baseline": 1, "restricted": 2}


def violations(pod_spec: dict) -> list[str]:
    """What in a pod spec breaks the baseline/restricted rules this criterion stands for."""
    found = [f"host{ns}" for ns in ("Network", "PID", "IPC") if pod_spec.get(f"host{ns}")]
    found += [f"hostPath volume {v['name']}" for v in pod_spec.get("volumes") or [] if "hostPath" in v]
    pod_ctx = pod_spec.get("securityContext") or {}
    for container in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
        ctx = container.get("securityContext") or {}
        name = container["name"]
        if ctx.get("privileged"):
            found.append(f"container {name} privileged")
        user = ctx.get("runAsUser", pod_ctx.get("runAsUser"))
        non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
        if user == 0:
            found.append(f"container {name} runs as root (runAsUser 0)")
        elif non_root is not True and user is None:
            found.append(f"container {name} may run as root (no runAsNonRoot or runAsUser)")
    return found


@criterion("P2-POD-SECURITY", 2, "Pod security enforced", severity="critical",
           requirement="Each platform namespace enforces Pod Security Admission at the profile's level (or its "
                       "namespace's own level), and no workload runs privileged, on the host's network, PID or IPC "
                       "namespace, with a hostPath volume or as root, unless the profile exempts it with a reason.",
           next_step="Label the namespace pod-security.kubernetes.io/enforce=LEVEL; set securityContext "
                     "(runAsNonRoot, no privileged) on the named containers, or exempt them in the profile with "
                     "a reason.", profile_keys=("phase2.pod_security",))
def test_namespaces_enforce_pod_security_and_workloads_comply(snapshot, profile):
    spec = profile.phase2.pod_security
    namespaces = {n["metadata"]["name"]: n for n in snapshot.items("namespaces")}
    require_data(namespaces, "kubernetes namespaces", "GET /api/v1/namespaces")
    exempt = {(e.namespace, e.name): e.reason for e in spec.exemptions}
    problems, rows = [], []
    for name in profile.platform.namespaces:
        wanted = spec.namespace_levels.get(name, spec.level)
        if name not in namespaces:
            problems.append(f"namespace {name}: not found")
            continue
        have = (namespaces[name]["metadata"].get("labels") or {}).get(ENFORCE)
        rows.append(["namespace", name, f"enforce={have or '-'}", f"expected {wanted}"])
        if STRICTNESS.get(have, -1) < STRICTNESS[wanted]:
            problems.append(f"namespace {name}: {ENFORCE}={have or 'unset'}, expected {wanted}")
    seen = 0
    for kind, namespace, name, pod_spec in platform_pod_specs(snapshot, set(profile.platform.namespaces)):
        seen += 1
        found = violations(pod_spec)
        if not found:
            continue
        reason = exempt.get((namespace, name))
        rows.append([kind, f"{namespace}/{name}", "; ".join(found), f"exempt: {reason}" if reason else "violation"])
        if not reason:
            problems.append(f"{kind} {namespace}/{name}: {'; '.join(found)}")
    require_data(seen, "platform workloads", "workloads in the platform namespaces")
    attach_table("pod security", ["kind", "object", "seen", "verdict"], rows)
    fail(problems)
