"""The sandbox's load test: what a team's nightly load test does, every few seconds.

Each round sends requests to every critical Service as its users reach it (through the agent's Service
answer), then pushes the result to the Pushgateway as group ``job="loadtest"``: per service the p95
latency, the error ratio and the request rate. The Pushgateway stamps the push (``push_time_seconds``),
which P6-BENCHMARK reads for the result's age.

    python -m sandbox.services.loadtest --agent URL --pushgateway URL [--interval S] [--requests N]
"""
from __future__ import annotations

import argparse
import math
import time

import requests

from sandbox.manifests.platform import SERVICES


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile, as k6 and most load tools report it: of 20 requests the p95 is the 19th
    fastest, not the slowest one."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def one_round(agent: str, count: int) -> str:
    lines = ["# TYPE loadtest_latency_p95_seconds gauge", "# TYPE loadtest_error_ratio gauge",
             "# TYPE loadtest_requests_per_second gauge"]
    for svc in (s for s in SERVICES if s.critical):
        took, errors, started = [], 0, time.monotonic()
        for _ in range(count):
            begin = time.monotonic()
            try:
                ok = requests.get(f"{agent}/services/{svc.namespace}/{svc.name}", timeout=5).status_code == 200
            except requests.RequestException:
                ok = False
            took.append(time.monotonic() - begin)
            errors += not ok
        labels = f'service="{svc.name}",namespace="{svc.namespace}"'
        lines += [f"loadtest_latency_p95_seconds{{{labels}}} {percentile(took, 0.95):.6f}",
                  f"loadtest_error_ratio{{{labels}}} {errors / count:.6f}",
                  f"loadtest_requests_per_second{{{labels}}} {count / (time.monotonic() - started):.3f}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", required=True)
    parser.add_argument("--pushgateway", required=True)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    while True:
        try:
            body = one_round(args.agent, args.requests)
            requests.put(f"{args.pushgateway}/metrics/job/loadtest/instance/sandbox", data=body,
                         timeout=10).raise_for_status()
            print(f"loadtest: pushed {body.count(chr(10)) - 3} figures", flush=True)
        except requests.RequestException as exc:       # the next round tries again
            print(f"loadtest: round failed: {exc}", flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
