"""P8-SECURITY-AUDIT, P8-TEAM-TRAINED and P8-ALL-PHASES: the sign-off records and the verdict over phases.

P8-SECURITY-AUDIT and P8-ALL-PHASES also depend on other criteria of this run (``derived_from``): the
status summary completes their verdict once every criterion has one, which works alike under xdist. Their own
case only makes sure those criteria are in the run and that the gate's plugin, which writes the summary, is
loaded: without it nothing would complete them, and their own pass is all pytest, JUnit and Allure would see.

A sign-off record is a person's word, so it counts only when it could be true: an attestation is given by
someone else than the person trained, on a date that has passed, and runs out after it was given; an audit
names its auditor, links its report and is not the on-call team's own review.

Adversarial table P8-SECURITY-AUDIT:
- future-dated: the audit record is dated a month ahead (the planned date, typed in early)
- expired: the audit was done 400 days ago and is valid for 365
- no-report-link: the record's report is "TBD": nothing anyone can open and read
- no-auditor: the auditor is left blank
- auditor-on-call: the auditor is a member of the platform's own on-call rotation: a self-review, not an
  external audit
- phase-2-finding: the record is current, but P2-RBAC failed in this run
- phase-2-broken: the record is current, but P2-NETPOL could not look in this run
- phase-2-not-run: phase 2 is not in the run (--criteria P8-SECURITY-AUDIT): the record alone never passes
- summary-absent: the gate's plugin is switched off (-p no:reporting.plugin): no status summary completes the
  verdict from phase 2's

Adversarial table P8-TEAM-TRAINED:
- self-attested: alice's attestation was given by alice
- no-trainer: the attestation's trained_by is blank
- ends-before-training: the attestation runs out before the day it was given (its dates swapped)
- future-dated: the attestation is dated next week (the planned session, recorded before it took place)
- expired: the attestation ran out yesterday
- stranger-attested: the attestations name a former member who left the rotation, while chen, in it, has none
- member-listed-twice: the rotation names alice twice ("alice" and "Alice "), so it holds fewer people than it
  seems: the third member's missing training is hidden
- configmap-key-renamed: the ConfigMap keeps its list under another key than attestations.yaml: no attestation
  is read at all

Adversarial table P8-ALL-PHASES:
- case-deselected: -k "not trino" deselects one case of P3-SERVICE-HA, whose other case passed
- criterion-deselected: --deselect names the only case of P4-LOKI
- worker-crashed: a phase 3 case kills its pytest-xdist worker: the criterion has no verdict of its own
- skipped-without-reason: a phase 5 check calls pytest.skip() with no reason
- teardown-failed: P3-PDB's check passed, but what it set up could not be put back
- xfail-not-waived: P3-PDB has no cases and empty_parameter_set_mark=xfail turns that into an expected failure
  that no waiver stands for
- waiver-expired: P2-IMAGES failed and its waiver expired yesterday
- summary-absent: the gate's plugin is switched off (-p no:reporting.plugin): no status summary completes the
  verdict from phases 1 to 7
"""
import datetime as dt
import urllib.parse

import pytest
import yaml
from pydantic import ValidationError

from readiness.criteria import REGISTRY, criterion
from readiness.evidence import attach_table
from readiness.profile import Attestation
from readiness.verdict import CouldNotLook, fail, require_listed

ALL_BEFORE_AUDIT = (1, 2, 3, 4, 5, 6, 7)
ATTESTATIONS_KEY = "attestations.yaml"


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def missing_from_run(request, phases: tuple[int, ...]) -> list[str]:
    selected = {m.args[0].id for item in request.session.items if (m := item.get_closest_marker("criterion"))}
    return sorted(c for c, meta in REGISTRY.items() if meta.phase in phases and c not in selected)


def require_in_run(request, phases: tuple[int, ...], criterion_id: str) -> None:
    """The criteria it is made of are in this run, and the gate's plugin, whose status summary completes its
    verdict from theirs, is loaded: without it this case's own pass would be all anyone sees."""
    if not request.config.pluginmanager.has_plugin("readiness-results"):
        raise CouldNotLook("gate", f"{criterion_id} is completed from the verdicts of phase(s) "
                                   f"{', '.join(map(str, phases))} by the status summary, and the plugin that writes "
                                   "it (reporting.plugin) is not loaded (-p no:reporting.plugin?)", "unconfigured")
    missing = missing_from_run(request, phases)
    if missing:
        shown = ", ".join(missing) if len(missing) <= 5 else f"{len(missing)} criteria of phase(s) " + \
            ", ".join(map(str, sorted({REGISTRY[c].phase for c in missing})))
        pytest.skip(f"{criterion_id} is decided by phase(s) {', '.join(map(str, phases))} in the same run; "
                    f"not in this run: {shown} (run pytest suites)")


def person(name: str) -> str:
    """One way of writing a person's name: "Alice " and "alice" are one person."""
    return " ".join(name.split()).casefold()


def is_link(text: str) -> bool:
    parsed = urllib.parse.urlparse(text.strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@criterion("P8-SECURITY-AUDIT", 8, "Security audit passed", severity="blocker",
           requirement="Every phase 2 criterion passed in this run (or is waived, not applicable with a reason, "
                       "or carried over), and the profile's external audit record is within its validity: dated "
                       "in the past, by a named auditor outside the on-call rotation, with a link to its report.",
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
    auditor, problems = audit.auditor.strip(), []
    who = f"security audit by {auditor}" if auditor else "security audit"
    if not auditor:
        problems.append(f"security audit on {audit.date}: no auditor named (phase8.security_audit.auditor)")
    elif person(auditor) in {person(p) for p in profile.phase8.training.rotation}:
        problems.append(f"{who} on {audit.date}: {auditor} is on the platform's own on-call rotation "
                        "(phase8.training.rotation): an external audit is by someone outside the team")
    if not is_link(audit.report):
        problems.append(f"{who} on {audit.date}: report {audit.report!r} is not a link (expected the http(s) URL "
                        "of the audit report)")
    age = (_today() - audit.date).days
    if age < 0:
        problems.append(f"{who}: dated {audit.date}, in the future")
    elif age > audit.valid_days:
        problems.append(f"{who} on {audit.date}: {age} days old, valid for {audit.valid_days} "
                        f"(report {audit.report})")
    fail(problems)


def attestations_of(snapshot, training) -> list[Attestation]:
    """The profile's own attestations, or those its ConfigMap holds (key attestations.yaml, a YAML list)."""
    if training.configmap is None:
        return list(training.attestations)
    ref = training.configmap
    where = f"configmap {ref.ref}"
    body = snapshot.get(f"/api/v1/namespaces/{ref.namespace}/configmaps/{ref.name}", where)
    if body is None:
        fail(f"{where}: not found (it holds the training attestations)")
    data = body.get("data") or {}
    if ATTESTATIONS_KEY not in data:
        fail(f"{where}: no {ATTESTATIONS_KEY} key (it holds {', '.join(sorted(data)) or 'no data'}): no "
             "training attestation can be read")
    try:
        listed = yaml.safe_load(data.get(ATTESTATIONS_KEY) or "") or []
        return [Attestation.model_validate(a) for a in listed]
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        fail(f"{where}: {ATTESTATIONS_KEY} is not a list of attestations (person, trained_by, on, expires): "
             f"{str(exc).splitlines()[0]}")


def not_counted(attestation: Attestation, today: dt.date) -> str | None:
    """Why an attestation cannot be true today, or None when it counts."""
    trainer, a = attestation.trained_by.strip(), attestation
    if not trainer:
        return f"attestation dated {a.on} names no trainer"
    if person(trainer) == person(a.person):
        return f"attestation dated {a.on} was given by {trainer}, the person trained (self-attested)"
    if a.expires < a.on:
        return f"attestation by {trainer} dated {a.on} runs out on {a.expires}, before it was given"
    if a.on > today:
        return f"attestation by {trainer} dated {a.on}, in the future"
    if a.expires < today:
        return f"training by {trainer} on {a.on} expired on {a.expires}"
    return None


@criterion("P8-TEAM-TRAINED", 8, "Team trained on operations", severity="critical",
           requirement="Each on-call rotation member, named once in the profile, has a training attestation that "
                       "could be true: given by someone else (who trained them, when, until when), dated in the "
                       "past, and not expired.",
           next_step="Train the members named on the runbooks (docs/runbooks) and record each attestation in "
                     "the profile's phase8.training.attestations, with its trainer, date and expiry.",
           profile_keys=("phase8.training",))
def test_on_call_rotation_trained(snapshot, profile):
    training = profile.phase8.training
    require_listed(training.rotation, "phase8.training.rotation", "on-call rotation members", "P8-TEAM-TRAINED")
    today, problems, rows = _today(), [], []
    members: dict[str, list[str]] = {}
    for name in training.rotation:
        members.setdefault(person(name), []).append(name)
    for names in members.values():
        if len(names) > 1:
            problems.append(f"on-call rotation (phase8.training.rotation): names {names[0].strip()} {len(names)} "
                            f"times ({', '.join(repr(n) for n in names)}): list each member once, a duplicate "
                            "hides a member left out")
    attestations = attestations_of(snapshot, training)
    strangers = sorted({a.person.strip() for a in attestations if person(a.person) not in members})
    for key, names in members.items():
        name = names[0].strip()
        mine = sorted((a for a in attestations if person(a.person) == key), key=lambda a: (a.on, a.expires))
        good = [a for a in mine if not_counted(a, today) is None]
        for a in mine:
            rows.append([name, a.trained_by, a.on, a.expires, a.runbooks, not_counted(a, today) or "counts"])
        if not mine:
            problems.append(f"on-call {name}: no training attestation" + (
                f" (the attestations name {', '.join(strangers)}, not in the rotation)" if strangers else ""))
        elif not good:
            problems.append(f"on-call {name}: {not_counted(mine[-1], today)}")
    attach_table("training attestations", ["person", "trained by", "on", "expires", "runbooks", "judged"], rows)
    fail(problems)


@criterion("P8-ALL-PHASES", 8, "All phases complete", severity="blocker",
           requirement="Every criterion of phases 1 to 7 passed in this run, or is waived, not applicable with a "
                       "reason, or carried over; the criteria missing otherwise are listed.",
           next_step="Run every phase together (pytest suites) and fix the criteria listed.",
           needs=(), derived_from=ALL_BEFORE_AUDIT)
def test_all_phases_complete(request):
    """The verdicts it is made of are the other criteria's; here it only makes sure they are in this run."""
    require_in_run(request, ALL_BEFORE_AUDIT, "P8-ALL-PHASES")
