"""Gate: Lighthouse 12.2.3 (default mobile preset, simulated throttling)
scores 100 in performance, accessibility, best practices and SEO on the home
page and an article page, served gzip-compressed from loopback."""

import json
import os
import subprocess

import pytest

from .helpers import CHROME_FLAGS, CHROME_PATH, ROOT

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
METRICS = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index"]


def lighthouse(url, report_path):
    cli = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
    result = subprocess.run(
        ["node", str(cli), url, "--quiet", f"--chrome-flags={' '.join(CHROME_FLAGS)}",
         f"--only-categories={','.join(CATEGORIES)}", "--output=json", f"--output-path={report_path}"],
        env={**os.environ, "CHROME_PATH": CHROME_PATH}, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(report_path.read_text())


def failing_audits(report):
    out = []
    for name, category in report["categories"].items():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                out.append(f"{name}/{ref['id']}: {audit['score']} {audit.get('displayValue', '')}")
    return out


@pytest.mark.parametrize("which", ["home", "article"])
def test_lighthouse_scores_100(server, node_tools, article_path, tmp_path, which, capsys):
    path = "/" if which == "home" else article_path
    report = lighthouse(server.url + path, tmp_path / "report.json")
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    metrics = {m: report["audits"][m].get("displayValue") for m in METRICS}
    with capsys.disabled():
        print(f"\nlighthouse {report['lighthouseVersion']} {which} {path}: {scores} {metrics}")
    assert report["lighthouseVersion"] == "12.2.3"
    assert scores == {name: 100 for name in CATEGORIES}, failing_audits(report)
