"""P3-PDB: disruption budgets protect the platform during maintenance without blocking it."""
from fixtures.kube import by_ref, selects
from readiness.criteria import criterion
from readiness.evidence import attach_json
from readiness.verdict import fail
from readiness.per_profile import per_profile


@criterion("P3-PDB", 3, "Pod disruption budgets active", severity="critical",
           requirement="Each PodDisruptionBudget of the profile exists, selects pods, is healthy (current healthy "
                       "at least desired healthy) and allows at least one disruption; a PDB that allows none "
                       "blocks every node drain.",
           next_step="Re-apply the PDB; if it allows no disruption, lower minAvailable (or raise maxUnavailable) "
                     "or add replicas.", profile_keys=("phase3.pdbs",))
@per_profile("pdb", "phase3.pdbs", "PodDisruptionBudgets")
def test_pdb_selects_pods_and_allows_a_disruption(snapshot, pdb):
    pdbs = by_ref(snapshot.items("pdbs"))
    obj = pdbs.get(pdb.ref)
    if obj is None:
        attach_json(f"PodDisruptionBudgets in {pdb.namespace}", sorted(r for r in pdbs if r.startswith(pdb.namespace + "/")))
        fail(f"{pdb.ref}: PodDisruptionBudget not found")
    status = obj.get("status", {})
    attach_json(f"{pdb.ref}", {"spec": obj["spec"], "status": status})
    selected = [p for p in snapshot.items("pods", [pdb.namespace])
                if selects(obj["spec"].get("selector"), p["metadata"].get("labels"))]
    problems = []
    if not selected:
        problems.append(f"{pdb.ref}: selector {obj['spec'].get('selector')} selects no pods")
    healthy, desired = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
    if healthy < desired:
        problems.append(f"{pdb.ref}: {healthy} healthy pods, needs {desired}")
    allowed = status.get("disruptionsAllowed", 0)
    if selected and allowed < 1:
        problems.append(f"{pdb.ref}: allows {allowed} disruptions (currentHealthy {healthy}, desiredHealthy "
                        f"{desired}): node drains would be blocked")
    fail(problems)
