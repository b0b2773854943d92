"""The gate policy is part of the verdict: what gates, which severities the profile changed and why, what
does not apply, what is waived, what may be carried over.

It is printed in the report header, recorded in ``summary.json``, fingerprinted into every carried-over
evidence record (evidence produced under another policy is not used), and the gate's reason names every place
where it changed a result ("P8-AVAILABILITY failed but gates as normal (profile severity override: ...)").
"""
from __future__ import annotations

import hashlib
import json

from readiness.criteria import Criterion
from readiness.profile import SEVERITIES, Profile
from readiness.verdict import FAILED_OR_BROKEN, Verdict


class PolicyError(Exception):
    """A policy the gate cannot vouch under; one line that says what to fix."""


def check(profile: Profile, catalog: dict[str, Criterion], source: str) -> None:
    """Lowering a criterion's severity below the catalog's needs a reason in the profile."""
    for cid in sorted(profile.severity):
        override = profile.severity_override(cid)
        if cid in catalog and _rank(override.severity) > _rank(catalog[cid].severity) and not override.reason:
            raise PolicyError(f"{source}: severity.{cid}: lowers {catalog[cid].severity} to {override.severity} "
                              f"without a reason; write {cid}: {{severity: {override.severity}, reason: \"why\"}}")


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def describe(profile: Profile, catalog: dict[str, Criterion], waivers: list, waivers_source: str | None) -> dict:
    overrides = []
    for cid in sorted(profile.severity):
        override = profile.severity_override(cid)
        own = catalog[cid].severity if cid in catalog else None
        overrides.append({"id": cid, "catalog": own, "profile": override.severity,
                          "reason": override.reason or None})
    carry = profile.gate.carry_over
    policy = {
        "gating_severities": list(profile.gate.severities),
        "severity_overrides": overrides,
        "skip": dict(sorted(profile.skip.items())),
        "waivers": [{"criterion": w.criterion, "object": w.object, "owner": w.owner,
                     "expires": w.expires.isoformat()} for w in waivers],
        "waivers_file": waivers_source,
        "carry_over": {"criteria": list(carry.criteria), "max_age_days": carry.max_age_days} if carry else None,
    }
    policy["fingerprint"] = fingerprint(policy)
    return policy


def fingerprint(policy: dict) -> str:
    """What makes a verdict mean the same thing: the gating severities, the severities and the skips.
    Waivers and carry-over rules decide what a run accepts, not what a recorded verdict was."""
    core = {"gating": policy["gating_severities"],
            "severity": {o["id"]: o["profile"] for o in policy["severity_overrides"]},
            "skip": sorted(policy["skip"])}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()[:16]


def header_lines(policy: dict) -> list[str]:
    lines = [f"readiness gate policy: gating severities {', '.join(policy['gating_severities'])} "
             f"(fingerprint {policy['fingerprint']})"]
    changed = [o for o in policy["severity_overrides"] if o["catalog"] != o["profile"]]
    if changed:
        lines.append("readiness gate severity overrides: " + "; ".join(
            f"{o['id']} {o['catalog']} -> {o['profile']}" + (f" ({o['reason']})" if o["reason"] else "")
            for o in changed))
    if policy["skip"]:
        lines.append("readiness gate skips (does not apply): " + "; ".join(
            f"{cid} ({why})" for cid, why in policy["skip"].items()))
    if policy["waivers"]:
        lines.append(f"readiness gate waivers: {len(policy['waivers'])} from {policy['waivers_file']}: " + ", ".join(
            f"{w['criterion']}{'/' + w['object'] if w['object'] else ''} until {w['expires']}"
            for w in policy["waivers"]))
    if policy["carry_over"]:
        carry = policy["carry_over"]
        lines.append(f"readiness gate carry-over: {', '.join(carry['criteria'])} within "
                     f"{carry['max_age_days']:g} days, same cluster, same policy and suite version")
    return lines


def effects(entries: list[dict], gating: tuple[str, ...]) -> list[str]:
    """Every place where the policy, not the platform, decided how a criterion counts."""
    notes = []
    for e in entries:
        override = e.get("severity_override")
        if override and e["verdict"] in (*FAILED_OR_BROKEN, Verdict.NOT_EVALUATED) \
                and override["catalog"] in gating and e["severity"] not in gating:
            why = f": {override['reason']}" if override.get("reason") else ""
            notes.append(f"{e['id']} {e['verdict'].replace('_', ' ')} but gates as {e['severity']} "
                         f"(profile severity override{why})")
        elif e["verdict"] == Verdict.NOT_APPLICABLE and (override or {}).get("catalog", e["severity"]) in gating:
            notes.append(f"{e['id']} does not apply (profile skip: {e['reasons'][0] if e['reasons'] else ''})")
        elif e["verdict"] == Verdict.WAIVED:
            notes.append(f"{e['id']} waived ({(e['reasons'] or [''])[0].split(' | ')[0]})")
        elif e.get("carried_over"):
            carried = e["carried_over"]
            notes.append(f"{e['id']} {carried['verdict']} {carried['age']} (carried over from the run at "
                         f"{carried['at']})")
    return notes
