"""python -m chaos restore [--dry-run]: put back every node change a chaos run left behind.

Reads the local ledger and the restore annotations on the nodes of the cluster
(kubeconfig and context as the suite finds them).
"""
from __future__ import annotations

import argparse
import sys

from chaos.nodes import RestoreError
from chaos.plugin import node_chaos_for
from fixtures.target import TargetError, resolve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    restore = sub.add_parser("restore", help="restore nodes changed by an interrupted chaos run")
    restore.add_argument("--dry-run", action="store_true", help="list what would be restored, change nothing")
    restore.add_argument("--kubeconfig", metavar="PATH")
    restore.add_argument("--context", metavar="NAME")
    args = parser.parse_args(argv)
    try:
        target = resolve(args.kubeconfig, args.context, {}, {})
    except TargetError as exc:
        print(f"chaos restore: {exc}", file=sys.stderr)
        return 2
    try:
        done, left = node_chaos_for(target).restore_leftovers(dry_run=args.dry_run)
    except RestoreError as exc:
        print(f"chaos restore: failed: {exc}", file=sys.stderr)
        return 1
    verb = "would restore" if args.dry_run else "restored"
    for line in done:
        print(f"{verb} {line}")
    for line in left:
        print(f"left alone (another run's chaos in progress; it restores its own changes): {line}")
    if not done and not left:
        print(f"chaos restore: nothing to restore on {target.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
