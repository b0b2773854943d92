"""Every criterion fails under its sandbox fault, naming the broken object, and passes again after heal."""
from __future__ import annotations

import re
import time

import pytest

from sandbox.faults.registry import FAULTS
from tests.suite_runner import sandbox_cli, unhealthy, wait_for_healthy, wait_for_verdict

# Each fault carries what the suite must then say (sandbox/faults/fault.py Expect): the line its criterion's
# failure must contain, how long it may take to show, extra suite options, and the verdict. A fault without one
# is proven by another test (pdb-blocks-drain: the chaos tests drain for real); which criteria have no fault at
# all, and why, is sandbox/faults/registry.py PROVEN_ELSEWHERE (tests/offline/test_fault_coverage.py).
PROVEN_HERE = sorted(name for name, fault in FAULTS.items() if fault.expect is not None)


# The extra options under which the previous fault test proved the sandbox healthy, right after its heal: the
# next one need not prove it again before its fault (two whole-suite runs, about 20 s a fault).
_PROVEN_HEALTHY: dict[str, tuple] = {}


@pytest.mark.parametrize("name", PROVEN_HERE)
def test_fault_fails_its_criterion_then_heal_passes_it(sandbox, tmp_path, name):
    fault = FAULTS[name]
    expect, extra = fault.expect, fault.expect.options
    if _PROVEN_HEALTHY.pop("extra", None) != extra:
        sandbox_cli("heal")
        before = wait_for_healthy(tmp_path, 180, *extra)
        assert not unhealthy(before), f"the healed sandbox is not healthy before {name}: {unhealthy(before)}"
    try:
        sandbox_cli("fault", name)
        broken = wait_for_verdict(tmp_path, fault.criterion, expect.verdict, expect.within_s, *extra,
                                  needle=expect.line)
        assert broken.summary and broken.verdict(fault.criterion) == expect.verdict, \
            f"{fault.criterion} was not {expect.verdict} under {name}:\n{broken.output[-3000:]}"
        assert expect.line in broken.reasons(fault.criterion), \
            f"{fault.criterion} failed without naming the object: {broken.reasons(fault.criterion)!r}"
    finally:
        sandbox_cli("heal")
    healed = wait_for_healthy(tmp_path, 180, *extra)
    assert not unhealthy(healed), f"after healing {name}, still failing: {unhealthy(healed)}"
    _PROVEN_HEALTHY["extra"] = extra


def test_log_agent_gap_loses_that_nodes_logs(sandbox, tmp_path):
    """Logs really travel through the agent: with no agent pod on a node, that node's pods have no logs in
    Loki once the lookback has passed, and they have again after heal."""
    sandbox_cli("heal")
    assert not unhealthy(wait_for_healthy(tmp_path, 180))
    try:
        sandbox_cli("fault", "log-agent-gap")
        # The fault changes the DaemonSet's template, so every agent pod is replaced: until that rollout is
        # over, the new agent pods elsewhere may lack logs too. Wait for it, then only worker-2's pods may.
        deadline = time.monotonic() + 150
        while True:
            lost = wait_for_verdict(tmp_path, "P4-LOKI", "failed", 120, needle="no log lines")
            assert lost.verdict("P4-LOKI") == "failed", lost.output[-3000:]
            on_node = _pods_on(sandbox, "sandbox-worker-2")
            named = set(re.findall(r"pod (\S+) container", lost.reasons("P4-LOKI")))
            if (named and named <= on_node) or time.monotonic() > deadline:
                break
            time.sleep(5)
        assert named and named <= on_node, \
            f"P4-LOKI named pods that are not on sandbox-worker-2: {sorted(named - on_node)} (on it: {sorted(on_node)})"
    finally:
        sandbox_cli("heal")
    assert not unhealthy(wait_for_healthy(tmp_path, 180))


def _pods_on(sandbox, node: str) -> set[str]:
    import json
    import subprocess
    out = subprocess.run([str(sandbox.bin / "kubectl"), f"--kubeconfig={sandbox.kubeconfig}", "get", "pods", "-A",
                          "--field-selector", f"spec.nodeName={node}", "-o", "json"], capture_output=True, text=True,
                         check=True).stdout
    return {f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in json.loads(out)["items"]}
