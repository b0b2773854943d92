"""python -m sandbox: a real, local copy of the reference platform to prove readiness checks against.

    python -m sandbox up [--nodes N]   build (once) and start everything, wait until ready
    python -m sandbox status           every component: running, crashed or stopped
    python -m sandbox env              export lines the suite reads (KUBECONFIG, PROMETHEUS_URL, ...)
    python -m sandbox fault NAME       break exactly one success criterion (--list to see them)
    python -m sandbox fault --criterion ID   the faults that break criterion ID, and what each must produce
    python -m sandbox heal             undo every active fault
    python -m sandbox load APP CPU     simulate CPU use for data-platform/APP pods (e.g. trino 450m; "off")
    python -m sandbox fill --per-node N  filler Deployments: about N pods per worker (--off deletes them)
    python -m sandbox down             stop everything; no process or port left behind
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys

from sandbox.run.layout import Layout


def _progress(message: str) -> None:
    print(message, flush=True)


def cmd_up(layout: Layout, args) -> int:
    from sandbox.run import cluster
    rows = cluster.status(layout)
    if all(state == "running" for _, state, _ in rows):
        print("sandbox: already running")
        return cmd_status(layout, args)
    cluster.up(layout, workers=args.nodes, progress=_progress)
    return 0


def cmd_down(layout: Layout, args) -> int:
    from sandbox.run import cluster
    left = cluster.down(layout, progress=_progress)
    if left:
        print(f"sandbox: ports still bound after down: {', '.join(left)}", file=sys.stderr)
        return 1
    print("sandbox: stopped; no component running")
    return 0


def cmd_status(layout: Layout, args) -> int:
    from sandbox.faults import registry
    from sandbox.run import cluster
    rows = cluster.status(layout)
    for name, state, detail in rows:
        print(f"{name:24} {state:8} {detail}")
    active = registry.active(layout)
    if active:
        print(f"active faults: {', '.join(active)}")
    if any(state == "crashed" for _, state, _ in rows):
        return 1
    return 0 if all(state == "running" for _, state, _ in rows) else 3


def cmd_env(layout: Layout, args) -> int:
    for key, value in layout.env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_fault(layout: Layout, args) -> int:
    from sandbox.faults import registry
    if args.criterion:
        return _list_criterion(registry, args.criterion)
    if args.list or not args.name:
        for f in registry.FAULTS.values():
            print(f"{f.name:26} {f.criterion:20} {f.description}")
        return 0
    if args.name not in registry.FAULTS:
        print(f"sandbox: unknown fault {args.name!r}; run 'python -m sandbox fault --list'", file=sys.stderr)
        return 2
    fault = registry.inject(layout, args.name)
    print(f"fault {fault.name} applied: {fault.description} (breaks {fault.criterion})")
    return 0


def _list_criterion(registry, criterion: str) -> int:
    """The faults that break ``criterion``, each with the verdict and the line the suite must then produce."""
    from plugin.catalog import load_all
    if criterion not in load_all():
        print(f"sandbox: unknown criterion {criterion!r}; see 'python -m plugin.catalog'", file=sys.stderr)
        return 2
    faults = registry.of_criterion(criterion)
    if not faults:
        print(f"{criterion}: no sandbox fault; proven by {registry.PROVEN_ELSEWHERE.get(criterion, 'nothing')}")
    width = max((len(f.name) for f in faults), default=0)
    for f in faults:
        e = f.expect
        if e is None:
            print(f"{f.name:{width}}  proven by another test: {f.description}")
            continue
        options = f" with {' '.join(e.options)}" if e.options else ""
        print(f"{f.name:{width}}  {e.verdict} within {e.within_s}s{options}: {e.line}")
    return 0


def cmd_heal(layout: Layout, args) -> int:
    from sandbox.faults import registry
    errors = registry.heal(layout, progress=_progress)
    for err in errors:
        print(f"sandbox: heal failed: {err}", file=sys.stderr)
    return 1 if errors else 0


def cmd_load(layout: Layout, args) -> int:
    path = layout.root / "load.json"
    try:
        load = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        load = {}
    key = f"data-platform/{args.app}"
    if args.cpu == "off":
        load.pop(key, None)
    else:
        load[key] = args.cpu
    path.write_text(json.dumps(load))
    print(f"simulated CPU for {key}: {args.cpu}")
    return 0


def cmd_fill(layout: Layout, args) -> int:
    from sandbox.agent import filler
    if args.off:
        filler.clear(layout)
        print("sandbox fill: filler workloads deleted")
        return 0
    total = filler.fill(layout, args.per_node, progress=_progress)
    print(f"sandbox fill: {total} filler pods running")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="build (once) and start the sandbox")
    p_up.add_argument("--nodes", type=int, default=3, metavar="N", help="simulated worker nodes (default 3)")
    sub.add_parser("down", help="stop the sandbox")
    sub.add_parser("status", help="show every component's state")
    sub.add_parser("env", help="print export lines for the suite")
    p_fault = sub.add_parser("fault", help="apply a named fault")
    p_fault.add_argument("name", nargs="?")
    p_fault.add_argument("--list", action="store_true", help="every fault, its criterion and what it does")
    p_fault.add_argument("--criterion", metavar="ID", help="the faults that break criterion ID (e.g. "
                         "P5-BACKUP-RECENT) and the line each must produce")
    sub.add_parser("heal", help="undo all active faults")
    p_load = sub.add_parser("load", help="simulate CPU use for an app's pods")
    p_load.add_argument("app")
    p_load.add_argument("cpu", help='a CPU quantity such as 450m, or "off"')
    p_fill = sub.add_parser("fill", help="filler workloads for the benchmark: about N pods per worker")
    p_fill.add_argument("--per-node", type=int, default=20, metavar="N")
    p_fill.add_argument("--off", action="store_true", help="delete the filler workloads")
    args = parser.parse_args(argv)
    if getattr(args, "nodes", 1) < 1:
        parser.error("--nodes must be at least 1")
    layout = Layout.default()
    layout.root.mkdir(parents=True, exist_ok=True)
    handler = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "env": cmd_env, "fault": cmd_fault,
               "heal": cmd_heal, "load": cmd_load, "fill": cmd_fill}[args.command]
    try:
        return handler(layout, args)
    except KeyboardInterrupt:
        print("sandbox: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; the component logs hold the rest
        print(f"sandbox {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
