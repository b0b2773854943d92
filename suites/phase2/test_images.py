"""P2-IMAGES: every platform image comes from an allowed registry, tagged (or pinned by digest), never latest."""
from readiness import images
from readiness.criteria import criterion
from readiness.evidence import attach_table
from readiness.verdict import fail, require_data, require_listed
from suites.workloads import platform_pod_specs


@criterion("P2-IMAGES", 2, "Images from trusted registries", severity="critical",
           requirement="Every container image of the platform namespaces comes from one of the profile's "
                       "registries, carries an explicit tag other than latest, and is pinned by digest where the "
                       "profile requires it.",
           next_step="Mirror the image into the private registry, reference it there with a version tag (and "
                     "@sha256 digest where required), and roll the named workload.", profile_keys=("phase2.images",))
def test_images_from_allowed_registries_tagged_and_pinned(snapshot, profile):
    spec = profile.phase2.images
    require_listed(spec.allowed_registries, "phase2.images.allowed_registries", "allowed registries", "P2-IMAGES")
    problems, rows, seen = [], [], 0
    for kind, namespace, name, pod_spec in platform_pod_specs(snapshot, set(profile.platform.namespaces)):
        for container in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
            seen += 1
            image = container.get("image") or ""
            try:
                ref = images.parse(image)
            except images.InvalidImage as exc:
                ref, found = None, [str(exc)]
            if ref is not None:
                found = [] if images.allowed(ref, spec.allowed_registries) else \
                    [f"registry {ref.registry} is not allowed"]
                if ref.tag in (None, "latest") and not ref.digest:
                    found.append("untagged (latest)" if ref.tag is None else "tag latest")
                if spec.require_digest and not ref.digest:
                    found.append("not pinned by digest")
            rows.append([kind, f"{namespace}/{name}", container["name"], image, "; ".join(found) or "ok"])
            if found:
                problems.append(f"{kind} {namespace}/{name} container {container['name']}: image {image!r}: "
                                f"{'; '.join(found)}")
    require_data(seen, "platform containers", "workloads in the platform namespaces")
    attach_table("images", ["kind", "object", "container", "image", "verdict"], rows)
    fail(problems)
