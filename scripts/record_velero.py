"""Record what phase 5's checks read from the running sandbox, as its API server lists it, for
tests/offline/test_velero_recorded.py: Velero's objects, every namespace and claim, and the top-level objects of
data-platform and of the restore drills' namespaces.

    python scripts/record_velero.py NAME     # writes tests/offline/recorded/velero/NAME.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.manifests import platform  # noqa: E402
from sandbox.run.kube import get_json  # noqa: E402
from sandbox.run.layout import Layout  # noqa: E402
from sandbox.services import backups  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "offline" / "recorded" / "velero"
VELERO_KINDS = ("backupstoragelocations", "schedules", "backups", "restores")
CLUSTER_KINDS = ("namespaces", "persistentvolumeclaims")
NAMESPACED_KINDS = ("deployments", "statefulsets", "daemonsets", "cronjobs", "services")


def _trimmed(obj: dict) -> dict:
    meta = obj["metadata"]
    meta.pop("managedFields", None)
    (meta.get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return obj


def record(layout: Layout) -> dict[str, list]:
    answer = {kind: get_json(layout, "-n", platform.BACKUP_NS, kind)["items"] for kind in VELERO_KINDS}
    answer |= {kind: get_json(layout, kind, "-A")["items"] for kind in CLUSTER_KINDS}
    for kind in NAMESPACED_KINDS:
        answer[kind] = [obj for ns in [backups.RESTORE_NAMESPACE, *backups.scratch_namespaces(layout)]
                        for obj in get_json(layout, "-n", ns, kind)["items"]]
    return {kind: [_trimmed(obj) for obj in items] for kind, items in answer.items()}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/record_velero.py NAME")
    path = OUT / f"{sys.argv[1]}.json"
    path.write_text(json.dumps(record(Layout.default()), indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}")
