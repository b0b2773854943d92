"""Image references and quantities read as the runtime and Kubernetes read them (table tests; the cases come
from distribution's reference grammar and Kubernetes' quantity format, not from the sandbox)."""
from __future__ import annotations

import pytest

from readiness import images
from readiness.quantity import quantity

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("text, registry, path, tag, digest", [
    ("nginx", "docker.io", "library/nginx", None, None),
    ("docker.io/nginx", "docker.io", "library/nginx", None, None),
    ("index.docker.io/library/nginx:1.25", "docker.io", "library/nginx", "1.25", None),
    ("docker.io/library/postgres:latest", "docker.io", "library/postgres", "latest", None),
    ("mlflow/mlflow:latest", "docker.io", "mlflow/mlflow", "latest", None),
    ("registry.local/254carbon/trino:1.0", "registry.local", "254carbon/trino", "1.0", None),
    ("localhost:5000/a/b@" + DIGEST, "localhost:5000", "a/b", None, DIGEST),
    ("localhost/a", "localhost", "a", None, None),
    ("foo.com:8080/bar:v1@" + DIGEST, "foo.com:8080", "bar", "v1", DIGEST),
    ("[::1]:5000/ns/app:1", "[::1]:5000", "ns/app", "1", None),
])
def test_image_references_normalised_as_the_runtime_does(text, registry, path, tag, digest):
    assert images.parse(text) == images.Image(registry, path, tag, digest)


@pytest.mark.parametrize("text", ["app:tag:extra", "", "a//b", "-abc/x", "nginx@sha256:abc", "Nginx", "a/b:",
                                  "a/" + "b" * 256, "nginx:" + "t" * 129])
def test_invalid_image_references_are_refused(text):
    with pytest.raises(images.InvalidImage):
        images.parse(text)


@pytest.mark.parametrize("image, allowed, expected", [
    ("nginx", ["docker.io"], True),
    ("nginx", ["index.docker.io"], True),
    ("docker.io/bitnami/kafka:3", ["index.docker.io/bitnami"], True),
    ("docker.io/bitnamix/kafka:3", ["docker.io/bitnami"], False),
    ("registry.local/254carbon/trino:1", ["registry.local/254carbon"], True),
    ("registry.local.evil.com/x:1", ["registry.local"], False),
    ("quay.io/x:1", ["registry.local"], False),
])
def test_allowed_registries_compare_normalised_names(image, allowed, expected):
    assert images.allowed(images.parse(image), allowed) is expected


@pytest.mark.parametrize("text, value", [
    ("1500m", 1.5), ("2Gi", 2 * 2**30), ("1e3", 1000.0), ("0.5", 0.5), ("128974848", 128974848.0),
    ("129e6", 129e6), ("123Mi", 123 * 2**20), ("100k", 1e5), ("1E", 1e18), ("250n", 250e-9)])
def test_quantities_parsed_by_the_kubernetes_client(text, value):
    assert quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["12ZZ", "1.5.5", "Gi", ""])
def test_quantities_kubernetes_refuses_are_errors(text):
    with pytest.raises(ValueError):
        quantity(text)
