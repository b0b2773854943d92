"""One cluster snapshot per run: each kind and each endpoint answer is fetched once, also under -n."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fixtures.kube import KINDS, SINGLE_GETS
from readiness.profile import load_profile
from tests.suite_runner import ROOT, run_suite


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_whole_suite_fetches_each_answer_once(sandbox, tmp_path, workers):
    cache_root = tmp_path / "fetch-log"
    run = run_suite(tmp_path, "suites", *workers, env={**os.environ, "READINESS_FETCH_LOG": str(cache_root)})
    assert run.summary, run.output[-2000:]
    fetched = [json.loads(line)["key"] for line in Path(cache_root).read_text().splitlines()]
    assert len(fetched) == len(set(fetched)), f"fetched more than once: {sorted(fetched)}"
    kube_reads = [k for k in fetched if k.startswith("kube /api")]
    # at most one list per kind the checks read, however many criteria read it, and the few single reads;
    # pods, Warning events and pod metrics are listed per namespace of the profile, never cluster-wide
    profile = load_profile(ROOT / "profiles" / "sandbox.yaml")
    namespaces = [*profile.platform.namespaces, "kube-system", *profile.phase1.system.extra_namespaces]
    scoped = {f"kube {path}": [] for path in ("/api/v1/pods", "/api/v1/events", "/apis/metrics.k8s.io/v1beta1/pods",
                                              "/api/v1/serviceaccounts", "/apis/apps/v1/replicasets",
                                              "/api/v1/replicationcontrollers")}
    for key in kube_reads:
        base, _, rest = key.split("?")[0].partition("/namespaces/")
        namespace, _, plural = rest.partition("/")
        if f"{base}/{plural}" in scoped:
            scoped[f"{base}/{plural}"].append(namespace)
    assert not set(scoped) & set(kube_reads), kube_reads
    assert all(found and set(found) <= set(namespaces) for found in scoped.values()), scoped
    assert len(kube_reads) <= len(KINDS) - len(scoped) + sum(map(len, scoped.values())) + len(SINGLE_GETS), \
        kube_reads
