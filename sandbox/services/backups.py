"""The platform's backups: a real Velero writing to a real S3 bucket.

SeaweedFS (Apache-2.0; MinIO is AGPL) serves the bucket through its S3 gateway. ``velero server`` (v1.18.3,
Apache-2.0) runs outside the cluster against the sandbox API server with the kubeconfig, and loads its AWS plugin
(v1.14.3, Apache-2.0) from a plugin directory, as it loads it from an init container in a cluster. Velero
validates the location, takes the backups and restores, and writes every status; the sandbox only does what an
operator does: create the bucket and its key, apply the location, its credentials and the schedules, take the
first backup of each schedule at install and run the restore drill. Backups save API objects: the claims'
volumes are hostPath ones that no snapshotter takes, and file-system backup only reads volumes that a running
pod mounts, which kwok's pods do not.
"""
from __future__ import annotations

import subprocess
import time

import requests

from sandbox.manifests import platform
from sandbox.run import kube
from sandbox.run.layout import Layout
from sandbox.run.processes import ComponentError, ProcessSpec

VELERO_NS = platform.BACKUP_NS
S3_USER = "velero"
ACCESS_KEY, SECRET_KEY = "velero-sandbox", "velero-sandbox-secret-key-0001"
ROTATED_KEY, ROTATED_SECRET = "velero-sandbox-2", "velero-sandbox-secret-key-0002"
S3_ACTIONS = "Read,Write,List,Tagging,Admin"
RESTORE_NAMESPACE, SCRATCH_PREFIX = "data-platform", "restore-test-"
WAIT_S = 120


def s3_url(layout: Layout) -> str:
    return layout.url("seaweedfs_s3")


def specs(layout: Layout) -> list[ProcessSpec]:
    p, data = layout.ports, layout.data
    weed = ProcessSpec(
        "seaweedfs", [str(layout.bin / "weed"), "server", f"-dir={data / 'seaweedfs'}", "-ip=127.0.0.1",
                      "-ip.bind=127.0.0.1", f"-master.port={p.seaweedfs_master}",
                      f"-volume.port={p.seaweedfs_volume}", "-filer", f"-filer.port={p.seaweedfs_filer}", "-s3",
                      f"-s3.port={p.seaweedfs_s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                      "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=16"],
        port=p.seaweedfs_s3, ready=lambda: _s3_answers(layout))
    velero = ProcessSpec(
        "velero", [str(layout.bin / "velero"), "server", f"--kubeconfig={layout.kubeconfig}",
                   f"--namespace={VELERO_NS}", "--uploader-type=kopia", "--default-volumes-to-fs-backup",
                   f"--plugin-dir={plugin_dir(layout)}", f"--metrics-address=127.0.0.1:{p.velero_metrics}",
                   f"--profiler-address=127.0.0.1:{p.velero_profiler}", "--backup-sync-period=30s",
                   "--log-format=text"],
        port=p.velero_metrics, ready=lambda: _metrics_answer(layout), env={"VELERO_NAMESPACE": VELERO_NS})
    return [weed, velero]


def plugin_dir(layout: Layout):
    return layout.data / "velero-plugins"


def prepare(layout: Layout) -> None:
    """SeaweedFS's data directory, and the plugin directory Velero scans for plugin binaries (its install puts them
    in /plugins)."""
    (layout.data / "seaweedfs").mkdir(parents=True, exist_ok=True)
    plugins = plugin_dir(layout)
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "velero-plugin-for-aws"
    if not link.exists():
        link.symlink_to(layout.bin / "velero-plugin-for-aws")


def _s3_answers(layout: Layout) -> bool:
    """The gateway answers, even if only to refuse an unsigned request (an error here is 'not yet': wait_ready)."""
    return requests.get(s3_url(layout), timeout=1).status_code < 500


def _metrics_answer(layout: Layout) -> bool:
    return requests.get(f"http://127.0.0.1:{layout.ports.velero_metrics}/metrics", timeout=1).status_code == 200


def weed_shell(layout: Layout, *commands: str, tolerated: str = "") -> str:
    """Run commands in ``weed shell``, as an operator manages SeaweedFS; an ``error:`` line it prints, other than
    one containing ``tolerated``, is raised."""
    proc = subprocess.run([str(layout.bin / "weed"), "shell", f"-master=127.0.0.1:{layout.ports.seaweedfs_master}"],
                          input="\n".join([*commands, "exit"]) + "\n", capture_output=True, text=True, timeout=60)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines()
              if line.startswith("error") and not (tolerated and tolerated in line)]
    if errors:
        raise RuntimeError(f"weed shell {'; '.join(commands)}: {'; '.join(errors)[:400]}")
    return proc.stdout


def set_key(layout: Layout, access_key: str, secret_key: str) -> None:
    """Give the bucket's user this key pair and delete its other keys: rotating the key, as an operator does."""
    others = [key for key in (ACCESS_KEY, ROTATED_KEY) if key != access_key]
    weed_shell(layout, f"s3.configure -user={S3_USER} -access_key={access_key} -secret_key={secret_key} "
                       f"-actions={S3_ACTIONS} -apply",
               *(f"s3.configure -user={S3_USER} -access_key={key} -delete -apply" for key in others))


def install(layout: Layout, progress=print) -> None:
    """What an operator does once: the bucket and its key, then Velero's location, credentials and schedules."""
    weed_shell(layout, f"s3.bucket.create -name {platform.BACKUP_BUCKET}", tolerated="already exists")
    set_key(layout, ACCESS_KEY, SECRET_KEY)
    kube.apply(layout, platform.velero_objects(s3_url(layout), ACCESS_KEY, SECRET_KEY, RESTORE_NAMESPACE))
    kube.wait_for("Velero validated the backup location", lambda: location_phase(layout, "Available"), WAIT_S, 1)
    progress("  velero: location default Available (validated by Velero)")


def location_phase(layout: Layout, wanted: str) -> tuple[bool, str]:
    status = kube.get_json(layout, "-n", VELERO_NS, "backupstoragelocation", "default").get("status") or {}
    return status.get("phase") == wanted, f"phase {status.get('phase')}, {status.get('message') or 'no message'}"


def velero(layout: Layout, *args: str, timeout: float = WAIT_S) -> str:
    proc = subprocess.run([str(layout.bin / "velero"), f"--kubeconfig={layout.kubeconfig}", "-n", VELERO_NS,
                           *args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"velero {' '.join(args[:3])}: {(proc.stderr or proc.stdout).strip()[-400:]}")
    return proc.stdout


def back_up(layout: Layout, schedule: str) -> str:
    """A backup from the schedule's template now (``velero backup create --from-schedule``), waited for."""
    name = f"{schedule}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    velero(layout, "backup", "create", name, "--from-schedule", schedule, "--wait")
    return name


def first_backups(layout: Layout, progress=print) -> None:
    """Velero takes a schedule's first backup at its next cron time: at install an operator takes one now."""
    for schedule in platform.SCHEDULES:
        name = back_up(layout, schedule)
        phase = backup_phase(layout, name)
        progress(f"  velero: backup {name} {phase}")
        if phase != "Completed":
            raise ComponentError("velero", f"backup {name} ended {phase} (velero backup logs {name})")


def backup_phase(layout: Layout, name: str) -> str:
    return (kube.get_json(layout, "-n", VELERO_NS, "backup", name).get("status") or {}).get("phase", "none")


def restore_drill(layout: Layout, progress=print) -> tuple[str, int]:
    """Restore the daily schedule's newest backup of ``data-platform`` into a scratch namespace of its own (named
    as the restore), its workloads scaled to zero (platform.drill_modifiers), and keep it: the restore test
    criterion looks for the restored objects there. Once the restore Completed, earlier drills' namespaces are
    deleted; a failed drill leaves the last good one's. Returns the restore's phase and the objects found."""
    name = f"{SCRATCH_PREFIX}{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    velero(layout, "restore", "create", name, "--from-schedule", "daily-platform", "--include-namespaces",
           RESTORE_NAMESPACE, "--namespace-mappings", f"{RESTORE_NAMESPACE}:{name}",
           "--resource-modifier-configmap", platform.DRILL_MODIFIERS, "--wait")
    status = kube.get_json(layout, "-n", VELERO_NS, "restore", name).get("status") or {}
    found = kube.kubectl(layout, "-n", name, "get", "deployments,statefulsets,services",
                         "-l", f"velero.io/restore-name={name}", "-o", "name", check=False).stdout.split()
    progress(f"  velero: restore {name} {status.get('phase')}, "
             f"{(status.get('progress') or {}).get('itemsRestored', 0)} items restored, {len(found)} workloads "
             f"and services in namespace {name} labelled as restored by it")
    if status.get("phase") == "Completed":
        earlier = [n for n in scratch_namespaces(layout) if n != name]
        if earlier:
            kube.kubectl(layout, "delete", "namespace", *earlier, "--wait=false")
    return status.get("phase", "none"), len(found)


def scratch_namespaces(layout: Layout) -> list[str]:
    names = kube.kubectl(layout, "get", "namespaces", "-o", "name").stdout.split()
    return [n.removeprefix("namespace/") for n in names if n.startswith(f"namespace/{SCRATCH_PREFIX}")]
