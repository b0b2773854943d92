"""Parametrize a criterion per profile object (one HPA, one PDB ... per case) for a clearer report."""
from __future__ import annotations

import pytest

from readiness.plugin import PROFILE_KEY


def per_profile_objects(metafunc: pytest.Metafunc, argname: str, pick, ident=lambda obj: obj.ref) -> None:
    """Parametrize ``argname`` with ``pick(profile)``; ids are the objects' namespace/name."""
    if argname not in metafunc.fixturenames:
        return
    profile = metafunc.config.stash.get(PROFILE_KEY, None)
    objects = list(pick(profile)) if profile else []
    if not objects:
        metafunc.parametrize(argname, [pytest.param(None, marks=pytest.mark.skip(
            reason=f"the profile lists no {argname} objects to check"))], ids=["none-in-profile"])
        return
    metafunc.parametrize(argname, objects, ids=[ident(o) for o in objects])
