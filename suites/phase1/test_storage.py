"""P1-STORAGE: one default StorageClass, every platform claim Bound to a volume that is bound back to it, no
failed or released volumes piling up.

A claim's ``Bound`` phase is half of a binding: the PersistentVolume's ``claimRef`` is the other half, and the
PV controller trusts the volume's (a claim whose volume names another claim is misbound and will be marked
Lost).

Adversarial table P1-STORAGE:
- claimref-mismatch: a claim says Bound to pv-1, whose claimRef names another claim (or an earlier claim of
  the same name, by uid): two claims think they own one volume
- bound-volume-missing: a Bound claim names a volumeName no PersistentVolume has (deleted underneath it)
- resize-infeasible: a Bound claim asks for 500Gi, holds 100Gi, and its expansion is ControllerResizeInfeasible
- claim-terminating: a Bound claim has a deletionTimestamp, held only by the pvc-protection finalizer until its
  pod goes
- local-volume-node-gone: a Bound local volume's node affinity selects a node that no longer exists, so its
  pod can never be scheduled again
- volume-released: a claim still says Bound while its volume is Released (the claim was deleted and recreated
  under the same name, or the binder never caught up)
- default-annotation-capitalized: the only class annotated is-default-class "True": Kubernetes reads only
  "true", so claims without a class get none
- volume-modify-infeasible: a Bound claim asks for VolumeAttributesClass gold; the driver answered the
  modification Infeasible (status.modifyVolumeStatus, condition ModifyVolumeError) and the volume keeps class
  silver: the claim is Bound and holds its size, but not the performance it asks for

A claim's VolumeAttributesClass (core/v1, Kubernetes 1.29+) is judged as its size is: what it holds
(``status.currentVolumeAttributesClassName``) must be what it asks for (``spec.volumeAttributesClassName``), and
a modification the external resizer marks Infeasible or Pending (``status.modifyVolumeStatus``), or reports as a
``ModifyVolumeError`` condition, fails the claim however its classes read.
"""
import math

from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.quantity import quantity
from readiness.verdict import fail, require_data

DEFAULT_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")
INFEASIBLE = ("ControllerResizeInfeasible", "NodeResizeInfeasible")
# PersistentVolumeClaimModifyVolumeStatus: Pending (cannot start: its class is missing or unmet), InProgress,
# Infeasible (the driver rejected it); a modification in progress is judged by the classes.
MODIFY_STUCK = ("Pending", "Infeasible")


def is_default(storage_class: dict) -> bool:
    annotations = storage_class["metadata"].get("annotations") or {}
    return any(annotations.get(a) == "true" for a in DEFAULT_ANNOTATIONS)


def _matches(requirement: dict, node: dict, fields: bool) -> bool:
    """One NodeSelectorRequirement against a node's labels (or, for matchFields, its metadata.name)."""
    values = requirement.get("values") or []
    if fields:
        have = {"metadata.name": node["metadata"]["name"]}.get(requirement.get("key"))
    else:
        have = (node["metadata"].get("labels") or {}).get(requirement.get("key"))
    op = requirement.get("operator")
    if op == "In":
        return have in values
    if op == "NotIn":
        return have not in values
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt"):
        try:
            return (int(have) > int(values[0])) if op == "Gt" else (int(have) < int(values[0]))
        except (TypeError, ValueError, IndexError):
            return False
    raise ValueError(f"node selector operator {op!r} is not one Kubernetes knows")


def selects_node(node_selector: dict, node: dict) -> bool:
    """A NodeSelector: its terms are ORed, each term's requirements ANDed; a term with none selects nothing."""
    for term in node_selector.get("nodeSelectorTerms") or []:
        exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
        if (exprs or fields) and all(_matches(r, node, False) for r in exprs) and all(
                _matches(r, node, True) for r in fields):
            return True
    return False


def _attributes_problems(ref: str, spec: dict, status: dict) -> list[str]:
    """The claim's VolumeAttributesClass: the one it asks for is the one it holds, and no modification of it is
    stuck."""
    wanted, held = spec.get("volumeAttributesClassName"), status.get("currentVolumeAttributesClassName")
    modify = status.get("modifyVolumeStatus") or {}
    error = next((c for c in status.get("conditions") or [] if c.get("type") == "ModifyVolumeError"
                  and c.get("status") == "True"), None)
    said = []
    if modify.get("status") in MODIFY_STUCK:
        said.append(f"modification to class {modify.get('targetVolumeAttributesClassName') or '?'} "
                    f"{modify['status']}")
    if error:
        said.append(f"ModifyVolumeError: {error.get('message') or error.get('reason') or 'no message'}")
    if wanted and wanted != held:
        return [f"{ref}: holds VolumeAttributesClass {held or '(none)'}, expected the {wanted} it requests"
                + (f" ({'; '.join(said)})" if said else
                   f" (modification {modify['status']})" if modify.get("status") else "")]
    if said:
        return [f"{ref}: VolumeAttributesClass {held or '(none)'}: {'; '.join(said)}, expected the modification "
                "to succeed or be withdrawn"]
    return []


def _claim_problems(claim: dict, volumes: dict[str, dict], nodes: list[dict]) -> list[str]:
    meta, spec, status = claim["metadata"], claim.get("spec") or {}, claim.get("status") or {}
    ref = f"pvc {meta['namespace']}/{meta['name']}"
    phase = status.get("phase", "unknown")
    size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "?")
    if phase != "Bound":
        return [f"{ref}: {phase} (requests {size} of class {spec.get('storageClassName') or '(default)'})"]
    problems = []
    if meta.get("deletionTimestamp"):
        problems.append(f"{ref}: being deleted since {meta['deletionTimestamp']} (held by finalizers "
                        f"{', '.join(meta.get('finalizers') or []) or 'none'}), expected to stay")
    name = spec.get("volumeName")
    volume = volumes.get(name)
    if volume is None:
        return problems + [f"{ref}: Bound to PersistentVolume {name or '(none)'}, which does not exist"]
    back = (volume.get("spec") or {}).get("claimRef") or {}
    if (back.get("namespace"), back.get("name")) != (meta["namespace"], meta["name"]) or (
            back.get("uid") and meta.get("uid") and back["uid"] != meta["uid"]):
        problems.append(f"{ref}: Bound to PersistentVolume {name}, whose claimRef is "
                        f"{back.get('namespace')}/{back.get('name')} (uid {back.get('uid', '?')}), expected this "
                        f"claim (uid {meta.get('uid', '?')})")
    volume_phase = (volume.get("status") or {}).get("phase", "unknown")
    if volume_phase != "Bound":
        problems.append(f"{ref}: Bound to PersistentVolume {name}, which is {volume_phase}, expected Bound")
    capacity = (status.get("capacity") or {}).get("storage")
    if capacity and not math.isfinite(quantity(capacity)):      # NaN compares false with every size
        problems.append(f"{ref}: holds {capacity!r}, which is no quantity, expected the {size} it requests")
    elif capacity and size != "?" and quantity(capacity) < quantity(size):
        resize = ", ".join(f"{k} {v}" for k, v in (status.get("allocatedResourceStatuses") or {}).items())
        problems.append(f"{ref}: holds {capacity}, expected the {size} it requests"
                        + (f" (resize: {resize})" if resize else ""))
    problems += _attributes_problems(ref, spec, status)
    affinity = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if affinity and not any(selects_node(affinity, node) for node in nodes):
        problems.append(f"{ref}: its PersistentVolume {name} may only be used on nodes its node affinity selects, "
                        "and no node matches it")
    return problems


@criterion("P1-STORAGE", 1, "Persistent storage provisioned", severity="critical",
           requirement="Exactly one StorageClass is the default; every PersistentVolumeClaim of the platform "
                       "namespaces is Bound to a volume whose claimRef is that claim, holds the capacity and the "
                       "volume attributes class it requests (no modification of it infeasible or pending), is not "
                       "being deleted and can be mounted on some node; and no more "
                       "PersistentVolumes are Failed or Released than the profile allows.",
           next_step="kubectl describe pvc and its pv: a Pending claim names its missing class, size or "
                     "provisioner; a misbound or lost claim needs its volume's claimRef looked at; mark one "
                     "StorageClass default; reclaim or delete Released volumes.", profile_keys=("phase1.storage",))
def test_default_storage_class_claims_bound_volumes_healthy(snapshot, profile):
    problems, rows = [], []
    classes = snapshot.items("storageclasses")
    defaults = sorted(c["metadata"]["name"] for c in classes if is_default(c))
    if not classes:
        problems.append("cluster: no StorageClass at all, so no claim can be provisioned")
    elif not defaults:
        problems.append(f"cluster: none of the {len(classes)} StorageClasses is the default "
                        f"({', '.join(sorted(c['metadata']['name'] for c in classes))}; Kubernetes reads only "
                        "the annotation value \"true\")")
    elif len(defaults) > 1:
        problems.append(f"cluster: {len(defaults)} default StorageClasses ({', '.join(defaults)}), expected exactly 1")
    namespaces = set(profile.platform.namespaces)
    volumes = {v["metadata"]["name"]: v for v in snapshot.items("persistentvolumes")}
    claims = [c for c in snapshot.items("persistentvolumeclaims") if c["metadata"].get("namespace") in namespaces]
    nodes = []
    if any(((volumes.get((c.get("spec") or {}).get("volumeName")) or {}).get("spec") or {}).get("nodeAffinity")
           for c in claims):
        nodes = snapshot.items("nodes")
        require_data(nodes, "kubernetes nodes", "GET /api/v1/nodes (to place volumes with node affinity)")
    for claim in claims:
        meta, spec = claim["metadata"], claim.get("spec") or {}
        rows.append(["claim", f"{meta['namespace']}/{meta['name']}", (claim.get("status") or {}).get("phase"),
                     ((spec.get("resources") or {}).get("requests") or {}).get("storage", "?"),
                     spec.get("storageClassName") or "(default)"])
        problems += _claim_problems(claim, volumes, nodes)
    bad_volumes = []
    for volume in volumes.values():
        phase = (volume.get("status") or {}).get("phase", "unknown")
        rows.append(["volume", volume["metadata"]["name"], phase,
                     ((volume.get("spec") or {}).get("capacity") or {}).get("storage"),
                     (volume.get("spec") or {}).get("storageClassName") or "-"])
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
