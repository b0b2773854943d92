"""The suite's version as carried-over evidence records it: the package version and a digest of the code that
decides verdicts, so a verdict recorded by other check code is never taken as this code's."""
from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERDICT_CODE = ("plugin", "readiness", "fixtures", "suites", "chaos", "reporting")


@functools.cache
def suite_version() -> str:
    try:
        release = version("platform-readiness")
    except PackageNotFoundError:
        release = "checkout"
    digest = hashlib.sha256()
    for package in VERDICT_CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return f"{release}+{digest.hexdigest()[:12]}"
