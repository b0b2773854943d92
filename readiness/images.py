"""Image references read as the container runtime reads them: ``docker-image-py``'s port of the reference
grammar of distribution (the library containerd and Docker use), so ``nginx``, ``docker.io/nginx`` and
``index.docker.io/library/nginx`` are one image and ``app:tag:extra`` is no image at all."""
from __future__ import annotations

from dataclasses import dataclass

from docker_image import reference


class InvalidImage(ValueError):
    """Not a reference the runtime could pull."""


@dataclass(frozen=True)
class Image:
    registry: str           # docker.io for Docker Hub, however it was written
    path: str               # library/nginx for an official image
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.path}"


def parse(image: str) -> Image:
    try:
        ref = reference.Reference.parse_normalized_named(image)
    except Exception as exc:   # the library raises its own exception per rule of the grammar
        raise InvalidImage(f"{image!r} is not a valid image reference ({exc})") from None
    registry, path = ref.split_hostname()
    return Image(registry, path, ref["tag"], ref["digest"])


def normalized_prefix(allowed: str) -> str:
    """A registry (``docker.io``) or a registry and path prefix (``index.docker.io/bitnami``), as the runtime
    names it: Docker Hub's other spellings become docker.io."""
    host, _, rest = allowed.strip().rstrip("/").partition("/")
    host = {"index.docker.io": "docker.io", "registry-1.docker.io": "docker.io"}.get(host.lower(), host.lower())
    return f"{host}/{rest}" if rest else host


def allowed(image: Image, registries: list[str]) -> bool:
    """From one of ``registries``: a registry host, or a registry and path prefix ending at a ``/``."""
    for entry in map(normalized_prefix, registries):
        name = f"{image.registry.lower()}/{image.path}"        # host names are case-insensitive, paths are not
        if image.registry.lower() == entry or name == entry or name.startswith(entry + "/"):
            return True
    return False
