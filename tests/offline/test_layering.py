"""Imports run one way: plugin > suites | chaos | reporting > fixtures > readiness, and nothing of the product
imports the sandbox (a platform the suite is pointed at, found through the env.json it writes, never through
its modules). The contracts are pyproject.toml's [tool.importlinter]; lint-imports checks them."""
import ast
import subprocess
import sys
from pathlib import Path

from readiness.version import VERDICT_CODE
from tests.suite_runner import ROOT

PRODUCT = ("plugin", "suites", "chaos", "reporting", "fixtures", "readiness")


def test_imports_keep_to_the_layers_and_never_reach_the_sandbox():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "2 kept, 0 broken" in proc.stdout, proc.stdout[-4000:]


def test_no_product_module_imports_the_project_inside_a_function():
    """An import inside a function hides a cycle from the reader and from lint-imports' layers: the layer is
    wrong. (A heavy third-party library imported lazily is fine; the project's own modules go to the top.)"""
    hidden = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for inner in ast.walk(node):
                    names = [inner.module or ""] if isinstance(inner, ast.ImportFrom) else \
                        [a.name for a in inner.names] if isinstance(inner, ast.Import) else []
                    if any(n.split(".")[0] in (*PRODUCT, "sandbox") for n in names):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno} imports {', '.join(names)}")
    assert not hidden, "\n".join(sorted(set(hidden)))


def test_the_suite_version_digests_every_package_of_the_product():
    """Carried-over evidence is keyed by the suite's version, a digest of the product's code: a package left out
    (as reports/ once was, after its code moved) would let another code's verdict stand."""
    assert sorted(VERDICT_CODE) == sorted(PRODUCT)
