"""P5-DB-BACKUP: each database backup CronJob runs, and its last Job succeeded recently."""
from fixtures.kube import by_ref, condition
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.per_profile import per_profile
from readiness.timing import age_s, shown
from readiness.verdict import fail


def jobs_of(cronjob: dict, jobs: list[dict]) -> list[dict]:
    uid = cronjob["metadata"].get("uid")
    return [j for j in jobs if j["metadata"].get("namespace") == cronjob["metadata"]["namespace"] and any(
        o.get("kind") == "CronJob" and (o.get("uid") == uid or o.get("name") == cronjob["metadata"]["name"])
        for o in j["metadata"].get("ownerReferences") or [])]


def finished(job: dict) -> tuple[str, str] | None:
    """("Complete"|"Failed", when) for a finished Job, None while it runs."""
    for kind in ("Complete", "Failed"):
        cond = condition(job, kind) or {}
        if cond.get("status") == "True":
            return kind, (job.get("status") or {}).get("completionTime") or cond.get("lastTransitionTime")
    return None


@criterion("P5-DB-BACKUP", 5, "Database backups running", severity="critical",
           requirement="Each database backup CronJob of the profile is not suspended, its last finished Job did "
                       "not fail, and its last successful Job finished within the profile's window.",
           next_step="kubectl -n NAMESPACE get jobs and kubectl logs job/NAME: a failed Job's reason names the "
                     "deadline, the image or the credentials; kubectl patch cronjob NAME -p "
                     "'{\"spec\":{\"suspend\":false}}' resumes a suspended one.",
           profile_keys=("phase5.db_backups", "phase5.db_backup_max_age_s"))
@per_profile("backup", "phase5.db_backups", "database backup CronJobs")
def test_database_backup_cronjob_succeeds_recently(snapshot, profile, backup):
    cronjob = by_ref(snapshot.items("cronjobs")).get(backup.ref)
    if cronjob is None:
        fail(f"cronjob {backup.ref}: not found")
    problems, rows = [], []
    if cronjob["spec"].get("suspend"):
        problems.append(f"cronjob {backup.ref}: suspended")
    runs = sorted(((finished(j), j) for j in jobs_of(cronjob, snapshot.items("jobs")) if finished(j)),
                  key=lambda pair: pair[0][1] or "")
    for (state, when), job in runs:
        rows.append([job["metadata"]["name"], state, when, (condition(job, "Failed") or {}).get("reason", "")])
    if runs and runs[-1][0][0] == "Failed":
        job = runs[-1][1]
        why = condition(job, "Failed") or {}
        problems.append(f"cronjob {backup.ref}: last Job {job['metadata']['name']} failed "
                        f"({why.get('reason', 'no reason')}: {why.get('message', '')})")
    successes = [when for (state, when), _ in runs if state == "Complete"]
    window = profile.phase5.db_backup_max_age_s
    age = age_s(successes[-1]) if successes else None
    if age is None:
        problems.append(f"cronjob {backup.ref}: no successful Job on record "
                        f"(last scheduled {cronjob.get('status', {}).get('lastScheduleTime', 'never')})")
    elif age > window:
        problems.append(f"cronjob {backup.ref}: last successful Job {shown(age)} ago, expected within {shown(window)}")
    attach_table(f"jobs of {backup.ref}", ["job", "result", "finished", "reason"], rows)
    fail(problems)
