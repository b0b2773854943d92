"""P1-STORAGE: one default StorageClass, every platform claim Bound, no failed or released volumes piling up."""
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail

DEFAULT_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def is_default(storage_class: dict) -> bool:
    annotations = storage_class["metadata"].get("annotations") or {}
    return any(annotations.get(a) == "true" for a in DEFAULT_ANNOTATIONS)


@criterion("P1-STORAGE", 1, "Persistent storage provisioned", severity="critical",
           requirement="Exactly one StorageClass is the default, every PersistentVolumeClaim of the platform "
                       "namespaces is Bound, and no more PersistentVolumes are Failed or Released than the profile "
                       "allows.",
           next_step="kubectl describe pvc: a Pending claim names its missing class, size or provisioner; mark "
                     "one StorageClass default; reclaim or delete Released volumes.", profile_keys=("phase1.storage",))
def test_default_storage_class_claims_bound_volumes_healthy(snapshot, profile):
    problems, rows = [], []
    classes = snapshot.items("storageclasses")
    defaults = sorted(c["metadata"]["name"] for c in classes if is_default(c))
    if not classes:
        problems.append("cluster: no StorageClass at all, so no claim can be provisioned")
    elif not defaults:
        problems.append(f"cluster: none of the {len(classes)} StorageClasses is the default "
                        f"({', '.join(sorted(c['metadata']['name'] for c in classes))})")
    elif len(defaults) > 1:
        problems.append(f"cluster: {len(defaults)} default StorageClasses ({', '.join(defaults)}), expected exactly 1")
    namespaces = set(profile.platform.namespaces)
    for claim in snapshot.items("persistentvolumeclaims"):
        meta = claim["metadata"]
        if meta.get("namespace") not in namespaces:
            continue
        phase = (claim.get("status") or {}).get("phase", "unknown")
        size = ((claim["spec"].get("resources") or {}).get("requests") or {}).get("storage", "?")
        storage_class = claim["spec"].get("storageClassName") or "(default)"
        rows.append(["claim", f"{meta['namespace']}/{meta['name']}", phase, size, storage_class])
        if phase != "Bound":
            problems.append(f"pvc {meta['namespace']}/{meta['name']}: {phase} (requests {size} of class "
                            f"{storage_class})")
    bad_volumes = []
    for volume in snapshot.items("persistentvolumes"):
        phase = (volume.get("status") or {}).get("phase", "unknown")
        rows.append(["volume", volume["metadata"]["name"], phase, (volume["spec"].get("capacity") or {}).get("storage"),
                     volume["spec"].get("storageClassName") or "-"])
        if phase in ("Failed", "Released"):
            bad_volumes.append(f"{volume['metadata']['name']} ({phase})")
    allowed = profile.phase1.storage.max_failed_or_released_pvs
    if len(bad_volumes) > allowed:
        problems.append(f"cluster: {len(bad_volumes)} PersistentVolumes Failed or Released ({', '.join(bad_volumes)}), "
                        f"allowed {allowed}")
    rows += [["storageclass", c["metadata"]["name"], "default" if is_default(c) else "-", "", c.get("provisioner")]
             for c in classes]
    attach_table("storage", ["kind", "object", "phase", "size", "class"], rows)
    fail(problems)
