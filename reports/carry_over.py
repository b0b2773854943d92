"""Evidence of opt-in criteria (chaos, real notifications) kept across runs.

Chaos runs in a maintenance window, the gate runs daily: a profile may accept, for the criteria it lists in
``gate.carry_over``, the latest verdict of an earlier run against the same cluster within ``max_age_days``.
The same cluster means the same identity of the cluster (the UID of its kube-system namespace, which lives
as long as the cluster does), never the same context name. Every run appends the verdicts it evaluated
itself to ``evidence.jsonl`` beside the run history.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FILE = "evidence.jsonl"
EVALUATED = ("passed", "failed", "broken")


def _parse(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at.replace("Z", "+00:00"))


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
    rows = [{"criterion": c["id"], "verdict": c["verdict"], "at": summary["generated_at"],
             "cluster_uid": cluster.get("uid"), "server": cluster.get("server"), "reasons": c["reasons"][:3]}
            for c in summary["criteria"] if c.get("opt_in") and c["verdict"] in EVALUATED
            and not c.get("carried_over")]
    if rows and cluster.get("uid"):
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / FILE).open("a") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


def apply(entry: dict, records: list[dict], max_age_days: float, cluster: dict, now: dt.datetime) -> None:
    """Give a not-evaluated entry the latest acceptable verdict from earlier runs, or say why there is none."""
    mine = [r for r in records if r.get("criterion") == entry["id"] and r.get("verdict") in EVALUATED]
    if not mine:
        entry["carry_over_refused"] = "no earlier run evaluated it"
        return
    if not cluster.get("uid"):
        entry["carry_over_refused"] = "this cluster's identity could not be read, so no evidence can be matched"
        return
    same = [r for r in mine if r.get("cluster_uid") == cluster["uid"]]
    if not same:
        servers = sorted({str(r.get("server")) for r in mine})
        entry["carry_over_refused"] = f"earlier evidence is from another cluster ({', '.join(servers)})"
        return
    latest = max(same, key=lambda r: _parse(r["at"]))
    age_s = (now - _parse(latest["at"])).total_seconds()
    if age_s > max_age_days * 86400:
        entry["carry_over_refused"] = (f"the latest evidence ({latest['verdict']} at {latest['at']}) is "
                                       f"{age_s / 86400:.1f} days old; the profile accepts {max_age_days:g}")
        return
    entry["carried_over"] = {"verdict": latest["verdict"], "at": latest["at"], "age": age_text(age_s),
                             "age_days": round(age_s / 86400, 2)}
    entry["verdict"] = latest["verdict"]
    entry["reasons"] = [f"{latest['verdict']} {age_text(age_s)} (run at {latest['at']}, same cluster)",
                        *latest.get("reasons", [])]
