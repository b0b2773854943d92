"""deploy/ runs the gate inside a cluster with least privilege: its manifests are generated from what the suite
reads, its Job matches the Dockerfile, and against the sandbox the read-only ServiceAccount passes the read-only
suite while chaos with it is forbidden by the API server."""
from __future__ import annotations

import json
import re

import yaml

from plugin import deploy
from tests.suite_runner import ROOT

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}


def _docs(name: str) -> list[dict]:
    return list(yaml.safe_load_all((ROOT / "deploy" / name).read_text()))


def test_manifests_are_generated_from_the_current_code():
    for name, make in deploy.FILES.items():
        assert (ROOT / "deploy" / name).read_text() == deploy.render(make()), \
            f"deploy/{name} is stale: run python -m plugin.deploy"


def test_read_only_role_lists_every_kind_the_snapshot_reads_and_writes_nothing():
    from fixtures.kube import KINDS
    role = next(d for d in _docs("rbac.yaml") if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "readiness-read")
    listed = {(r["apiGroups"][0], res) for r in role["rules"] if "list" in r.get("verbs", [])
              for res in r["resources"]}
    assert listed == {(deploy._group(gv), plural) for gv, plural in KINDS.values()}
    writes = [r for r in role["rules"] if set(r["verbs"]) & WRITE_VERBS]
    assert writes == [{"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"],
                       "verbs": ["create"]}], "the read-only role writes something besides access reviews (stored nowhere)"
    chaos_binding = next(d for d in _docs("rbac.yaml") if d["kind"] == "ClusterRoleBinding"
                         and d["roleRef"]["name"] == "readiness-chaos")
    assert [s["name"] for s in chaos_binding["subjects"]] == ["readiness-chaos"]


def _dockerfile() -> dict:
    text = (ROOT / "Dockerfile").read_text()
    copied = set()
    for *sources, dest in (line.split()[1:] for line in text.splitlines() if line.startswith("COPY ")):
        copied |= {s.rstrip("/") for s in sources} if dest in (".", "./") else {dest.rstrip("/")}
    return {"workdir": re.search(r"^WORKDIR (\S+)", text, re.M).group(1),
            "entrypoint": json.loads(re.search(r"^ENTRYPOINT (.+)$", text, re.M).group(1)),
            "user": re.search(r"^USER (\d+)", text, re.M).group(1), "copied": copied}


def test_job_command_and_paths_match_the_dockerfile():
    image = _dockerfile()
    job = next(d for d in _docs("gate.yaml") if d["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["workingDir"] == image["workdir"]
    assert container["command"][0] == image["entrypoint"][0] == "pytest"
    assert container["command"][1] in image["copied"]                           # suites/
    assert {"plugin", "reporting", "readiness", "fixtures", "chaos", "conftest.py", "profiles"} <= image["copied"]
    assert str(pod["securityContext"]["runAsUser"]) == image["user"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    args = container["command"]
    profile = args[args.index("--profile") + 1]
    assert any(profile.startswith(m + "/") for m in mounts), f"{profile} is on no mounted volume"
    assert args[args.index("--summary-dir") + 1] in mounts
    assert args[args.index("--state-dir") + 1] in mounts       # kept between runs, apart from the output
    cron = next(d for d in _docs("gate.yaml") if d["kind"] == "CronJob")
    assert cron["spec"]["jobTemplate"]["spec"]["template"] == job["spec"]["template"]


