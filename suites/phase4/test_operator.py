"""P4-OPERATOR: the Prometheus Operator's CRDs are installed and the operator is available."""
from fixtures.kube import by_ref, condition, is_true
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.ready import ready_replicas
from readiness.verdict import fail


@criterion("P4-OPERATOR", 4, "Prometheus Operator deployed", severity="critical",
           requirement="The profile's monitoring CRDs (ServiceMonitor, PodMonitor, PrometheusRule, Alertmanager) "
                       "are installed and Established, and the operator's Deployment is Available.",
           next_step="Install kube-prometheus-stack (helm) or the operator bundle; check the operator's logs.",
           profile_keys=("phase4.operator",))
def test_operator_crds_established_and_operator_available(snapshot, profile):
    spec = profile.phase4.operator
    crds = by_ref(snapshot.items("crds"))
    problems, rows = [], []
    for name in spec.crds:
        crd = crds.get(name)
        established = bool(crd) and is_true(crd, "Established")
        rows.append([name, bool(crd), established])
        if crd is None:
            problems.append(f"crd {name}: not installed")
        elif not established:
            problems.append(f"crd {name}: Established={(condition(crd, 'Established') or {}).get('status')}")
    deployment = by_ref(snapshot.items("deployments")).get(spec.deployment.ref)
    if deployment is None:
        problems.append(f"{spec.deployment.ref}: operator Deployment not found")
    else:
        ready = ready_replicas(deployment)
        available = condition(deployment, "Available") or {}
        rows.append([spec.deployment.ref, True, f"{ready} ready, Available={available.get('status')}"])
        if ready < 1 or available.get("status") != "True":
            problems.append(f"{spec.deployment.ref}: {ready} ready replicas, Available="
                            f"{available.get('status', 'missing')} ({available.get('reason', 'no reason')})")
    attach_table("operator", ["object", "present", "state"], rows)
    fail(problems)
