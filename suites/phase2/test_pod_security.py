"""P2-POD-SECURITY: every platform pod meets the Pod Security Standards level the profile names, as admission
would judge it today, and the namespaces enforce their level.

Admission judges a pod once, when it is created; a pod admitted before its namespace was labelled, while the
label was relaxed, or before a debug container was added, keeps running. So every pod and every template is
judged here with upstream's own checks (readiness/pod_security.py, proven against the real admission plugin by
tests/live/test_psa_oracle.py).

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
- pinned-old-version: the namespace enforces restricted, but at `enforce-version: v1.0`, whose checks admit added
  capabilities and privilege escalation
- forged-owner: a pod whose owner reference names the waived DaemonSet, with another UID (anyone can write one)
- replication-controller: a ReplicationController scaled to zero whose template runs privileged
"""
import re

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.pod_security import NEWEST_CHECKS, evaluate, without_host_path
from readiness.verdict import fail, require_data
from suites.pod_sources import platform_pod_sources

ENFORCE = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION = f"{ENFORCE}-version"
STRICTNESS = {"privileged": 0, "baseline": 1, "restricted": 2}


def _older_version(label: str | None) -> str | None:
    """The pinned version when it is older than the newest checks (an unparsable one admission reads as latest)."""
    match = re.fullmatch(r"v(\d+)\.(\d+)", label or "")
    return label if match and (int(match[1]), int(match[2])) < NEWEST_CHECKS else None


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
    waived = {(e.namespace, f"{e.kind} {e.name}", e.control): e.reason for e in spec.exemptions}
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
        pinned = _older_version((namespaces[name]["metadata"].get("labels") or {}).get(ENFORCE_VERSION))
        if pinned:
            problems.append(f"namespace {name}: {ENFORCE_VERSION}={pinned}: admission applies the checks of that "
                            f"version, older than the newest (v{NEWEST_CHECKS[0]}.{NEWEST_CHECKS[1]}); expected latest")
    seen, reported = 0, set()
    for source in platform_pod_sources(snapshot, set(profile.platform.namespaces)):
        seen += 1
        found = evaluate(source.metadata, source.spec, spec.level)
        kept = [v for v in found if (source.namespace, source.workload, v.control) not in waived]
        if (source.namespace, source.workload, "hostPathVolumes") in waived and \
                not any(v.control == "restrictedVolumes" for v in evaluate(
                    source.metadata, without_host_path(source.spec), spec.level)):
            kept = [v for v in kept if v.control != "restrictedVolumes"]     # only its hostPath volumes were
        for v in found:
            reason = waived.get((source.namespace, source.workload, v.control))
            rows.append([source.shown, v.control, f"{v.reason} ({v.detail})", f"waived: {reason}" if reason
                         else "violation"])
        shown = "; ".join(f"{v.reason} ({v.detail})" if v.detail else v.reason for v in kept)
        if kept and (source.namespace, source.workload, shown) not in reported:
            reported.add((source.namespace, source.workload, shown))   # a template's pods repeat it: once
            problems.append(f"{source.shown}: violates {spec.level}: {shown}")
    require_data(seen, "platform pods and templates", "pods and workload templates in the platform namespaces")
    attach_table("pod security", ["object", "control", "seen", "verdict"], rows)
    fail(problems)
