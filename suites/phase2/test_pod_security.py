"""P2-POD-SECURITY: every platform pod meets the Pod Security Standards level the profile names, as admission
would judge it today, and the namespaces enforce their level.

Admission judges a pod once, when it is created; a pod admitted before its namespace was labelled, while the
label was relaxed, or before a debug container was added, keeps running. So every pod and every template is
judged here with upstream's own checks (readiness/pod_security.py, proven against the real admission plugin by
tests/test_psa_oracle.py).

Adversarial table P2-POD-SECURITY:
- job-pod: a privileged, root pod of a Job (templates of Deployments, StatefulSets, DaemonSets only were read)
- admitted-while-relaxed: the namespace says enforce=restricted, but a pod admitted while it said privileged
  still runs privileged (admission never re-checks)
- added-capability: `capabilities.add: [SYS_ADMIN]`, with privileged, host namespaces and root all unset
- privilege-escalation: `allowPrivilegeEscalation: true` (or left unset) on a non-root container
- seccomp-unconfined: `seccompProfile: {type: Unconfined}` on one container while the pod sets RuntimeDefault
- host-port: a container port with `hostPort: 9100`
- ephemeral-debug: kubectl debug --profile=sysadmin added a privileged ephemeral container to a compliant pod
- exemption-for-another-control: the profile waives hostPathVolumes for the log agent, which also runs privileged
"""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.pod_security import evaluate, without_host_path
from readiness.verdict import fail, require_data
from suites.pod_sources import platform_pod_sources

ENFORCE = "pod-security.kubernetes.io/enforce"
STRICTNESS = {"privileged": 0, "baseline": 1, "restricted": 2}


@criterion("P2-POD-SECURITY", 2, "Pod security enforced", severity="critical",
           requirement="Every pod of the platform namespaces, whoever owns it and with its init and ephemeral "
                       "containers, and every workload, Job and CronJob template there meets the Pod Security "
                       "Standards level the profile names, judged with upstream's checks, except for the controls "
                       "the profile waives for a named workload with a reason; and each platform namespace enforces "
                       "Pod Security Admission at its level.",
           next_step="Set the named securityContext fields (runAsNonRoot, allowPrivilegeEscalation: false, "
                     "capabilities drop ALL, seccompProfile RuntimeDefault) on the workload and roll it, delete the "
                     "named pod if it is a leftover, label the namespace pod-security.kubernetes.io/enforce=LEVEL, "
                     "or waive one control for the workload in the profile with a reason.",
           profile_keys=("phase2.pod_security",))
def test_every_pod_meets_the_level_and_namespaces_enforce_it(snapshot, profile):
    spec = profile.phase2.pod_security
    namespaces = {n["metadata"]["name"]: n for n in snapshot.items("namespaces")}
    require_data(namespaces, "kubernetes namespaces", "GET /api/v1/namespaces")
    waived = {(e.namespace, e.name, e.control): e.reason for e in spec.exemptions}
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
    seen, reported = 0, set()
    for source in platform_pod_sources(snapshot, set(profile.platform.namespaces)):
        seen += 1
        found = evaluate(source.metadata, source.spec, spec.level)
        kept = [v for v in found if (source.namespace, source.workload_name, v.control) not in waived]
        if (source.namespace, source.workload_name, "hostPathVolumes") in waived and \
                not any(v.control == "restrictedVolumes" for v in evaluate(
                    source.metadata, without_host_path(source.spec), spec.level)):
            kept = [v for v in kept if v.control != "restrictedVolumes"]     # only its hostPath volumes were
        for v in found:
            reason = waived.get((source.namespace, source.workload_name, v.control))
            rows.append([source.shown, v.control, f"{v.reason} ({v.detail})", f"waived: {reason}" if reason
                         else "violation"])
        shown = "; ".join(f"{v.reason} ({v.detail})" if v.detail else v.reason for v in kept)
        if kept and (source.namespace, source.workload, shown) not in reported:
            reported.add((source.namespace, source.workload, shown))   # a template's pods repeat it: once
            problems.append(f"{source.shown}: violates {spec.level}: {shown}")
    require_data(seen, "platform pods and templates", "pods and workload templates in the platform namespaces")
    attach_table("pod security", ["object", "control", "seen", "verdict"], rows)
    fail(problems)
