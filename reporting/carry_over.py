"""Evidence of opt-in criteria (chaos, real notifications) kept across runs.

Chaos runs in a maintenance window, the gate runs daily: a profile may accept, for the criteria it lists in
``gate.carry_over``, the latest verdict of an earlier run against the same cluster within ``max_age_days``.
The same cluster means the same identity of the cluster (the UID of its kube-system namespace, which lives
as long as the cluster does), never the same context name. Every run appends the verdicts it evaluated
itself to ``evidence.jsonl`` beside the run history, with what proves where each came from: the API server's
URL and CA fingerprint, the gate policy's fingerprint and the suite's version.

A record is refused, with the reason shown, when it is dated in the future, comes from another cluster, API
server or CA, or was produced under another gate policy or suite version. A newer failure of the criterion on
the same cluster always wins over an older pass.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from readiness.verdict import FAILED_OR_BROKEN, Verdict

FILE = "evidence.jsonl"
EVALUATED = (Verdict.PASSED, *FAILED_OR_BROKEN)
CLOCK_SKEW_S = 300       # a record this far ahead of our clock is another host's clock, not the future


def _parse(at) -> dt.datetime:
    """A record's time; ValueError for anything but an ISO 8601 time with its offset."""
    if not isinstance(at, str):
        raise ValueError(f"not a time: {at!r}")
    parsed = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{at}: no UTC offset")
    return parsed


def age_text(seconds: float) -> str:
    if seconds >= 86400:
        n, unit = seconds / 86400, "day"
    elif seconds >= 3600:
        n, unit = seconds / 3600, "hour"
    else:
        n, unit = max(seconds / 60, 0), "minute"
    n = int(n)
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


def read(directory: Path) -> list[dict]:
    try:
        lines = (directory / FILE).read_text().splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue        # a torn line from a killed run is not evidence
    return records


def record(directory: Path, summary: dict) -> None:
    """Append this run's own verdicts of opt-in criteria (never carried-over ones)."""
    cluster = summary.get("cluster") or {}
    provenance = {"cluster_uid": cluster.get("uid"), "server": cluster.get("server"),
                  "ca_sha256": cluster.get("ca_sha256"), "policy": summary["policy"]["fingerprint"],
                  "suite_version": summary.get("suite_version")}
    rows = [{"criterion": c["id"], "verdict": c["verdict"], "at": summary["generated_at"], **provenance,
             "reasons": c["reasons"][:3]}
            for c in summary["criteria"] if c.get("opt_in") and c["verdict"] in EVALUATED
            and not c.get("carried_over")]
    if rows and cluster.get("uid"):
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / FILE).open("a") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


def _foreign(r: dict, cluster: dict) -> str | None:
    """Why a record is not from this cluster, API server and CA (None when it is)."""
    if r.get("cluster_uid") != cluster["uid"]:
        return f"from another cluster ({r.get('server')}, kube-system {r.get('cluster_uid')})"
    if r.get("server") != cluster.get("server"):
        return f"from API server {r.get('server')}, this run's is {cluster.get('server')}"
    if "ca_sha256" not in r:
        return "recorded without its provenance (an older suite)"
    if r["ca_sha256"] != cluster.get("ca_sha256"):
        return "the API server's CA differs from this run's"
    return None


def _refusal(r: dict, cluster: dict, now: dt.datetime, policy: str, version: str) -> str | None:
    try:
        at = _parse(r.get("at"))
    except ValueError:
        return "its date cannot be read (ISO 8601 with a UTC offset expected)"
    if (at - now).total_seconds() > CLOCK_SKEW_S:
        return f"dated {r['at']}, in the future"
    foreign = _foreign(r, cluster)
    if foreign:
        return foreign
    if r.get("policy") != policy:
        return f"produced under another gate policy ({r.get('policy')}, this run's is {policy})"
    if r.get("suite_version") != version:
        return f"produced by suite version {r.get('suite_version')}, this run is {version}"
    return None


def apply(entry: dict, records: list[dict], max_age_days: float, cluster: dict, now: dt.datetime,
          policy: str, version: str) -> None:
    """Give a not-evaluated entry the latest acceptable verdict from earlier runs, or say why there is none."""
    mine = [r for r in records if r.get("criterion") == entry["id"] and r.get("verdict") in EVALUATED]
    if not mine:
        entry["carry_over_refused"] = "no earlier run evaluated it"
        return
    if not cluster.get("uid"):
        entry["carry_over_refused"] = "this cluster's identity could not be read, so no evidence can be matched"
        return
    refused = {id(r): _refusal(r, cluster, now, policy, version) for r in mine}
    usable = [r for r in mine if refused[id(r)] is None]
    notes = sorted({f"{r.get('verdict')} at {r.get('at')}: {why}" for r in mine if (why := refused[id(r)])})
    if not usable:
        entry["carry_over_refused"] = "; ".join(notes[:5])
        return
    latest = max(usable, key=_newest_failure_first)
    # A failure on this cluster no older than that record outweighs it, whatever server URL, CA, policy or suite
    # version recorded it: evidence may stand in for a run, never hide what a run saw.
    failures = [r for r in mine if r["verdict"] != Verdict.PASSED and _this_cluster_until_now(r, cluster, now)
                and _parse(r["at"]) >= _parse(latest["at"])]
    if latest["verdict"] == Verdict.PASSED and failures:
        latest = max(failures, key=_newest_failure_first)
    age_s = (now - _parse(latest["at"])).total_seconds()
    if age_s > max_age_days * 86400:
        entry["carry_over_refused"] = "; ".join([f"the latest evidence ({latest['verdict']} at {latest['at']}) is "
                                                 f"{age_s / 86400:.1f} days old; the profile accepts "
                                                 f"{max_age_days:g}", *notes[:4]])
        return
    entry["carried_over"] = {"verdict": latest["verdict"], "at": latest["at"], "age": age_text(age_s),
                             "age_days": round(age_s / 86400, 2), "refused": notes[:5]}
    entry["verdict"] = latest["verdict"]
    entry["reasons"] = [f"{latest['verdict']} {age_text(age_s)} (run at {latest['at']}, same cluster)",
                        *latest.get("reasons", []), *(f"evidence not used: {n}" for n in notes[:5])]


def _newest_failure_first(r: dict) -> tuple:
    """Newest first; of two records of the same second, the failure."""
    return _parse(r["at"]), r["verdict"] != Verdict.PASSED


def _this_cluster_until_now(r: dict, cluster: dict, now: dt.datetime) -> bool:
    """A record of this cluster (its kube-system UID), dated no later than now."""
    try:
        at = _parse(r.get("at"))
    except ValueError:
        return False
    return r.get("cluster_uid") == cluster["uid"] and (at - now).total_seconds() <= CLOCK_SKEW_S
