"""P3-NODE-FAILURE's PDB rule: a failure violates a PodDisruptionBudget it pushes below its desired healthy pods;
one already short before the failure (its pods scaled to zero, say) only when it loses a healthy pod more."""
from suites.phase3.test_node_failure import healthy_counts, pdb_violations


def pdb(name: str, healthy: int, desired: int, namespace: str = "data-platform") -> dict:
    return {"metadata": {"namespace": namespace, "name": name},
            "status": {"currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": healthy}}


def test_a_pdb_the_failure_pushes_below_its_desired_pods_is_violated():
    before = healthy_counts([pdb("trino-pdb", 2, 1)])
    assert pdb_violations([pdb("trino-pdb", 0, 1)], before) == ["data-platform/trino-pdb 0/1 healthy"]


def test_a_pdb_short_before_the_failure_is_not_violated_by_it():
    scaled_to_zero = pdb("datahub-pdb", 0, 1, "restore-test-1")
    assert pdb_violations([scaled_to_zero], healthy_counts([scaled_to_zero])) == []


def test_a_pdb_short_before_that_loses_one_more_pod_is_violated():
    assert pdb_violations([pdb("kafka-pdb", 1, 3)], healthy_counts([pdb("kafka-pdb", 2, 3)])) == \
        ["data-platform/kafka-pdb 1/3 healthy"]


def test_a_pdb_made_during_the_failure_is_judged_by_its_desired_pods():
    assert pdb_violations([pdb("new-pdb", 0, 1)], {}) == ["data-platform/new-pdb 0/1 healthy"]


def test_a_pdb_without_status_is_left_to_the_disruption_controller():
    assert pdb_violations([{"metadata": {"namespace": "a", "name": "b"}}], {}) == []
