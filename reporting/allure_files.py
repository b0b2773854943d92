"""Files Allure reads beside the results: environment, executor, categories, and the summary as a result."""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from readiness.verdict import Verdict

CATEGORIES = [
    {"name": "Waived (accepted until a date)", "matchedStatuses": ["skipped"], "messageRegex": ".*WAIVED until.*"},
    {"name": "Not evaluated (not permitted in this run)", "matchedStatuses": ["skipped"],
     "messageRegex": ".*was not run.*"},
    {"name": "Does not apply (profile)", "matchedStatuses": ["skipped"], "messageRegex": ".*does not apply.*"},
    {"name": "Chaos restore failed", "matchedStatuses": ["broken", "failed"],
     "messageRegex": ".*(RestoreError|not back to its state before chaos).*"},
    {"name": "Could not evaluate: endpoint unreachable or timeout", "matchedStatuses": ["broken"],
     "messageRegex": ".*could not evaluate.*(unreachable|timed out|failed:|answered HTTP|Connection).*"},
    {"name": "Could not evaluate: forbidden", "matchedStatuses": ["broken"],
     "messageRegex": ".*could not evaluate.*(refused: HTTP 40[13]|HTTP 40[13]|forbidden).*"},
    {"name": "Could not evaluate: other", "matchedStatuses": ["broken"], "messageRegex": ".*could not evaluate.*"},
    {"name": "Criterion not met", "matchedStatuses": ["failed"]},
]

CI_VARIABLES = [("GITHUB_RUN_ID", "github"), ("CI_PIPELINE_ID", "gitlab"), ("BUILD_NUMBER", "jenkins"),
                ("BUILDKITE_BUILD_NUMBER", "buildkite")]


def write_environment(results: Path, values: dict[str, str]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={str(v).replace(chr(10), ' ')}" for k, v in values.items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n")
    (results / "categories.json").write_text(json.dumps(CATEGORIES, indent=1))
    executor = _executor()
    if executor:
        (results / "executor.json").write_text(json.dumps(executor, indent=1))


def _executor() -> dict | None:
    env = os.environ
    if env.get("GITHUB_RUN_ID"):
        url = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY')}/actions/runs/" \
              f"{env['GITHUB_RUN_ID']}"
        return {"name": "GitHub Actions", "type": "github", "buildName": env.get("GITHUB_WORKFLOW", "run"),
                "buildOrder": env["GITHUB_RUN_ID"], "buildUrl": url, "reportName": "Production readiness"}
    if env.get("CI_PIPELINE_ID"):
        return {"name": "GitLab CI", "type": "gitlab", "buildOrder": env["CI_PIPELINE_ID"],
                "buildUrl": env.get("CI_PIPELINE_URL", ""), "reportName": "Production readiness"}
    if env.get("BUILD_URL"):
        return {"name": "Jenkins", "type": "jenkins", "buildOrder": env.get("BUILD_NUMBER", ""),
                "buildUrl": env["BUILD_URL"], "reportName": "Production readiness"}
    if env.get("CI"):
        return {"name": "CI", "type": "ci", "buildName": env.get("CI_RUN_ID", "ci run"),
                "reportName": "Production readiness"}
    return None


def write_summary_result(results: Path, summary: dict, markdown: str) -> None:
    """The status summary as one Allure result (epic "Status summary"), with summary.md and .json attached."""
    now = int(time.time() * 1000)
    ids = {"md": f"{uuid.uuid4()}-attachment.md", "json": f"{uuid.uuid4()}-attachment.json"}
    (results / ids["md"]).write_text(markdown)
    (results / ids["json"]).write_text(json.dumps(summary, indent=2))
    gate = summary.get("gate", {})
    decision = gate.get("decision", "no gate decision")
    result = {"uuid": str(uuid.uuid4()), "historyId": "readiness-status-summary",
              "name": f"Gate: {decision}. {summary['headline']}", "fullName": "readiness.summary",
              "status": {"PASS": "passed", "FAIL": "failed"}.get(gate.get("outcome"), "broken"), "stage": "finished",
              "start": now, "stop": now,
              "description": markdown,
              "statusDetails": {"message": f"{decision}: {gate.get('reason', '')}"},
              "parameters": [{"name": "decision", "value": decision},
                             {"name": "scope", "value": summary["scope"]["label"]},
                             {"name": "gate policy", "value": summary.get("policy", {}).get("fingerprint", "")}],
              "labels": [{"name": "epic", "value": "Status summary"}, {"name": "feature", "value": "Readiness"},
                         {"name": "severity", "value": "normal"}],
              "attachments": [{"name": "summary.md", "source": ids["md"], "type": "text/markdown"},
                              {"name": "summary.json", "source": ids["json"], "type": "application/json"}]}
    (results / f"{result['uuid']}-result.json").write_text(json.dumps(result))


# A verdict -> the Allure status its result shows.
ALLURE_STATUS = {Verdict.PASSED: "passed", Verdict.FAILED: "failed", Verdict.BROKEN: "broken",
                 Verdict.NOT_EVALUATED: "skipped"}


def amend_derived(results: Path, summary: dict, derived: set[str]) -> int:
    """Give the Allure results of criteria the summary completed (``derived_from``) the summary's verdict;
    returns how many results changed. Their test only checked their own inputs; the verdict is the summary's."""
    final = {e["id"]: e for e in summary["criteria"] if e["id"] in derived}
    changed = 0
    for path in results.glob("*-result.json"):
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        cid = next((lab["value"] for lab in result.get("labels", []) if lab.get("name") == "criterion"), None)
        entry = final.get(cid)
        if entry is None or ALLURE_STATUS.get(entry["verdict"], result.get("status")) == result.get("status"):
            continue
        result["status"] = ALLURE_STATUS[entry["verdict"]]
        result["statusDetails"] = {"message": "\n".join(entry.get("reasons", []))}
        path.write_text(json.dumps(result))
        changed += 1
    return changed
