"""The GitHub workflows: zizmor finds nothing, they match GitHub's JSON schemas, and follow our CI policy."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
GITHUB = REPO_ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")


def _tool(name: str) -> str:
    """A console script of the test extra: next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing; install the test extra: pip install -e '.[test]'")
    return found


def _zizmor(path: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, json.loads(result.stdout or "[]")


def _load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the bare key `on` as True
    return workflow


def test_both_workflows_exist():
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "pages.yml"]


def test_zizmor_finds_nothing():
    result, findings = _zizmor(GITHUB)
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert result.returncode == 0, result.stderr


def test_zizmor_catches_a_dangerous_workflow(tmp_path: Path):
    # Guards the test above: zizmor must run offline and report the classic mistakes.
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.pull_request.title }}\n",
        encoding="utf-8",
    )
    result, findings = _zizmor(tmp_path / ".github")
    assert result.returncode != 0
    found = {finding["ident"] for finding in findings}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= found, found


@pytest.mark.parametrize(
    ("schema", "files"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.dependabot", [GITHUB / "dependabot.yml"])],
    ids=["workflows", "dependabot"],
)
def test_files_match_githubs_schema(schema: str, files: list[Path]):
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_policy(path: Path):
    text = path.read_text(encoding="utf-8")
    workflow = _load(path)
    assert workflow["permissions"] == {}, "grant permissions per job, none at the top"
    assert "pull_request_target" not in text
    uses_lines = [line for line in text.splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses_lines
    unpinned = [line.strip() for line in uses_lines if not PINNED_USES.match(line)]
    assert not unpinned, f"actions not pinned to a full SHA with a '# vX.Y.Z' comment: {unpinned}"
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"job {name} has no timeout-minutes"
        assert "permissions" in job, f"job {name} does not state its permissions"
        for step in job["steps"]:
            assert "${{ github.event" not in step.get("run", ""), f"job {name}: event data inside run:"
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"job {name} keeps git credentials"


def test_ci_runs_tests_docs_and_wheel_on_push_and_pull_request():
    workflow = _load(GITHUB / "workflows" / "ci.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert set(workflow["jobs"]) == {"tests", "docs", "wheel"}
    runs = {
        name: " ".join(step.get("run", "") for step in job["steps"]) for name, job in workflow["jobs"].items()
    }
    assert ".ci/run" in runs["tests"] and "chromium" in runs["tests"]
    assert "make docs" in runs["docs"]
    assert "python -m build" in runs["wheel"]
    uploads = {
        step["with"]["path"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact@")
    }
    assert uploads == {"site/", "dist/", "test-artifacts/"}  # the last: screenshots of failed browser tests
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}


def test_pages_deploys_from_main_with_the_least_permissions():
    workflow = _load(GITHUB / "workflows" / "pages.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert any(step.get("uses", "").startswith("actions/upload-pages-artifact@") for step in build["steps"])
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]


def test_dependabot_watches_pip_and_github_actions():
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text(encoding="utf-8"))
    assert {update["package-ecosystem"] for update in config["updates"]} == {"pip", "github-actions"}


def test_pull_request_template_asks_for_the_essentials():
    template = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8").lower()
    for item in ("paper", "claims card", "deviations", "tests", "make test", "ai use"):
        assert item in template, item
