"""P5-DB-BACKUP: each database backup CronJob runs, and its newest Job fully succeeded recently.

Read as batch/v1 defines them (k8s.io/api/batch/v1/types.go):
- a CronJob's Jobs are those it controls: an ownerReference to its UID (a Job of an earlier CronJob of the same
  name, left behind by an orphaning delete, proves nothing about this one);
- ``spec.suspend`` stops new runs; a ``jobTemplate`` with ``suspend: true`` makes every Job wait, never run;
- a Job is finished when its Complete or Failed condition is True (never both). Complete is a full success only
  when ``status.succeeded`` reaches ``spec.completions`` (unset: one; ``0`` makes the Job Complete at once with no
  pod run, which is no backup), no index failed
  (``status.failedIndexes``), and, for a Job running several pods toward one success (``completions`` unset,
  ``parallelism`` above one), no pod failed: there Complete means "one pod succeeded", and a failed pod is a
  database not dumped. A one-pod Job that failed and was retried within its backoffLimit is a success.
  ``successPolicy`` declares an Indexed Job Complete before all indexes succeed; that is a partial backup.
- ``status.completionTime`` is written when, and only when, a Job succeeds; ``status.lastSuccessfulTime`` of the
  CronJob says when some Job last completed, not that it backed everything up, so it is shown, never trusted;
  ``successfulJobsHistoryLimit: 0`` keeps no successful Job, so no backup can be verified.

Adversarial table P5-DB-BACKUP:
- suspended-cronjob: spec.suspend true: no backup runs, while the last Job still looks good
- suspended-job-template: jobTemplate.spec.suspend true: every Job is created suspended and never runs
- newest-job-failed: lastSuccessfulTime is fresh from an older run, but the newest Job failed (DeadlineExceeded)
- last-successful-time-only: lastSuccessfulTime fresh, but no Job of it is on record to show what succeeded
- job-of-earlier-cronjob: the only fresh Complete Job belongs to an earlier CronJob of the same name (other UID)
- job-of-another-cronjob: the only fresh Complete Job belongs to another CronJob in the namespace
- success-policy-partial: an Indexed Job declared Complete by its successPolicy with 1 of 3 databases dumped
- work-queue-partial: parallelism 3 without completions: Complete after one pod succeeded, two failed
- failed-indexes: Complete with status.failedIndexes "1" (backoffLimitPerIndex): one database not dumped
- completion-in-future: a Complete Job whose completionTime lies a day ahead, which no controller writes
- zero-completions: jobTemplate completions 0: every Job is Complete at once, fresh, with no pod ever run
"""
from fixtures.kube import by_ref, condition
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.per_profile import per_profile
from readiness.timing import age_s, shown
from readiness.verdict import fail
from suites.phase5.velero import CLOCK_SKEW_S


def jobs_of(cronjob: dict, jobs: list[dict]) -> list[dict]:
    """The Jobs this CronJob controls, by its UID (by name only for an object recorded without one)."""
    meta = cronjob["metadata"]
    return [j for j in jobs if j["metadata"].get("namespace") == meta["namespace"] and any(
        o.get("kind") == "CronJob" and o.get("controller") is True
        and (o.get("uid") == meta["uid"] if meta.get("uid") else o.get("name") == meta["name"])
        for o in j["metadata"].get("ownerReferences") or [])]


def _true(job: dict, kind: str) -> dict | None:
    cond = condition(job, kind) or {}
    return cond if cond.get("status") == "True" else None


def partial(job: dict) -> str | None:
    """Why a Complete Job did not do all its work (None when it did)."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    succeeded, failed = int(status.get("succeeded") or 0), int(status.get("failed") or 0)
    if status.get("failedIndexes"):
        return f"indexes {status['failedIndexes']} failed"
    if completions is not None and completions < 1:
        return f"spec.completions {completions}: Complete at once with {succeeded} pods succeeded, no backup ran"
    if succeeded < (1 if completions is None else completions):
        how = " by its successPolicy" if spec.get("successPolicy") else ""
        return f"declared Complete{how} with {succeeded} of {completions or 1} completions"
    if completions is None and (parallelism or 1) > 1 and failed:
        return f"{failed} of its {parallelism} parallel pods failed; Complete only means one succeeded"
    return None


def outcome(job: dict) -> tuple[str, str | None, str] | None:
    """(result, when, why) of a finished Job: result success, partial or failed; None while it runs."""
    complete, failed = _true(job, "Complete"), _true(job, "Failed")
    if complete and failed:
        return "failed", failed.get("lastTransitionTime"), "both Complete and Failed, which a Job never is"
    if failed:
        return "failed", failed.get("lastTransitionTime"), f"{failed.get('reason', 'no reason')}: " \
                                                           f"{failed.get('message', '')}"
    if not complete:
        return None
    when = (job.get("status") or {}).get("completionTime")
    age = age_s(when)
    if age is None:
        return "partial", complete.get("lastTransitionTime"), "Complete without status.completionTime"
    if age < -CLOCK_SKEW_S:
        return "partial", when, f"status.completionTime {when} is {shown(-age)} in the future"
    why = partial(job)
    return ("partial", when, why) if why else ("success", when, "")


@criterion("P5-DB-BACKUP", 5, "Database backups running", severity="critical",
           requirement="Each database backup CronJob of the profile is not suspended (nor its Job template), its "
                       "newest finished Job fully succeeded (every completion, no failed index or parallel pod), "
                       "and its newest fully successful Job finished within the profile's window.",
           next_step="kubectl -n NAMESPACE get jobs and kubectl logs job/NAME: a failed Job's reason names the "
                     "deadline, the image or the credentials; kubectl patch cronjob NAME -p "
                     "'{\"spec\":{\"suspend\":false}}' resumes a suspended one.",
           profile_keys=("phase5.db_backups", "phase5.db_backup_max_age_s"))
@per_profile("backup", "phase5.db_backups", "database backup CronJobs")
def test_database_backup_cronjob_succeeds_recently(snapshot, profile, backup):
    cronjob = by_ref(snapshot.items("cronjobs")).get(backup.ref)
    if cronjob is None:
        fail(f"cronjob {backup.ref}: not found")
    spec, status = cronjob.get("spec") or {}, cronjob.get("status") or {}
    problems, rows = [], []
    if spec.get("suspend"):
        problems.append(f"cronjob {backup.ref}: suspended")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if job_spec.get("suspend"):
        problems.append(f"cronjob {backup.ref}: its jobTemplate is suspended, so every Job it creates waits and "
                        "never runs")
    if job_spec.get("completions") is not None and job_spec["completions"] < 1:
        problems.append(f"cronjob {backup.ref}: its jobTemplate has completions {job_spec['completions']}, so every "
                        "Job it creates is Complete without running a pod")
    runs = sorted(((outcome(j), j) for j in jobs_of(cronjob, snapshot.items("jobs")) if outcome(j)),
                  key=lambda pair: pair[1]["metadata"].get("creationTimestamp") or "")
    for (result, when, why), job in runs:
        rows.append([job["metadata"]["name"], job["metadata"].get("creationTimestamp"), result, when, why])
    if runs and runs[-1][0][0] != "success":
        (result, _, why), job = runs[-1]
        problems.append(f"cronjob {backup.ref}: last Job {job['metadata']['name']} "
                        f"{'failed' if result == 'failed' else 'did not back everything up'} ({why})")
    successes = [when for (result, when, _), _ in runs if result == "success"]
    window = profile.phase5.db_backup_max_age_s
    age = age_s(successes[-1]) if successes else None
    if age is None:
        kept = spec.get("successfulJobsHistoryLimit")
        why = (f"; successfulJobsHistoryLimit {kept} keeps no successful Job, so no backup can be verified: keep at "
               "least 1" if kept == 0 else "")
        problems.append(f"cronjob {backup.ref}: no fully successful Job on record "
                        f"(last scheduled {status.get('lastScheduleTime', 'never')}, lastSuccessfulTime "
                        f"{status.get('lastSuccessfulTime', 'never')}){why}")
    elif age > window:
        problems.append(f"cronjob {backup.ref}: last successful Job {shown(age)} ago, expected within {shown(window)}")
    attach_table(f"jobs of {backup.ref}", ["job", "created", "result", "finished", "why"], rows)
    fail(problems)
