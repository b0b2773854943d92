"""Speed and memory of the sandbox and the suite, measured on this machine (figures go into the README).

    python scripts/benchmark.py                 # warm up time, memory, suite time and peak memory serial and
                                                # -n auto, the floor (one list of each kind read), API requests
    python scripts/benchmark.py --nodes 1000    # the same against a 1000-worker sandbox (then back to 3)
    python scripts/benchmark.py --nodes 10,100,1000 --pods-per-node 20   # as dense as real nodes, a table row
                                                                         # per size

It restarts the sandbox (down, up) to time a warm start; run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.run.cluster import specs  # noqa: E402
from sandbox.run.layout import Layout  # noqa: E402
from sandbox.run.processes import Supervisor  # noqa: E402


def _run(*args: str, env=None, ok=(0, 1)) -> float:
    """Run a command; its time. pytest's 1 (a criterion failed) is a measurement too; other codes stop here."""
    started = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - started


def rss_mib(layout: Layout) -> dict[str, float]:
    sup, result = Supervisor(layout.root), {}
    names = [s.name for s in specs(layout)] + [n for n in sup.known() if n.startswith("promtail-")]
    for name in names:
        pid = sup.pid(name)
        if pid is None:
            continue
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
                if int(entry) == pid or int(fields[2]) == pid:
                    total += int(open(f"/proc/{entry}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
        result[name] = round(total / 2**20, 1)
    return result


def tree_rss_mib(root_pid: int) -> float:
    """RSS of a process and all its descendants (pytest-xdist workers included)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            rss[int(entry)] = int(open(f"/proc/{entry}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


def measured_run(*args: str, env=None) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB of the process tree), sampled every 50 ms."""
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mib(proc.pid))
        time.sleep(0.05)
    return time.monotonic() - started, peak


def _snapshot():
    """A snapshot of the sandbox with the suite's own client, nothing shared or kept between calls."""
    from fixtures.cache import SharedCache
    from fixtures.kube import Snapshot
    from fixtures.target import resolve
    api = resolve(None, None, {}, {}).api_client()
    return Snapshot(api, SharedCache(None), api.configuration.host)


def floor_s(requests_log: Path) -> float:
    """The time to read once, with the suite's own client, everything the suite read from the API server in a
    run (``requests_log``): each list page by page, each page decoded as it came, nothing kept or left out."""
    reads = {(e["path"], json.dumps(e["query"], sort_keys=True), e["list"])
             for e in map(json.loads, requests_log.read_text().splitlines())}
    snapshot = _snapshot()
    started = time.monotonic()
    for path, query, is_list in sorted(reads):
        if is_list:
            for _ in snapshot.pages(path, path, **json.loads(query)):
                pass
        else:
            snapshot._get(path, path)
    return time.monotonic() - started


def requests_by_resource(log: Path) -> dict:
    counts: dict[str, int] = {}
    received = 0
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        key = f"{entry['verb']} {entry['path']}"
        counts[key] = counts.get(key, 0) + 1
        received += entry["bytes"]
    return {"API requests": sum(counts.values()), "bytes received from the API server": received,
            "requests per resource (top 5)": dict(sorted(counts.items(), key=lambda kv: -kv[1])[:5])}


def suite_times(repeat: int) -> dict:
    out = {}
    tmp = Path(tempfile.mkdtemp(prefix="readiness-bench-"))
    pytest_args = [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", "--summary-dir",
                   str(tmp), "--state-dir", str(tmp / "state"), f"--alluredir={tmp / 'allure'}"]
    for label, extra in (("serial", []), ("-n auto", ["-n", "auto"])):
        runs = [measured_run(*pytest_args, *extra) for _ in range(repeat)]
        out[f"suite {label} (s)"] = round(min(r[0] for r in runs), 2)
        out[f"suite {label} peak RSS (MiB)"] = round(max(r[1] for r in runs))
    log, requests_log = tmp / "fetches.jsonl", tmp / "requests.jsonl"
    _run(*pytest_args, env={**os.environ, "READINESS_FETCH_LOG": str(log), "READINESS_REQUEST_LOG": str(requests_log)})
    verdicts = [c["verdict"] for c in json.loads((tmp / "summary.json").read_text())["criteria"]]
    out["verdicts of the last run"] = {v: verdicts.count(v) for v in sorted(set(verdicts))}
    out["floor: one list of every kind read (s)"] = round(min(floor_s(requests_log) for _ in range(repeat)), 2)
    out["ratio serial / floor"] = round(out["suite serial (s)"] / out["floor: one list of every kind read (s)"], 1)
    fetches = [json.loads(line) for line in log.read_text().splitlines()]
    keys = [f["key"] for f in fetches]
    out["answers fetched per run"] = len(keys)
    out["kubernetes reads per run"] = sum(k.startswith("kube /api") for k in keys)
    out.update(requests_by_resource(requests_log))
    out["where a serial run's time goes (s)"] = time_profile(pytest_args, fetches, repeat)
    return out


def time_profile(pytest_args: list[str], fetches: list[dict], repeat: int) -> dict:
    """A serial run's wall time split: Python and pytest start-up with collection (a --collect-only run), the
    answers fetched by source (kube, prometheus, loki ...; one after the other in a serial run), the rest
    (the checks, evidence and reports)."""
    startup = min(measured_run(*pytest_args, "--collect-only")[0] for _ in range(repeat))
    by_source: dict[str, float] = {}
    for fetch in fetches:
        source = fetch["key"].split(" ", 1)[0]
        by_source[source] = by_source.get(source, 0.0) + fetch.get("s", 0.0)
    return {"start-up and collection": round(startup, 2),
            **{f"fetch {k}": round(v, 2) for k, v in sorted(by_source.items(), key=lambda kv: -kv[1])}}


def measure(layout: Layout, nodes: int, pods_per_node: int, repeat: int, reuse: bool) -> dict:
    up_s = fill_s = None
    if not reuse:
        _run(sys.executable, "-m", "sandbox", "down", ok=(0,))
        up_s = _run(sys.executable, "-m", "sandbox", "up", "--nodes", str(nodes), ok=(0,))
        fill_s = _run(sys.executable, "-m", "sandbox", "fill", "--per-node", str(pods_per_node), ok=(0,)) \
            if pods_per_node else 0.0
        time.sleep(20)     # let the scrapes and log shipping settle before measuring memory
    memory = rss_mib(layout)
    return {"workers": nodes, "filler pods per worker": pods_per_node, "pods": pod_count(),
            "filling (s)": fill_s and round(fill_s, 1), "warm up to all-ready (s)": up_s and round(up_s, 1),
            "sandbox RSS total (MiB)": round(sum(memory.values())),
            "largest RSS (MiB)": dict(sorted(memory.items(), key=lambda kv: -kv[1])[:5]),
            **suite_times(repeat)}


def pod_count() -> int:
    return len(_snapshot().list("pods"))


ROW = ["workers", "pods", "filling (s)", "suite serial (s)", "suite serial peak RSS (MiB)", "suite -n auto (s)",
       "suite -n auto peak RSS (MiB)", "floor: one list of every kind read (s)", "ratio serial / floor",
       "API requests", "sandbox RSS total (MiB)"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="3", help="simulated workers, or a comma-separated list of sizes "
                                                     "measured one after the other (e.g. 10,100,1000)")
    parser.add_argument("--pods-per-node", type=int, default=0,
                        help="add filler Deployments for about this many pods per worker (python -m sandbox fill)")
    parser.add_argument("--repeat", type=int, default=3, help="suite runs per figure (the fastest is kept)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the running sandbox as it is (one size; no restart, no fill, left running)")
    args = parser.parse_args()
    layout, rows = Layout.default(), []
    for nodes in (int(n) for n in args.nodes.split(",")):
        figures = measure(layout, nodes, args.pods_per_node, args.repeat, args.reuse)
        print(json.dumps(figures, indent=2), flush=True)
        rows.append(figures)
    print("| " + " | ".join(ROW) + " |\n|" + "---|" * len(ROW))
    for figures in rows:
        print("| " + " | ".join(str(figures.get(k, "")) for k in ROW) + " |")
    if not args.reuse and (args.nodes != "3" or args.pods_per_node):
        _run(sys.executable, "-m", "sandbox", "down")
        _run(sys.executable, "-m", "sandbox", "up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
