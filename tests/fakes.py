"""Recorded answers in place of the cluster and the endpoints, for calling a check directly (no network).

Each fake subclasses the real client and replaces only its lowest network call, so the clients' own logic
(list decoding, could-not-look on a missing API, answer validation) still runs. These are extra proof; every
criterion is also proven against the real sandbox.
"""
from __future__ import annotations

import contextlib
import inspect
import json
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest

from fixtures.access import AccessReview
from fixtures.cache import SharedCache
from fixtures.kube import KINDS, Snapshot, _path
from fixtures.monitoring import Alertmanager, Grafana, Loki, Prometheus, SecretsStore
from fixtures.tls import TlsProbe
from plugin.catalog import ROOT, load_all
from readiness.verdict import CouldNotLook, Verdict, verdict_of
from reporting.results import CaseResult, by_criterion
from reporting.summary import build

EMPTY_ALERTMANAGER_CONFIG = "route:\n  receiver: 'null'\nreceivers:\n- name: 'null'\n"


class FakeSnapshot(Snapshot):
    """A cluster holding exactly ``objects`` (kind name -> list of dicts); every other kind lists empty."""

    def __init__(self, objects: dict[str, list] | None = None, raw: dict[str, dict] | None = None,
                 not_served: set[str] = frozenset()):
        super().__init__(None, SharedCache(), "https://fake")
        self.answers = {_path(*KINDS[k]): {"kind": KINDS[k][1], "items": json.loads(json.dumps(v))}
                        for k, v in (objects or {}).items()}
        self.answers.update(raw or {})
        self.not_served = {_path(*KINDS[k]) for k in not_served}

    def _get(self, path: str, what: str):
        """One page holds everything here; a namespace's list and a field selector are served from the
        cluster-wide answer, as the API server would."""
        path, _, query = path.partition("?")
        if path in self.answers and "items" not in self.answers[path]:
            return self.answers[path]       # one object, read by name
        namespace, cluster_path = None, path
        parts = path.split("/")
        if "namespaces" in parts[:-2] and len(parts) > parts.index("namespaces") + 2:
            at = parts.index("namespaces")
            namespace, cluster_path = parts[at + 1], "/".join(parts[:at] + parts[at + 2:])
        if cluster_path in self.not_served:
            return None
        answer = self.answers.get(path) or self.answers.get(cluster_path, {"items": []})
        fields = dict(pair.split("=", 1) for pair in
                      dict(urllib.parse.parse_qsl(query)).get("fieldSelector", "").split(",") if pair)
        items = [item for item in answer.get("items") or []
                 if (namespace is None or (item.get("metadata") or {}).get("namespace") == namespace)
                 and all(str(_field(item, key)) == value for key, value in fields.items())]
        return {**answer, "items": items}


def _field(obj: dict, dotted: str):
    for key in dotted.split("."):
        obj = (obj or {}).get(key) if isinstance(obj, dict) else None
    return obj


class FakePrometheus(Prometheus):
    def __init__(self, targets: list | None = None, rules: list | None = None, series: dict | None = None):
        super().__init__("http://prometheus.fake", SharedCache())
        self.targets, self.rules, self.series = targets or [], rules or [], series or {}

    def _get(self, path: str, params=None):
        targets = self.targets           # or a list of answers, one per read, the last one repeated
        if targets and isinstance(targets[0], list):
            targets = self.targets.pop(0) if len(self.targets) > 1 else self.targets[0]
        return {"/api/v1/targets": {"activeTargets": targets}, "/api/v1/rules": {"groups": self.rules}}[path]

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        return self.series.get(promql, [])


class FakeAlertmanager(Alertmanager):
    def __init__(self, config: str = EMPTY_ALERTMANAGER_CONFIG, counters: list[dict] | None = None,
                 alerts: list | None = None, held: list | None = None, silences: list | None = None):
        super().__init__("http://alertmanager.fake", SharedCache())
        self.config, self.counter_steps, self.live_answer, self.posted = config, counters or [{}], alerts, []
        self.held, self.silence_list = held or [], silences or []

    def alerts(self) -> list[dict]:
        return self.held

    def silences(self) -> list[dict]:
        return self.silence_list

    def status(self) -> dict:
        return {"config": {"original": self.config}}

    def notification_counters(self):
        if not any(self.counter_steps):
            raise CouldNotLook("alertmanager", "no notification counters", "invalid")
        return self.counter_steps.pop(0) if len(self.counter_steps) > 1 else self.counter_steps[0]

    def live_alerts(self, alertname: str) -> list[dict]:
        if self.live_answer is not None:
            return self.live_answer
        return [{"labels": labels, "status": {"state": "active"}} for labels in self.posted
                if labels.get("alertname") == alertname]

    def post_alert(self, labels: dict, annotations: dict, ends_in_s: int = 120) -> None:
        self.posted.append(labels)


class FakeLoki(Loki):
    def __init__(self, series: list | None = None, ready: dict | None = None, window=None):
        super().__init__("http://loki.fake", SharedCache())
        self.series, self.answer, self.window = series or [], ready or {"http": 200, "body": "ready"}, window

    def ready(self) -> dict:
        return self.answer

    def range(self, logql: str, start_s: float, end_s: float, step_s: int) -> dict:
        start, end = self.window or (start_s, end_s)
        return {"start": start, "end": end, "series": self.series}


class FakeGrafana(Grafana):
    def __init__(self, health: dict | None = None, dashboards: list | None = None, datasources: list | None = None,
                 datasource_health: dict | None = None):
        super().__init__("http://grafana.fake", SharedCache())
        self.answers = {"/api/health": {"database": "ok", "version": "fake"} if health is None else health,
                        "/api/search": dashboards or [], "/api/datasources": datasources or []}
        self.health_of = datasource_health or {}

    def _get(self, path: str, params=None):
        return self.answers[path]

    def datasource_health(self, uid: str) -> dict:
        return self.health_of.get(uid, {"status": "ERROR", "message": "no answer recorded"})


class _Reviews:
    """The authorizer's recorded grants: (user or group, verb, resource[/subresource], namespace or None for a
    cluster-wide grant); ``*`` matches every verb or resource, as an RBAC rule's wildcard does."""

    def __init__(self, grants, answer=None):
        self.grants, self.answer = grants, answer

    def create(self, path: str, body: dict, what: str) -> dict:
        if self.answer is not None:
            return self.answer
        spec, attrs = body["spec"], body["spec"]["resourceAttributes"]
        who = {spec.get("user"), *spec.get("groups", [])}
        resource = attrs["resource"] + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
        allowed = any(subject in who and verb in ("*", attrs["verb"]) and res in ("*", resource)
                      and (namespace is None or namespace == attrs.get("namespace"))
                      for subject, verb, res, namespace in self.grants)
        return {"status": {"allowed": allowed}}


class FakeAccess(AccessReview):
    def __init__(self, grants=(), answer: dict | None = None):
        super().__init__(_Reviews(list(grants), answer))


class FakeVault(SecretsStore):
    """A recorded /v1/sys/health answer: (status, body); the default is an answer without Vault's fields."""

    def __init__(self, status: int = 200, body: dict | None = None):
        super().__init__("http://vault.fake", SharedCache())
        self.answer = (status, body or {})

    def _get(self, url):
        return self.answer


class FakeTls(TlsProbe):
    """Recorded handshakes: server name -> result; a name with none recorded could not be reached."""

    def __init__(self, results: dict | None = None):
        super().__init__(SharedCache())
        self.results = results or {}

    def served(self, host, port, server_name):
        if server_name not in self.results:
            raise CouldNotLook("tls", f"{server_name} at {host}:{port}: connection refused", "unreachable")
        return self.results[server_name]


class FakeLive:
    """The live cluster chaos reads and writes: nodes, pods, workloads and PDBs from recorded lists."""

    def __init__(self, nodes=None, pods=None, workloads=None, pdbs=None):
        self._nodes, self._pods, self._workloads, self._pdbs = nodes or [], pods or [], workloads or {}, pdbs or []
        self.server, self.context = "https://fake", "fake"

    def nodes(self):
        return self._nodes

    def node(self, name):
        return next(n for n in self._nodes if n["metadata"]["name"] == name)

    def pods(self, node=None):
        return [p for p in self._pods if node is None or p["spec"].get("nodeName") == node]

    def workload(self, kind, namespace, name):
        return self._workloads.get((kind, namespace, name))

    def pdbs(self):
        return self._pdbs


class FakeNodeChaos:
    """Node chaos that changes nothing; ``after_restore`` runs when the node is put back."""

    def __init__(self, live: FakeLive, after_restore=None):
        self.live, self.after_restore, self.failed = live, after_restore, []

    @contextlib.contextmanager
    def fail(self, name):
        self.failed.append(name)
        try:
            yield
        finally:
            if self.after_restore:
                self.after_restore()

    cordon = fail


class FakeRequest:
    """pytest's ``request`` as far as a check reads it: the run's items, here one per criterion of the catalog
    (every criterion in the run) or those of ``criteria``, and the plugins registered (the gate's, unless
    ``plugins`` says otherwise)."""
    def __init__(self, criteria: list[str] | None = None,
                 plugins: tuple[str, ...] = ("readiness-results", "readiness-collection")):
        catalog = load_all()
        self.session = SimpleNamespace(items=[
            SimpleNamespace(get_closest_marker=lambda name, meta=catalog[c]: SimpleNamespace(args=(meta,)))
            for c in (catalog if criteria is None else criteria)])
        self.config = SimpleNamespace(pluginmanager=SimpleNamespace(has_plugin=lambda name: name in plugins))


def empty_world(profile) -> dict:
    """Every fixture a check may ask for, answering as an empty platform: no objects, targets, rules, series,
    logs, dashboards or datasources, and an Alertmanager with nothing but a default route."""
    live = FakeLive()
    return {"snapshot": FakeSnapshot(), "prometheus": FakePrometheus(), "alertmanager": FakeAlertmanager(),
            "loki": FakeLoki(), "grafana": FakeGrafana(), "profile": profile, "node_chaos": FakeNodeChaos(live),
            "vault": FakeVault(), "tls": FakeTls(), "request": FakeRequest(), "access": FakeAccess()}


def run_check(fn, fixtures: dict, param=None) -> tuple[str, str]:
    """Call a check as pytest would; (verdict, message) with verdict passed, failed or broken as the gate's
    plugin classifies it (readiness.verdict.verdict_of), or skipped."""
    spec = getattr(fn, "per_profile", None)
    kwargs = {}
    for name in inspect.signature(fn).parameters:
        if spec and name == spec.argname:
            kwargs[name] = param
        else:
            assert name in fixtures, f"{fn.__name__} needs fixture {name!r}: add a fake for it in tests/fakes.py"
            kwargs[name] = fixtures[name]
    try:
        fn(**kwargs)
    except pytest.skip.Exception as exc:
        return "skipped", str(exc)
    except (Exception, pytest.fail.Exception) as exc:  # an error is a check that could not look: never passed
        return verdict_of(exc)
    return Verdict.PASSED, ""


def checks() -> dict[str, list]:
    """criterion ID -> the test functions that check it, found in the suites' modules."""
    import importlib
    load_all()
    found: dict[str, list] = {}
    for path in sorted((ROOT / "suites").glob("phase*/test_*.py")):
        module = importlib.import_module(".".join(Path(path).relative_to(ROOT).with_suffix("").parts))
        for name, fn in vars(module).items():
            if name.startswith("test_") and callable(fn):
                for mark in getattr(fn, "pytestmark", []):
                    if mark.name == "criterion":
                        found.setdefault(mark.args[0].id, []).append(fn)
    return found


def judged(cid: str, fn, world: dict, param) -> tuple[str, str]:
    """The verdict the run reports: a criterion made of other phases' verdicts (``derived_from``) is completed
    by the status summary from those criteria, each judged on the same world."""
    verdict, message = run_check(fn, world, param)
    catalog = load_all()
    if not catalog[cid].derived_from or verdict != "passed":
        return verdict, message
    cases = [CaseResult(f"{cid}::own", cid, verdict, message, 0.0, catalog[cid])]
    for other, meta in catalog.items():
        if meta.phase in catalog[cid].derived_from:
            for check in checks()[other]:
                spec = getattr(check, "per_profile", None)
                for p in (list(world["profile"].at(spec.path) or []) if spec else [None]):
                    v, m = run_check(check, world, p)
                    cases.append(CaseResult(f"{other}::{p}", other, Verdict.NOT_EVALUATED if v == "skipped" else v, m,
                                            0.0, meta))
    summary = build(by_criterion(cases), catalog, profile_name="x", severity_of=lambda m: m.severity,
                    runbook_of=lambda m: m.runbook, target="fake", previous=None)
    entry = next(e for e in summary["criteria"] if e["id"] == cid)
    return entry["verdict"], "; ".join(entry.get("reasons", []))


def verdict_with(wanted: str, check, fixtures: dict, *needles: str, param=None) -> str:
    """The check's message, asserted to be ``wanted`` (passed, failed, broken) and to hold every needle."""
    verdict, message = run_check(check, fixtures, param)
    assert verdict == wanted, (verdict, message)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def failed_with(check, fixtures: dict, *needles: str, param=None) -> str:
    return verdict_with("failed", check, fixtures, *needles, param=param)


def broken_with(check, fixtures: dict, *needles: str, param=None) -> str:
    return verdict_with("broken", check, fixtures, *needles, param=param)
