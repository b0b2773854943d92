"""Bring the sandbox up, report its status, and take it down again."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from readiness import ready
from sandbox.agent import logs
from sandbox.manifests import infrastructure, platform
from sandbox.run import components, configs, kube
from sandbox.services import backups, data_services, issuer
from sandbox.build import maven
from sandbox.build.go import COMPONENTS, build_all
from sandbox.run.layout import Layout
from sandbox.run.pki import ensure_pki, ensure_platform_ca, served_dir
from sandbox.run.processes import ComponentError, ProcessSpec, Supervisor, port_open

START_TIMEOUT_S = 60
READY_TIMEOUT_S = 180
PG_USER = "postgres"


def postgres_dir(layout: Layout) -> Path:
    """PostgreSQL runs as the postgres user, who cannot enter root's home; its data lives in /var/tmp."""
    digest = hashlib.sha1(str(layout.root).encode()).hexdigest()[:10]
    return Path(f"/var/tmp/platform-readiness-postgres-{digest}")


def specs(layout: Layout) -> list[ProcessSpec]:
    result = components.all_components(layout)
    pg_dir = postgres_dir(layout)
    for spec in result:
        if spec.name == "postgres":
            spec.argv = ["/usr/lib/postgresql/15/bin/postgres", "-D", str(pg_dir / "data"), "-p",
                         str(layout.ports.postgres), "-k", str(pg_dir), "-c", "listen_addresses=127.0.0.1"]
            spec.user = PG_USER if os.geteuid() == 0 else None
    return result


def _init_postgres(layout: Layout) -> None:
    pg_dir = postgres_dir(layout)
    if (pg_dir / "data" / "PG_VERSION").exists():
        return
    pg_dir.mkdir(parents=True, exist_ok=True)
    as_root = os.geteuid() == 0
    if as_root:
        pw = pwd.getpwnam(PG_USER)
        os.chown(pg_dir, pw.pw_uid, pw.pw_gid)
    subprocess.run(["/usr/lib/postgresql/15/bin/initdb", "-D", str(pg_dir / "data"), "-U", "sandbox",
                    "--auth=trust", "--no-sync"], check=True, capture_output=True,
                   user=PG_USER if as_root else None)


def _prepare(layout: Layout, progress) -> None:
    missing = [c.name for c in COMPONENTS if not c.is_built()]
    if missing:
        progress(f"building {', '.join(missing)} into the cache (once)")
        build_all(missing, progress=progress)
    maven.build_all(progress)
    for sub in ("config", "data", "sinks"):
        (layout.root / sub).mkdir(parents=True, exist_ok=True)
    ensure_pki(layout.pki)
    ensure_platform_ca(layout.pki)
    kube.write_kubeconfig(layout)
    _init_postgres(layout)
    configs.write_all(layout)
    data_services.prepare(layout)
    backups.prepare(layout)
    # How the suite finds this sandbox without importing it (fixtures/target.py reads this file).
    (layout.root / "env.json").write_text(json.dumps({**layout.env(), "context": kube.CONTEXT,
                                                      "heartbeat_label": platform.KWOK_MANAGED_LABEL}, indent=1))


def _start(sup: Supervisor, spec: ProcessSpec) -> None:
    if spec.port and port_open(spec.port) and sup.pid(spec.name) is None:
        raise ComponentError(spec.name, f"port {spec.port} is already in use by another process")
    sup.start(spec)


def _start_group(sup: Supervisor, group: list[ProcessSpec], progress) -> None:
    """Start every process of ``group`` at once, then wait for each to be ready."""
    started = time.monotonic()
    for spec in group:
        _start(sup, spec)
    for spec in group:
        sup.wait_ready(spec, started + START_TIMEOUT_S)
        progress(f"  {spec.name:24} ready at {time.monotonic() - started:4.1f}s")


def _crds(layout: Layout) -> list[str]:
    return sorted(str(p) for p in (layout.bin / "crds").glob("*.yaml"))


def _bootstrap_api(layout: Layout, workers: int, progress) -> None:
    for crd in _crds(layout):
        kube.kubectl(layout, "apply", "--server-side", "--force-conflicts", "-f", crd)
    kube.kubectl(layout, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
    metrics_api = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "metrics-server", "namespace": "kube-system",
                                                             "labels": {"k8s-app": "metrics-server"}},
         "spec": {"type": "ExternalName", "externalName": "localhost"}},
        {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
         "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": {"k8s-app": "metrics-server"}},
         "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                  "versionPriority": 100, "insecureSkipTLSVerify": True,
                  "service": {"name": "metrics-server", "namespace": "kube-system",
                              "port": layout.ports.metrics_server}}}]
    node_objs = platform.nodes(workers)
    kube.apply(layout, metrics_api + node_objs)
    kube.apply(layout, [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": n["metadata"]["name"]},
                         "status": n["status"]} for n in node_objs], subresource="status")
    progress(f"  {len(node_objs)} nodes registered ({workers} workers)")
    objects = platform.platform_objects(workers)
    kube.apply(layout, [o for o in objects if o["kind"] == "Namespace"])
    kube.apply(layout, [o for o in objects if o["kind"] != "Namespace"])
    kube.apply(layout, issuer.objects(layout) + platform.certificates())
    kube.apply(layout, infrastructure.objects())
    kube.apply(layout, infrastructure.ingresses()[1], subresource="status")
    # the first backup now, as an operator takes one when installing, instead of waiting for the schedule
    kube.kubectl(layout, "-n", "data-platform", "create", "job", f"--from=cronjob/{infrastructure.DB_BACKUP}",
                 f"{infrastructure.DB_BACKUP}-initial")
    extra = platform.gitops(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    kube.apply(layout, extra)
    progress(f"  {len(objects) + len(extra) + len(platform.CERTIFICATES)} platform objects applied")


@dataclass
class Readiness:
    ok: bool
    detail: str


def _cluster_ready(layout: Layout) -> tuple[bool, str]:
    nodes = kube.get_json(layout, "nodes")["items"]
    not_ready = [n["metadata"]["name"] for n in nodes if not any(
        c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))]
    if not_ready:
        return False, f"nodes not Ready: {', '.join(not_ready)}"
    workloads = kube.get_json(layout, "deployments,statefulsets,daemonsets", "-A")["items"]
    pending = []
    for w in workloads:
        have, want = ready.ready_replicas(w), ready.desired_replicas(w)
        if have < want:
            pending.append(f"{w['metadata']['namespace']}/{w['metadata']['name']} {have}/{want}")
    if pending:
        return False, f"{len(pending)} workloads not ready, e.g. {', '.join(pending[:3])}"
    metrics = kube.kubectl(layout, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes", check=False)
    if metrics.returncode != 0 or len(json.loads(metrics.stdout or "{}").get("items", [])) < len(nodes) - 1:
        return False, f"metrics API not serving every node yet ({metrics.stderr.strip()[:100]})"
    # A restore drill's copies are scaled to zero, which disables their HPAs (ScalingDisabled) by design.
    scaled_to_zero = {(w["metadata"]["namespace"], w["kind"], w["metadata"]["name"]) for w in workloads
                      if ready.desired_replicas(w) == 0}
    hpas = [h for h in kube.get_json(layout, "hpa", "-A")["items"] if (
        h["metadata"]["namespace"], h["spec"]["scaleTargetRef"]["kind"], h["spec"]["scaleTargetRef"]["name"])
        not in scaled_to_zero]
    waiting = [h["metadata"]["name"] for h in hpas if not h.get("status", {}).get("currentMetrics") or not any(
        c["type"] == "ScalingActive" and c["status"] == "True" for c in h["status"].get("conditions", []))]
    if waiting:
        return False, f"HPAs without a current metric yet: {', '.join(waiting)}"
    unissued = issuer.not_ready(layout)
    if unissued:
        return False, f"{len(unissued)} Certificates not issued yet, e.g. {', '.join(unissued[:3])}"
    unserved = [h for h in platform.SERVED_HOSTS if not (served_dir(layout.pki) / f"{h}.crt").exists()]
    if unserved:
        return False, f"the TLS edge serves no issued certificate for {', '.join(unserved)} yet"
    return True, (f"{len(nodes)} nodes Ready, {len(workloads)} workloads ready, metrics API and HPAs serving, "
                  "Certificates issued and served")


PROBES = 'probe_success{job="service-probes"}'
# Seconds of data the sandbox profile's windows need before a check can judge them, measured at the check's
# own step: P8-AVAILABILITY's probe coverage (30 s), and P4-ALERT-ROUTES's failed notifications (a 60 s lookback
# less the 20 s sample age, at steps of 10 s).
SPANS_S = {PROBES: (35, 1), "alertmanager_notifications_failed_total": (40, 10)}


def _monitoring_ready(layout: Layout) -> tuple[bool, str]:
    targets = requests.get(layout.url("prometheus") + "/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    up = sum(t["health"] == "up" for t in targets)
    platform_down = [t["labels"].get("pod") for t in targets if t["labels"].get("tier") == "platform"
                     and t["health"] != "up"]
    value = lambda promql: configs.prometheus_value(layout, promql)     # noqa: E731
    has_slo = value("count(slo:service_availability:ratio_rate5m)") is not None
    benchmark = value('count(push_time_seconds{job="loadtest"})') is not None
    spans = {series: value(f"min(time() - min_over_time(timestamp({series})[2m:{step}s]))") or 0.0
             for series, (_, step) in SPANS_S.items()}
    short = [f"{series.split('{')[0]} spans {spans[series]:.0f}s of {wanted}s"
             for series, (wanted, _) in SPANS_S.items() if spans[series] < wanted]
    streams = requests.get(layout.url("loki") + "/loki/api/v1/series",
                           params={"match[]": '{namespace=~".+"}', "start": str(int(time.time() - 120) * 10**9)},
                           timeout=5).json().get("data", [])
    alerts = requests.get(layout.url("alertmanager") + "/api/v2/alerts", timeout=5).json()
    heartbeat = any(a["labels"].get("alertname") == "Watchdog" for a in alerts)
    # a stream per node at least (its log-agent pod's): every node's logs are being shipped
    ok = (up >= 15 and not platform_down and has_slo and len(streams) >= layout.workers and benchmark
          and not short and heartbeat)
    return ok, (f"{up}/{len(targets)} targets up, {len(platform_down)} platform targets not up, "
                f"SLO rules {'evaluated' if has_slo else 'not yet evaluated'}, {len(streams)} log streams, "
                f"load test {'pushed' if benchmark else 'not pushed yet'}, {'; '.join(short) or 'data spans the windows'}, "
                f"Watchdog {'in' if heartbeat else 'not yet in'} Alertmanager")


def up(layout: Layout, workers: int = 3, progress=print) -> None:
    sup = Supervisor(layout.root)
    started = time.monotonic()
    progress(f"sandbox: starting in {layout.root}")
    if sup.pid("agent") is None:         # nothing may start components now: any untracked one is a leftover
        for pid in sup.strays(layout.bin):
            progress(f"  stopping stray process {pid} (a sandbox process without a pid file)")
            sup.kill(pid)
    if not (layout.root / "bootstrapped").exists():
        (layout.root / "workers").write_text(f"{workers}\n")      # read by the components' flags
    _prepare(layout, progress)
    logs.ensure_inotify_instances(layout.workers, progress)
    by_name = {spec.name: spec for spec in specs(layout)}
    # metrics-server starts with the control plane: it needs two scrapes per node before the metrics API (and
    # the HPAs) have anything, and those can happen while the platform's objects are applied. Prometheus does
    # not: its probes would measure the sandbox's own start as an outage of every service.
    groups = [["etcd"], ["kube-apiserver"], ["kube-controller-manager", "kube-scheduler", "kwok", "metrics-server"]]
    for group in groups:
        _start_group(sup, [by_name[n] for n in group], progress)
    if not (layout.root / "bootstrapped").exists():
        _bootstrap_api(layout, workers, progress)
        (layout.root / "bootstrapped").touch()     # the worker count is in `workers` (Layout.workers)
    early = {n for g in groups for n in g}
    # The JVMs take seconds to start: they start first and are waited for while the workloads settle.
    slow = [by_name[s.name] for s in data_services.specs(layout)]
    # The object store and Velero start once the rest has, and their install (the first backups and the restore
    # drill, about 20 s) runs beside the waits for the workloads and the monitoring.
    late = [by_name[s.name] for s in backups.specs(layout)]
    started = time.monotonic()
    for spec in slow:
        _start(sup, spec)
    _start_group(sup, [s for n, s in by_name.items() if n not in early and s not in slow + late], progress)
    with ThreadPoolExecutor(1) as pool:
        backing_up = pool.submit(_start_backups, sup, late, layout, progress)
        progress("sandbox: waiting for nodes and workloads")
        kube.wait_for("nodes Ready and workloads ready", lambda: _cluster_ready(layout), READY_TIMEOUT_S, 2)
        for spec in slow:
            sup.wait_ready(spec, started + START_TIMEOUT_S)
            progress(f"  {spec.name:24} ready at {time.monotonic() - started:4.1f}s")
        progress("sandbox: waiting for scrape targets, SLO rules, log streams, the load test and the windows' data")
        seen = kube.wait_for("monitoring ready", lambda: _monitoring_ready(layout), READY_TIMEOUT_S, 2)
        backing_up.result()
    # The HPA controller's first syncs can miss metrics of pods that just started: ready means ready twice.
    kube.wait_for("nodes, workloads and HPAs still ready", lambda: _cluster_ready(layout), READY_TIMEOUT_S, 2)
    progress(f"sandbox: ready in {time.monotonic() - started:.0f}s ({seen})")


def _start_backups(sup: Supervisor, group: list[ProcessSpec], layout: Layout, progress) -> None:
    """Start the object store and Velero; the first time, install Velero's location and schedules, take the first
    backup of each and run a restore drill."""
    _start_group(sup, group, progress)
    if (layout.root / "backed-up").exists():
        return
    progress("sandbox: installing Velero's location and schedules, first backups and a restore drill")
    backups.install(layout, progress)
    backups.first_backups(layout, progress)
    phase, found = backups.restore_drill(layout, progress)
    if phase != "Completed" or not found:
        raise ComponentError("velero", f"the restore drill ended {phase} with {found} objects restored")
    (layout.root / "backed-up").touch()


SPAWNERS = ["agent"]


def down(layout: Layout, progress=print) -> list[str]:
    """Stop every component (reverse start order) and remove the cluster's data; returns ports still bound."""
    sup = Supervisor(layout.root)
    names = [s.name for s in specs(layout)]
    # The agent starts promtail processes: it stops first, or it starts one again behind our back.
    for name in SPAWNERS + [n for n in reversed(names) if n not in SPAWNERS]:
        if sup.pid(name) is not None:
            progress(f"  stopping {name}")
        sup.stop(name)
    for name in sup.known():                 # what the spawners started (promtails), now that none is running
        progress(f"  stopping {name}")
        sup.stop(name)
    for pid in sup.strays(layout.bin):
        progress(f"  stopping stray process {pid} (a sandbox process without a pid file)")
        sup.kill(pid)
    for sub in ("data", "config", "sinks", "bootstrapped", "backed-up", "workers", "faults.json", "load.json", "logs",
                "env.json"):
        path = layout.root / sub
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    shutil.rmtree(postgres_dir(layout), ignore_errors=True)
    return [f"{s.name}:{s.port}" for s in specs(layout) if s.port and port_open(s.port)]


def status(layout: Layout) -> list[tuple[str, str, str]]:
    """(component, state, detail) for every component; state is running, crashed or stopped."""
    sup = Supervisor(layout.root)
    known = set(sup.known())
    rows = []
    for spec in specs(layout):
        pid = sup.pid(spec.name)
        if pid is not None:
            rows.append((spec.name, "running", f"pid {pid}, port {spec.port}"))
        elif spec.name in known:
            tail = sup.log_tail(spec.name, 1)
            rows.append((spec.name, "crashed", f"not running; last log line: {tail[-200:] or '(empty)'}"))
        else:
            rows.append((spec.name, "stopped", ""))
    return rows
