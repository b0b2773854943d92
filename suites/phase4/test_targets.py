"""P4-TARGETS: enough scrape targets are up, and every target of the required jobs."""
from collections import Counter

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data


@criterion("P4-TARGETS", 4, "Metrics targets scraped", severity="critical",
           requirement="Prometheus has at least the profile's minimum of active targets up, and every "
                       "target of the profile's required jobs is up; down targets are listed with their last "
                       "scrape error.",
           next_step="Open Prometheus /targets; fix the endpoint named in the last error (network policy, "
                     "TLS, auth, a stopped exporter).", needs=("prometheus",), profile_keys=("phase4.targets",))
def test_enough_targets_up_and_required_jobs_healthy(prometheus, profile):
    spec = profile.phase4.targets
    targets = prometheus.active_targets()
    require_data(targets, "prometheus active targets", "/api/v1/targets")
    up = [t for t in targets if t["health"] == "up"]
    per_job = Counter(t["labels"].get("job") for t in targets)
    up_per_job = Counter(t["labels"].get("job") for t in up)
    attach_table("targets per job", ["job", "active", "up"],
                 [[job, per_job[job], up_per_job[job]] for job in sorted(per_job)])
    problems = []
    if len(up) < spec.minimum_up:
        problems.append(f"prometheus: {len(up)} targets up of {len(targets)} active, expected at least "
                        f"{spec.minimum_up}")
    for job in spec.required_jobs:
        if per_job[job] == 0:
            problems.append(f"job {job}: no active targets")
    for t in targets:
        job = t["labels"].get("job")
        if job in spec.required_jobs and t["health"] != "up":
            seen = ("never scraped, one scrape interval after it was found" if t["health"] == "unknown"
                    else t.get("lastError") or "no error reported")
            problems.append(f"job {job} target {t['labels'].get('instance')}: {t['health']} ({seen})")
    fail(problems)
