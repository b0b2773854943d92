"""P2-IMAGES: every platform image comes from an allowed registry, tagged (or pinned by digest), never latest.

Adversarial table P2-IMAGES:
- job-pod: a Job's pod (or a CronJob's template) pulls postgres:latest from Docker Hub; only the Deployments,
  StatefulSets and DaemonSets were read
- cronjob-between-runs: a CronJob whose template pulls from Docker Hub has no pod at the moment of the check
- ephemeral-container: kubectl debug added an ephemeral container from docker.io/busybox to a running pod
- init-container: an init container pulls an unlisted image while the main containers are fine
- stale-pod: the template was fixed but a running pod of the old revision still runs the unlisted image
- registry-prefix-lookalike: registry.local.evil.io/x passes a prefix match of the allowed registry.local
- implicit-docker-hub: `postgres:15` (no registry: docker.io) passes because only explicit hosts were compared
- operator-pod: a pod owned by an operator's custom resource (no built-in owner) runs an unlisted image
- replication-controller: a ReplicationController at zero replicas whose template pulls python:latest
"""
from readiness import images
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data, require_listed
from suites.pod_sources import first_of_each_finding, platform_pod_sources


def image_problems(image: str, spec) -> list[str]:
    try:
        ref = images.parse(image)
    except images.InvalidImage as exc:
        return [str(exc)]
    found = [] if images.allowed(ref, spec.allowed_registries) else [f"registry {ref.registry} is not allowed"]
    if ref.tag in (None, "latest") and not ref.digest:
        found.append("untagged (latest)" if ref.tag is None else "tag latest")
    if spec.require_digest and not ref.digest:
        found.append("not pinned by digest")
    return found


@criterion("P2-IMAGES", 2, "Images from trusted registries", severity="critical",
           requirement="Every container image of the platform namespaces (init and ephemeral containers included, "
                       "in every pod whoever owns it and in every workload, Job and CronJob template) comes from "
                       "one of the profile's registries, carries an explicit tag other than latest, and is pinned "
                       "by digest where the profile requires it.",
           next_step="Mirror the image into the private registry, reference it there with a version tag (and "
                     "@sha256 digest where required), and roll the named workload.", profile_keys=("phase2.images",))
def test_images_from_allowed_registries_tagged_and_pinned(snapshot, profile):
    spec = profile.phase2.images
    require_listed(spec.allowed_registries, "phase2.images.allowed_registries", "allowed registries", "P2-IMAGES")
    found, rows, seen = [], [], 0
    for source in platform_pod_sources(snapshot, set(profile.platform.namespaces)):
        for key, container in source.containers():
            seen += 1
            image = container.get("image") or ""
            problems = image_problems(image, spec)
            rows.append([source.ref, source.workload, key, container.get("name"), image,
                         "; ".join(problems) or "ok"])
            if problems:
                found.append((source, f"{'ephemeral ' if key == 'ephemeralContainers' else ''}container "
                                      f"{container.get('name')}: image {image!r}: {'; '.join(problems)}"))
    require_data(seen, "platform containers", "pods and workload templates in the platform namespaces")
    attach_table("images", ["object", "workload", "list", "container", "image", "verdict"], rows)
    fail([f"{source.shown} {finding}" for source, finding in first_of_each_finding(found)])
