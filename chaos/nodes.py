"""Node chaos (cordon, fail, drain), each recorded before it is made and always put back.

    with chaos.cordon("worker-2"): ...
    with chaos.fail("worker-2"): ...            # out-of-service taint (+ stopped heartbeat in the sandbox)
    with chaos.cordon("worker-2"): report = chaos.drain("worker-2", deadline_s=120)

Leaving a ``with`` block by any path (return, exception, Ctrl-C, the SIGTERM
the plugin turns into KeyboardInterrupt) restores the node; a restore that
fails raises RestoreError. After a SIGKILL, ``restore_leftovers`` (run by the
next session, or ``python -m chaos restore``) finds the records and restores.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chaos.ledger import ANNOTATION, Ledger, NodeRecord
from fixtures.kube import is_true, selects
from fixtures.live import LiveCluster, poll
from readiness.verdict import CouldNotLook

# What an operator sets on a node that is down for good (non-graceful node shutdown, GA in Kubernetes 1.28):
# pods without a toleration are evicted, and those stuck terminating on a NotReady node are force-deleted,
# so StatefulSets can start their pods elsewhere. The node lifecycle controller never removes it itself.
FAILURE_TAINT = {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown", "effect": "NoExecute"}
RESTORE_TIMEOUT_S = 120


def _checkpoint(step: str) -> None:
    """Test seam: with READINESS_CHAOS_RAISE_AT=step, raise there; with READINESS_CHAOS_PAUSE_AT=step, announce
    the step in READINESS_CHAOS_PAUSE_FILE and wait there (at most 120 s), so the project's tests can interrupt
    a drain at that exact point."""
    if os.environ.get("READINESS_CHAOS_RAISE_AT") == step:
        raise RuntimeError(f"injected failure at chaos step {step!r}")
    if os.environ.get("READINESS_CHAOS_PAUSE_AT") != step:
        return
    Path(os.environ["READINESS_CHAOS_PAUSE_FILE"]).write_text(f"{step} {os.getpid()}\n")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.1)


class RestoreError(Exception):
    """Chaos could not put the cluster back; the message says what is left changed."""


@dataclass
class DrainReport:
    node: str
    evicted: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)     # pod -> why it could not be evicted
    seconds: float = 0.0


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _taint_ids(taints: list[dict] | None) -> list[tuple]:
    return sorted((t.get("key"), t.get("value"), t.get("effect")) for t in taints or [])


class NodeChaos:
    def __init__(self, live: LiveCluster, ledger: Ledger | None = None, heartbeat_label: str | None = None):
        """``heartbeat_label``: in the sandbox, removing this label stops the node's simulated kubelet."""
        self.live, self.ledger, self.heartbeat_label = live, ledger or Ledger(), heartbeat_label

    # -- records -------------------------------------------------------------------------------------
    def _record(self, name: str, action: str) -> NodeRecord:
        node = self.live.node(name)
        existing = (node["metadata"].get("annotations") or {}).get(ANNOTATION)
        if existing:       # an earlier change is still on the node: its record holds the true "before"
            record = NodeRecord.from_json(existing)
            if record.pid != os.getpid() and record.owner_alive():
                raise CouldNotLook("chaos guard", f"node {name} is being changed by another run "
                                                  f"({record.describe()}); not disrupting it too", "guard")
        else:
            labels = node["metadata"].get("labels") or {}
            record = NodeRecord(name, self.live.server, action, bool(node["spec"].get("unschedulable")),
                                node["spec"].get("taints") or [],
                                {self.heartbeat_label: labels.get(self.heartbeat_label)} if self.heartbeat_label
                                else {})
        self.ledger.add(record)
        self.live.patch_node(name, {"metadata": {"annotations": {ANNOTATION: record.to_json()}}})
        return record

    def restore(self, record: NodeRecord) -> None:
        node = self.live.node(record.node)
        ops = [{"op": "add", "path": "/spec/unschedulable", "value": record.unschedulable},
               {"op": "add", "path": "/spec/taints", "value": record.taints}]
        labels = node["metadata"].get("labels") or {}
        for key, value in record.labels.items():
            if value is None and key in labels:
                ops.append({"op": "remove", "path": f"/metadata/labels/{_escape(key)}"})
            elif value is not None:
                ops.append({"op": "add", "path": f"/metadata/labels/{_escape(key)}", "value": value})
        if ANNOTATION in (node["metadata"].get("annotations") or {}):
            ops.append({"op": "remove", "path": f"/metadata/annotations/{_escape(ANNOTATION)}"})
        self.live.patch_node(record.node, ops)
        try:
            poll(f"node {record.node} back to its state before chaos", lambda: self._matches(record),
                 RESTORE_TIMEOUT_S)
        except TimeoutError as exc:
            raise RestoreError(str(exc)) from None
        self.ledger.remove(record)

    def _matches(self, record: NodeRecord) -> tuple[bool, str]:
        node = self.live.node(record.node)
        seen = (bool(node["spec"].get("unschedulable")), _taint_ids(node["spec"].get("taints")),
                is_true(node, "Ready"))
        want = (record.unschedulable, _taint_ids(record.taints), True)
        return seen == want, f"unschedulable={seen[0]}, taints={seen[1]}, Ready={seen[2]}"

    @contextmanager
    def _changed(self, name: str, action: str, change: list[dict]):
        record = self._record(name, action)
        try:
            _checkpoint("recorded")
            self.live.patch_node(name, change)
            _checkpoint("changed")
            yield record
        finally:
            self.restore(record)

    # -- actions -------------------------------------------------------------------------------------
    def cordon(self, name: str):
        return self._changed(name, "cordon", [{"op": "add", "path": "/spec/unschedulable", "value": True}])

    def fail(self, name: str):
        node = self.live.node(name)
        taints = [t for t in node["spec"].get("taints") or [] if t["key"] != FAILURE_TAINT["key"]]
        ops = [{"op": "add", "path": "/spec/taints", "value": taints + [FAILURE_TAINT]}]
        if self.heartbeat_label and self.heartbeat_label in (node["metadata"].get("labels") or {}):
            ops.append({"op": "remove", "path": f"/metadata/labels/{_escape(self.heartbeat_label)}"})
        return self._changed(name, "fail", ops)

    def drain(self, name: str, deadline_s: float) -> DrainReport:
        """Evict every pod but DaemonSet and mirror pods through the Eviction API (PDBs honoured)."""
        report, started = DrainReport(name), time.monotonic()
        pending = {f"{p['metadata']['namespace']}/{p['metadata']['name']}": p for p in self.live.pods(name)
                   if not _is_daemon_or_mirror(p) and not p["metadata"].get("deletionTimestamp")}
        while pending and time.monotonic() - started < deadline_s:
            for ref, pod in list(pending.items()):
                ok, reason = self.live.evict(*ref.split("/", 1))
                if ok:
                    _checkpoint("evicting")
                    report.evicted.append(ref)
                    report.blocked.pop(ref, None)
                    del pending[ref]
                else:
                    report.blocked[ref] = _blocking_pdb(self.live, pod) or reason
            if pending and all(r.startswith("PodDisruptionBudget") and "allows no disruption" in r
                               for r in report.blocked.values()):
                break       # every refusal is a PDB that can never allow one: waiting cannot help
            if pending:
                time.sleep(1)
        for ref in pending:
            report.blocked.setdefault(ref, f"not evicted within {deadline_s:.0f}s")
        gone = set(report.evicted)
        try:
            poll(f"evicted pods to leave node {name}", lambda: _left(self.live, name, gone),
                 max(5.0, deadline_s - (time.monotonic() - started)))
        except TimeoutError as exc:
            for ref in _still_on(self.live, name, gone):
                report.blocked[ref] = str(exc)
        report.seconds = time.monotonic() - started
        return report

    def restore_leftovers(self, dry_run: bool = False) -> tuple[list[str], list[str]]:
        """Restore every node a previous run left changed (ledger and node annotations); returns what was
        restored, and the changes of runs still going, left to them."""
        records = {r.node: r for r in self.ledger.records(self.live.server)}
        for node in self.live.nodes():
            text = (node["metadata"].get("annotations") or {}).get(ANNOTATION)
            if text and node["metadata"]["name"] not in records:
                records[node["metadata"]["name"]] = NodeRecord.from_json(text)
        done, left, errors = [], [], []
        for record in records.values():
            if record.owner_alive():       # another run's chaos in progress: it restores its own changes
                left.append(f"node {record.node}: {record.describe()}, still running")
                continue
            line = (f"node {record.node}: {record.action} by pid {record.pid} at "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(record.at))}: restore unschedulable="
                    f"{record.unschedulable}, taints={[t['key'] for t in record.taints]}, labels={record.labels}")
            if not dry_run:
                try:
                    self.restore(record)
                except Exception as exc:  # keep restoring the others; report every failure
                    errors.append(f"node {record.node}: {exc}")
                    continue
            done.append(line)
        if errors:
            raise RestoreError("; ".join(errors))
        return done, left


def _is_daemon_or_mirror(pod: dict) -> bool:
    owners = pod["metadata"].get("ownerReferences") or []
    annotations = pod["metadata"].get("annotations") or {}
    return any(o.get("kind") == "DaemonSet" for o in owners) or "kubernetes.io/config.mirror" in annotations


def _blocking_pdb(live: LiveCluster, pod: dict) -> str | None:
    for pdb in live.pdbs():
        if pdb["metadata"]["namespace"] != pod["metadata"]["namespace"]:
            continue
        if not selects(pdb["spec"].get("selector"), pod["metadata"].get("labels")):
            continue
        status = pdb.get("status") or {}
        allowed, healthy = status.get("disruptionsAllowed", 0), status.get("currentHealthy", 0)
        expected, desired = status.get("expectedPods", 0), status.get("desiredHealthy", 0)
        ref = f"{pdb['metadata']['namespace']}/{pdb['metadata']['name']}"
        if allowed < 1 and healthy >= expected:
            return (f"PodDisruptionBudget {ref} allows no disruption even with all {expected} pods healthy "
                    f"(needs {desired} healthy)")
        if allowed < 1:
            return f"PodDisruptionBudget {ref} allows no disruption now ({healthy} healthy, needs {desired})"
    return None


def _still_on(live: LiveCluster, node: str, refs: set[str]) -> list[str]:
    return [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in live.pods(node)
            if f"{p['metadata']['namespace']}/{p['metadata']['name']}" in refs]


def _left(live: LiveCluster, node: str, refs: set[str]) -> tuple[bool, str]:
    still = _still_on(live, node, refs)
    return not still, f"{len(still)} evicted pods still on the node: {', '.join(still[:5])}"

