"""Argo CD's objects read as Argo CD 3.5.7 reads them (``pkg/apis/application/v1alpha1/types.go``,
``controller/appcontroller.go``, ``util/argo/resource_tracking.go``, and the sync phases of its gitops-engine).

- **Reconciliation.** The application controller compares every Application with git every
  ``timeout.reconciliation`` (120 s) plus up to ``timeout.reconciliation.jitter`` (60 s), and stamps
  ``status.reconciledAt`` each time it compares with the latest revision (``CompareWithLatest``). Nothing else
  writes it: a controller that stopped leaves its last Synced/Healthy status behind, with an old stamp.
- **What was compared.** ``status.sync.comparedTo`` holds the source (or ``sources``) and destination the
  comparison used (``BuildComparedToStatus``); the controller compares again as soon as the spec differs from it
  (``needRefreshAppStatus``). A sync status whose comparedTo is not the current spec describes an older spec.
  A source hydrator's sync source stands for the sources; ``spec.sources`` wins over ``spec.source``.
- **Conditions.** A condition type ending in ``Error`` is an error (``ApplicationCondition.IsError``):
  ComparisonError, SyncError, InvalidSpecError, UnknownError, DeletionError. Warnings are informational.
- **Operations.** ``status.operationState.phase`` is Running, Terminating, Failed, Error or Succeeded; Failed and
  Error are completed unsuccessfully. Argo CD has no sync timeout by default (``controller.sync.timeout.seconds``
  0), so a sync waiting on a hook runs forever.
- **Automated sync.** ``spec.syncPolicy.automated`` enables it unless its ``enabled`` is false
  (``IsAutomatedSyncEnabled``, Argo CD 3); ``prune`` and ``selfHeal`` are false unless set.
- **Tracking.** ``application.resourceTrackingMethod`` is ``annotation`` unless argocd-cm says otherwise (Argo
  CD 3): the ``argocd.argoproj.io/tracking-id`` annotation, ``<app>:<group>/<kind>:<namespace>/<name>``, counts
  only when it names the object that carries it (``isSelfReferencedObj``: a copied annotation does not); with
  ``label``, the ``app.kubernetes.io/instance`` label. Both name the Application's instance name: its name in
  the control plane's namespace, ``<namespace>_<name>`` elsewhere (``InstanceName``).
"""
from __future__ import annotations

TRACKING_LABEL = "app.kubernetes.io/instance"           # application.instanceLabelKey's default
TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
OPERATION_PHASES = ("Running", "Terminating", "Failed", "Error", "Succeeded")
FAILED_PHASES = ("Failed", "Error")


def ref(app: dict) -> str:
    return f"{app['metadata'].get('namespace', '')}/{app['metadata']['name']}"


def project(app: dict) -> str:
    """The empty project is the default one (ApplicationSpec.Project)."""
    return (app.get("spec") or {}).get("project") or "default"


def instance_name(app: dict, control_plane: str) -> str:
    """How tracking names ``app`` (Application.InstanceName)."""
    namespace, name = app["metadata"].get("namespace") or "", app["metadata"]["name"]
    return name if namespace in ("", control_plane) else f"{namespace}_{name}"


def automated_enabled(spec: dict) -> bool:
    automated = (spec.get("syncPolicy") or {}).get("automated")
    return automated is not None and automated.get("enabled") is not False


def _plain(value):
    """A value as Go's structs hold it after JSON: an empty string, list, map or null is the field left out."""
    if isinstance(value, dict):
        kept = {k: _plain(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def sync_sources(spec: dict) -> tuple[str, list[dict]]:
    """('sources' or 'source', the sources the controller compares) as GetSources/HasMultipleSources read them."""
    hydrator = spec.get("sourceHydrator")
    if hydrator:
        sync, dry = hydrator.get("syncSource") or {}, hydrator.get("drySource") or {}
        return "source", [_plain({"repoURL": sync.get("repoURL") or dry.get("repoURL"), "path": sync.get("path"),
                                  "targetRevision": sync.get("targetBranch")})]
    if spec.get("sources"):
        return "sources", [_plain(s) for s in spec["sources"]]
    return "source", [_plain(spec.get("source") or {})]


def _source_text(source: dict) -> str:
    where = source.get("chart") or source.get("path") or ""
    return f"{source.get('repoURL', '?')} {where}@{source.get('targetRevision', 'HEAD')}".replace(" @", "@")


def uncompared(app: dict) -> str | None:
    """What of the spec the controller has not compared (status.sync.comparedTo differs from it), or None."""
    spec, compared = app.get("spec") or {}, ((app.get("status") or {}).get("sync") or {}).get("comparedTo")
    if not compared:
        return "never compared (no status.sync.comparedTo)"
    key, wanted = sync_sources(spec)
    if key == "sources":
        seen = [_plain(s) for s in compared.get("sources") or []]
        if seen != wanted:
            return (f"spec.sources ({'; '.join(map(_source_text, wanted))}) differ from the compared ones "
                    f"({'; '.join(map(_source_text, seen)) or 'none'})")
    else:
        seen_one = _plain(compared.get("source") or {})
        if seen_one != wanted[0]:
            return f"spec.source {_source_text(wanted[0])} differs from the compared {_source_text(seen_one)}"
    for field in ("destination", "ignoreDifferences"):
        wanted_field, seen_field = _plain({field: spec.get(field)}), _plain({field: compared.get(field)})
        if wanted_field != seen_field:
            return f"spec.{field} differs from the compared one ({seen_field.get(field) or 'none'})"
    return None


def error_conditions(app: dict) -> list[dict]:
    return [c for c in (app.get("status") or {}).get("conditions") or [] if str(c.get("type", "")).endswith("Error")]


def tracking(obj: dict, kind: str, group: str, method: str) -> tuple[str | None, str | None]:
    """(the instance name tracking gives ``obj``, None) or (None, why nothing tracks it), as Argo CD's
    GetAppName reads it under ``method``."""
    meta = obj["metadata"]
    label = (meta.get("labels") or {}).get(TRACKING_LABEL)
    if method == "label":
        return (label, None) if label else (None, f"no {TRACKING_LABEL} label (tracking method label)")
    value = (meta.get("annotations") or {}).get(TRACKING_ANNOTATION)
    if not value:
        why = f"no {TRACKING_ANNOTATION} annotation (tracking method {method})"
        if label:
            why += (f"; its {TRACKING_LABEL} label {label!r} does not track it (a Helm release's own label?)")
        return None, why
    parts = value.split(":", 2)
    kinds, names = (parts[1].split("/"), parts[2].split("/")) if len(parts) == 3 else ([], [])
    if len(kinds) != 2 or len(names) != 2:
        return None, (f"{TRACKING_ANNOTATION} {value!r} is not <application>:<group>/<kind>:<namespace>/<name>, "
                      "so Argo CD cannot read it")
    namespace = meta.get("namespace") or ""
    if (kinds[0], kinds[1], names[1]) != (group, kind, meta["name"]) or namespace not in (names[0], ""):
        return None, (f"{TRACKING_ANNOTATION} {value!r} names another object (copied from it?), so Argo CD does "
                      "not count it")
    return parts[0], None
