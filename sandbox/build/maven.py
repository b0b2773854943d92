"""Fetch the sandbox's Java components from Maven Central with Maven's own client, into the build cache.

Each component is a pom under ``sandbox/build/java/<name>``; its dependencies are copied to
``<cache>/bin/java/<name>/lib`` and any sources under ``src`` are compiled to ``classes``. A stamp holds a hash
of the pom and sources, so a warm run does nothing.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from sandbox.run.paths import bin_dir, logged_build

SOURCES = Path(__file__).resolve().parent / "java"
NAMES = ("kafka", "opensearch")


class JavaBuildError(RuntimeError):
    pass


def home(name: str) -> Path:
    return bin_dir() / "java" / name


def classpath(name: str) -> str:
    return f"{home(name) / 'classes'}:{home(name) / 'lib'}/*"


def _digest(name: str) -> str:
    h = hashlib.sha256()
    for path in sorted((SOURCES / name).rglob("*")):
        if path.is_file():
            h.update(path.relative_to(SOURCES).as_posix().encode() + path.read_bytes())
    return h.hexdigest()[:16]


def is_built(name: str) -> bool:
    stamp = home(name) / ".stamp"
    return stamp.exists() and stamp.read_text().strip() == _digest(name)


def _run(cmd: list[str], log) -> None:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
        raise JavaBuildError(f"{cmd[0]} failed; see {log.name}")


def build(name: str, log) -> None:
    target = home(name)
    shutil.rmtree(target, ignore_errors=True)
    (target / "classes").mkdir(parents=True)
    _run(["mvn", "-q", "-B", "-f", str(SOURCES / name / "pom.xml"), "dependency:copy-dependencies",
          f"-DoutputDirectory={target / 'lib'}"], log)
    sources = [str(p) for p in (SOURCES / name).rglob("*.java")]
    if sources:
        _run(["javac", "-cp", f"{target / 'lib'}/*", "-d", str(target / "classes"), *sources], log)
    (target / ".stamp").write_text(_digest(name) + "\n")


def build_all(progress=print) -> None:
    for name in NAMES:
        if is_built(name):
            progress(f"[java] {name}: cached in {home(name)}")
            continue
        logged_build(f"[java] {name} (from Maven Central)", f"{name}-java.log", lambda log, n=name: build(n, log),
                     progress)
