"""Run a check once per object the profile lists (one HPA, one PDB ... per case) for a clearer report.

A profile that lists none does not make the criterion "does not apply": its one case is broken, with a
message that says how to list them or how to skip the criterion with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

MISSING_MARK = "profile_missing"


@dataclass(frozen=True)
class PerProfile:
    argname: str
    path: str                   # dotted path of the list in the profile, e.g. phase3.hpas
    noun: str                   # what the list holds, for the message: "HPAs"
    ident: Callable = staticmethod(lambda obj: obj.ref)


def per_profile(argname: str, path: str, noun: str, ident: Callable | None = None):
    """Parametrize ``argname`` with the objects the profile lists at ``path``."""
    def mark(fn):
        fn.per_profile = PerProfile(argname, path, noun, ident or (lambda obj: obj.ref))
        return fn
    return mark


def parametrize(metafunc: pytest.Metafunc, profile) -> None:
    spec: PerProfile | None = getattr(metafunc.function, "per_profile", None)
    if spec is None or spec.argname not in metafunc.fixturenames:
        return
    objects = list((profile.at(spec.path) if profile else None) or [])
    if not objects:
        metafunc.parametrize(spec.argname, [pytest.param(None, marks=pytest.mark.profile_missing(spec.path, spec.noun))],
                             ids=["missing-in-profile"])
        return
    metafunc.parametrize(spec.argname, objects, ids=[spec.ident(o) for o in objects])


def missing_reason(item: pytest.Item, criterion_id: str) -> str | None:
    marker = item.get_closest_marker(MISSING_MARK)
    if marker is None:
        return None
    path, noun = marker.args
    return f"the profile lists no {noun} ({path}): list them, or add {criterion_id} to skip with a reason"
