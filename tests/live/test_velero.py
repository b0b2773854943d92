"""The platform's backups are Velero's own: backups Velero wrote, with their contents in SeaweedFS's bucket, and a
restore drill that restored."""
from __future__ import annotations

import requests

from sandbox.manifests import platform
from sandbox.run.kube import get_json

SCHEDULE_LABEL = "velero.io/schedule-name"


def _bucket_listing(layout, path: str) -> list[str]:
    """What SeaweedFS's filer holds under the bucket's ``path`` (its own JSON listing of a directory)."""
    url = f"{layout.url('seaweedfs_filer')}/buckets/{platform.BACKUP_BUCKET}/{path}/"
    answer = requests.get(url, headers={"Accept": "application/json"}, params={"limit": 1000}, timeout=10)
    assert answer.status_code == 200, f"GET {url}: HTTP {answer.status_code} {answer.text[:200]}"
    return [entry["FullPath"].rsplit("/", 1)[-1] for entry in answer.json().get("Entries") or []]


def test_every_schedule_has_a_backup_velero_wrote_into_the_bucket(sandbox):
    backups = get_json(sandbox, "-n", platform.BACKUP_NS, "backups")["items"]
    scheduled = {b["metadata"]["labels"].get(SCHEDULE_LABEL) for b in backups
                 if (b["status"] or {}).get("phase") == "Completed"}
    assert set(platform.SCHEDULES) <= scheduled, f"schedules without a Completed backup: {scheduled}"
    in_bucket = set(_bucket_listing(sandbox, "backups"))
    for backup in backups:
        name, status = backup["metadata"]["name"], backup["status"]
        if status.get("phase") != "Completed":
            continue
        progress = status.get("progress") or {}
        assert progress.get("itemsBackedUp", 0) > 100 and progress["itemsBackedUp"] == progress.get("totalItems"), \
            f"{name}: {progress}"
        assert status.get("formatVersion") and status.get("expiration"), f"{name}: {status}"
        assert name in in_bucket, f"backup {name} is not in the bucket (it holds {sorted(in_bucket)})"
        files = _bucket_listing(sandbox, f"backups/{name}")
        assert f"{name}.tar.gz" in files and "velero-backup.json" in files, f"{name}: {files}"


def test_the_restore_drill_restored_the_namespace_into_a_scratch_one(sandbox):
    restores = [r for r in get_json(sandbox, "-n", platform.BACKUP_NS, "restores")["items"]
                if (r["status"] or {}).get("phase") == "Completed"]
    assert restores, "no Completed restore"
    drill = max(restores, key=lambda r: r["status"]["completionTimestamp"])
    name = drill["metadata"]["name"]
    assert drill["spec"]["namespaceMapping"] == {"data-platform": name}, drill["spec"]
    assert drill["status"]["progress"]["itemsRestored"] > 50, drill["status"]
    assert not drill["status"].get("errors"), drill["status"]
    # Velero labels what it creates with the restore's name; the drill's modifiers scaled the copies to zero.
    live = get_json(sandbox, "-n", "data-platform", "deployments,statefulsets")["items"]
    copies = get_json(sandbox, "-n", name, "deployments,statefulsets", "-l", f"velero.io/restore-name={name}")["items"]
    assert {(w["kind"], w["metadata"]["name"]) for w in copies} == {(w["kind"], w["metadata"]["name"]) for w in live}
    assert all(w["spec"]["replicas"] == 0 for w in copies), [(w["metadata"]["name"], w["spec"]) for w in copies]
