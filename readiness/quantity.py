"""Kubernetes resource quantities, read by the Kubernetes client's own parser (``1500m``, ``2Gi``, ``1e3``)."""
from __future__ import annotations

from kubernetes.utils import parse_quantity


def quantity(text) -> float:
    """The quantity as a number; ValueError for text Kubernetes would not accept."""
    return float(parse_quantity(str(text)))
