"""P3-NODE-FAILURE and P3-DRAIN: the platform rides out a failed worker, and every worker can be drained.

Disruptive: collected only with --allow-chaos on a context the profile allows; the node is always put back.
"""
import datetime as dt
import random
import time

from suites.phase3.steady import (disruptable_workers, nodes_of_workloads, ready_pods_off, require_steady_state,
                          steady_state, stuck_pods)
from fixtures.kube import is_true, ref as ref_of
from fixtures.live import poll
from readiness.criteria import criterion
from readiness.evidence import attach_json, attach_table
from readiness.verdict import fail


def ranked(live, workers: list[str], profile) -> list[str]:
    """Workers by how much their loss tests: first those holding every replica of a critical service, then by
    the number of critical services they host (pods found by each workload's own selector and owner)."""
    nodes_of = nodes_of_workloads(live, profile, profile.platform.critical)
    counts = {w: sum(w in nodes for nodes in nodes_of.values()) for w in workers}
    sole = {next(iter(n)) for n in nodes_of.values() if len(n) == 1}
    return sorted(workers, key=lambda w: (w in sole, counts[w], w), reverse=True)


def _riskiest(live, workers: list[str], profile) -> str:
    return ranked(live, workers, profile)[0]


def drain_plan(order: list[str], limit: int | None, day: dt.date) -> list[str]:
    """Which workers P3-DRAIN drains: all of them, or the riskiest half of ``limit`` and a sample of the others
    drawn afresh each day."""
    if limit is None or limit >= len(order):
        return list(order)
    risky = order[:(limit + 1) // 2]
    rest = order[len(risky):]
    return risky + sorted(random.Random(day.isoformat()).sample(rest, limit - len(risky)))


def healthy_counts(pdbs: list[dict]) -> dict[str, int]:
    return {ref_of(p): (p.get("status") or {}).get("currentHealthy", 0) for p in pdbs}


def pdb_violations(pdbs: list[dict], before: dict[str, int]) -> list[str]:
    """PodDisruptionBudgets the failure pushed below their desired healthy pods. One already short before it (a
    PDB whose pods are scaled to zero, say) is violated only when it loses a healthy pod more: the failure did not
    make it short."""
    found = []
    for pdb in pdbs:
        status = pdb.get("status")
        if not status:
            continue
        name = ref_of(pdb)
        healthy, desired = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
        if healthy < min(desired, before.get(name, desired)):
            found.append(f"{name} {healthy}/{desired} healthy")
    return found


@criterion("P3-NODE-FAILURE", 3, "Node failure test passed", severity="blocker", disruptive=True,
           requirement="With one worker failed, every critical service keeps at least one ready replica on the "
                       "other nodes throughout, the displaced pods are running again elsewhere within the "
                       "profile's deadline, the failure pushes no PodDisruptionBudget below its desired healthy pods "
                       "(one already short before it, below the count it had), and the node is put back.",
           next_step="Spread replicas (anti-affinity), add replicas, lower tolerationSeconds for unreachable "
                     "nodes, and check that the scheduler has room on the remaining nodes.",
           profile_keys=("phase3.node_failure", "chaos"))
def test_platform_survives_a_failed_worker(node_chaos, profile):
    spec = profile.phase3.node_failure
    live = node_chaos.live
    require_steady_state(live, profile)
    node = _riskiest(live, disruptable_workers(live, profile), profile)
    critical = {w.ref for w in profile.platform.critical}
    samples, outages, violations = [], {}, []
    pdbs = live.pdbs()
    before, short_before = healthy_counts(pdbs), pdb_violations(pdbs, {})
    started = time.monotonic()
    with node_chaos.fail(node):
        def recovered():
            seen = ready_pods_off(live, profile, failed_node=node)
            elapsed = round(time.monotonic() - started, 1)
            samples.append({"t": elapsed, **{ref: f"{r}/{d}" for ref, (r, d) in seen.items()}})
            for ref in critical:
                if seen[ref][0] < 1:
                    outages.setdefault(ref, elapsed)
            for pdb in pdb_violations(live.pdbs(), before):
                violations.append(f"{pdb} at {elapsed}s")
            if outages:     # the criterion is already not met: end the window, restore the node
                return True, f"outage of {', '.join(sorted(outages))}"
            short = [f"{ref} {r}/{d}" for ref, (r, d) in seen.items() if r < d]
            return not short, f"not yet running elsewhere: {', '.join(short)}" if short else "all recovered"
        stuck: list[str] = []
        try:
            recovery_s, _ = poll(f"workloads displaced from {node} running elsewhere", recovered,
                                 spec.recovery_deadline_s, spec.sample_interval_s)
            recovery_s = None if outages else recovery_s
        except TimeoutError as exc:
            recovery_s, timeout = None, str(exc)
            short = {ref for ref, (r, d) in ready_pods_off(live, profile, failed_node=node).items() if r < d}
            stuck = stuck_pods(live, profile, short, failed_node=node)
    restored_s = time.monotonic() - started
    try:    # the platform must also settle back once the node returns, not only survive the failure
        settle_s, after = poll("steady state after the node returned", lambda: steady_state(live, profile),
                               spec.recovery_deadline_s, spec.sample_interval_s)
        after_ok = True
    except TimeoutError as exc:
        settle_s, after, after_ok = None, str(exc), False
    attach_table(f"ready replicas off {node} (sampled every {spec.sample_interval_s}s)",
                 ["t (s)", *sorted(critical)], [[s["t"], *[s[r] for r in sorted(critical)]] for s in samples])
    attach_json("node failure", {"node": node, "time_to_recover_s": recovery_s,
                                 "node_restored_after_s": round(restored_s, 1), "steady_state_after": after,
                                 "settled_after_restore_s": settle_s,
                                 "pdbs_short_before_the_failure": short_before})
    problems = [f"service {ref}: no ready replica off {node} at {t}s" for ref, t in sorted(outages.items())]
    problems += [f"pdb {v}" for v in sorted(set(violations))]
    if recovery_s is None and not outages:
        problems.append(f"node {node} failed: {timeout}")
        problems += stuck
    if not after_ok:
        problems.append(f"platform: not back in steady state within {spec.recovery_deadline_s}s after {node} "
                        f"returned ({after})")
    fail(problems, f"failing worker {node}")


@criterion("P3-DRAIN", 3, "Workers drain without violating PDBs", severity="critical", disruptive=True,
           requirement="Each worker can be cordoned and drained through the Eviction API within the profile's "
                       "deadline without violating a PodDisruptionBudget (a PDB that allows no disruption is "
                       "named as the blocker), and is uncordoned afterwards.",
           next_step="Relax the named PDB (minAvailable below the replica count) or add replicas; check pods "
                     "without controllers.", profile_keys=("phase3.node_failure", "chaos"))
def test_every_worker_drains_within_deadline(node_chaos, profile):
    spec = profile.phase3.node_failure
    live = node_chaos.live
    require_steady_state(live, profile)
    problems, rows = [], []
    workers = ranked(live, disruptable_workers(live, profile), profile)
    plan = drain_plan(workers, spec.max_drains, dt.date.today())
    attach_table(f"drain plan (phase3.node_failure.max_drains={spec.max_drains})", ["worker", "in plan"],
                 [[w, w in plan] for w in workers])
    for node in plan:
        poll("steady state between drains", lambda: steady_state(live, profile), spec.recovery_deadline_s, 1)
        with node_chaos.cordon(node):
            report = node_chaos.drain(node, spec.drain_deadline_s)
        rows.append([node, len(report.evicted), len(report.blocked), round(report.seconds, 1)])
        problems += [f"node {node}: pod {pod} not evicted: {why}" for pod, why in sorted(report.blocked.items())]
        node_after = live.node(node)
        if node_after["spec"].get("unschedulable") or not is_true(node_after, "Ready"):
            problems.append(f"node {node}: not schedulable and Ready after the drain")
        if problems:
            break       # one blocked node is enough to name the blocker; do not drain the others too
    attach_table("drains", ["node", "evicted", "blocked", "seconds"], rows)
    fail(problems)
