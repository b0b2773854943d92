"""P8-SECURITY-AUDIT, P8-TEAM-TRAINED and P8-ALL-PHASES: the sign-off records and the verdict over phases.

P8-SECURITY-AUDIT and P8-ALL-PHASES also depend on other criteria of this run (``derived_from``): the
status summary completes their verdict once every criterion has one, which works alike under xdist.
"""
import datetime as dt

import pytest
import yaml
from pydantic import ValidationError

from readiness.criteria import REGISTRY, criterion
from readiness.evidence import attach_table
from readiness.profile import Attestation
from readiness.verdict import fail, require_listed

ALL_BEFORE_AUDIT = (1, 2, 3, 4, 5, 6, 7)
ATTESTATIONS_KEY = "attestations.yaml"


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def missing_from_run(request, phases: tuple[int, ...]) -> list[str]:
    selected = {m.args[0].id for item in request.session.items if (m := item.get_closest_marker("criterion"))}
    return sorted(c for c, meta in REGISTRY.items() if meta.phase in phases and c not in selected)


def require_in_run(request, phases: tuple[int, ...], criterion_id: str) -> None:
    missing = missing_from_run(request, phases)
    if missing:
        shown = ", ".join(missing) if len(missing) <= 5 else f"{len(missing)} criteria of phase(s) " + \
            ", ".join(map(str, sorted({REGISTRY[c].phase for c in missing})))
        pytest.skip(f"{criterion_id} is decided by phase(s) {', '.join(map(str, phases))} in the same run; "
                    f"not in this run: {shown} (run pytest suites)")


@criterion("P8-SECURITY-AUDIT", 8, "Security audit passed", severity="blocker",
           requirement="Every phase 2 criterion passed in this run (or is waived, not applicable with a reason, "
                       "or carried over), and the profile's external audit record is within its validity.",
           next_step="Fix the phase 2 criteria named; record the external audit (date, auditor, report link) in "
                     "the profile's phase8.security_audit once it is done.",
           needs=(), profile_keys=("phase8.security_audit",), derived_from=(2,))
def test_security_audit_passed(request, profile):
    require_in_run(request, (2,), "P8-SECURITY-AUDIT")
    audit = profile.phase8.security_audit
    if audit is None:
        fail("security audit: no external audit on record (phase8.security_audit: date, auditor, report)")
    attach_table("external audit", ["date", "auditor", "report", "valid days"],
                 [[audit.date, audit.auditor, audit.report, audit.valid_days]])
    age = (_today() - audit.date).days
    if age < 0:
        fail(f"security audit by {audit.auditor}: dated {audit.date}, in the future")
    if age > audit.valid_days:
        fail(f"security audit by {audit.auditor} on {audit.date}: {age} days old, valid for {audit.valid_days} "
             f"(report {audit.report})")


def attestations_of(snapshot, training) -> list[Attestation]:
    """The profile's own attestations, or those its ConfigMap holds (key attestations.yaml, a YAML list)."""
    if training.configmap is None:
        return list(training.attestations)
    ref = training.configmap
    where = f"configmap {ref.ref}"
    body = snapshot.get(f"/api/v1/namespaces/{ref.namespace}/configmaps/{ref.name}", where)
    if body is None:
        fail(f"{where}: not found (it holds the training attestations)")
    try:
        listed = yaml.safe_load((body.get("data") or {}).get(ATTESTATIONS_KEY) or "") or []
        return [Attestation.model_validate(a) for a in listed]
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        fail(f"{where}: {ATTESTATIONS_KEY} is not a list of attestations (person, trained_by, on, expires): "
             f"{str(exc).splitlines()[0]}")


@criterion("P8-TEAM-TRAINED", 8, "Team trained on operations", severity="critical",
           requirement="Each on-call rotation member named in the profile has a training attestation (who "
                       "trained them, when, until when) that has not expired.",
           next_step="Train the members named on the runbooks (docs/runbooks) and record each attestation in "
                     "the profile's phase8.training.attestations, with its trainer, date and expiry.",
           profile_keys=("phase8.training",))
def test_on_call_rotation_trained(snapshot, profile):
    training = profile.phase8.training
    require_listed(training.rotation, "phase8.training.rotation", "on-call rotation members", "P8-TEAM-TRAINED")
    attestations = attestations_of(snapshot, training)
    today, problems, rows = _today(), [], []
    for person in training.rotation:
        mine = sorted((a for a in attestations if a.person == person), key=lambda a: a.expires)
        if not mine:
            problems.append(f"on-call {person}: no training attestation")
            continue
        latest = mine[-1]
        rows.append([person, latest.trained_by, latest.on, latest.expires, latest.runbooks])
        if latest.on > today:
            problems.append(f"on-call {person}: attestation by {latest.trained_by} dated {latest.on}, in the future")
        elif latest.expires < today:
            problems.append(f"on-call {person}: training by {latest.trained_by} on {latest.on} expired on "
                            f"{latest.expires}")
    attach_table("training attestations", ["person", "trained by", "on", "expires", "runbooks"], rows)
    fail(problems)


@criterion("P8-ALL-PHASES", 8, "All phases complete", severity="blocker",
           requirement="Every criterion of phases 1 to 7 passed in this run, or is waived, not applicable with a "
                       "reason, or carried over; the criteria missing otherwise are listed.",
           next_step="Run every phase together (pytest suites) and fix the criteria listed.",
           needs=(), derived_from=ALL_BEFORE_AUDIT)
def test_all_phases_complete(request):
    """The verdicts it is made of are the other criteria's; here it only makes sure they are in this run."""
    require_in_run(request, ALL_BEFORE_AUDIT, "P8-ALL-PHASES")
