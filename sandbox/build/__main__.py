"""Build the sandbox's components into the cache outside the source tree: Go (sandbox/build/go.py) and Java
(sandbox/build/maven.py). ``python -m sandbox up`` builds them too; this builds without starting anything.

    python -m sandbox.build            # build what is missing, with progress
    python -m sandbox.build --list     # what would be built, and where
    python -m sandbox.build kwok etcd  # only these Go components
"""
from __future__ import annotations

import argparse
import sys

from sandbox.build import go, maven


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.build", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("components", nargs="*", help="only these (default: all)")
    parser.add_argument("--list", action="store_true", help="list components and their state")
    args = parser.parse_args(argv)
    unknown = set(args.components) - {c.name for c in go.COMPONENTS}
    if unknown:
        parser.error(f"unknown component(s) {sorted(unknown)}; choose from {[c.name for c in go.COMPONENTS]}")
    if args.list:
        for c in go.COMPONENTS:
            print(f"{c.name:16} {c.version:10} {'built' if c.is_built() else 'missing':8} {', '.join(c.binaries)}")
        return 0
    try:
        go.build_all(args.components or None, progress=lambda m: print(m, flush=True))
        if not args.components:
            maven.build_all(progress=lambda m: print(m, flush=True))
    except (go.BuildError, maven.JavaBuildError) as exc:
        print(f"sandbox build: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
