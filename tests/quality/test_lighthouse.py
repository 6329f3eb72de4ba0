"""Gate: Lighthouse 12.2.3 (default mobile preset, simulated throttling)
scores 100 in performance, accessibility, best practices and SEO on the home
page and an article page, served gzip-compressed from loopback.

Performance is timed on a shared 2-core machine, so a page that misses 100 on
its first run is run twice more and judged on each category's median, as
Lighthouse's guide to score variability advises."""

import json
import os
import statistics
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


def scores_of(report):
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def lighthouse_median(url, tmp_path, runs=3):
    """(median scores, the run whose performance is the median). One run when it
    scores 100 everywhere; otherwise `runs` runs."""
    reports = [lighthouse(url, tmp_path / "report-0.json")]
    if scores_of(reports[0]) != {name: 100 for name in CATEGORIES}:
        reports += [lighthouse(url, tmp_path / f"report-{i}.json") for i in range(1, runs)]
    runs_scores = [scores_of(r) for r in reports]
    median = {name: statistics.median_low([s[name] for s in runs_scores]) for name in CATEGORIES}
    middle = next(r for r, s in zip(reports, runs_scores) if s["performance"] == median["performance"])
    return median, middle, runs_scores


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
    scores, report, runs = lighthouse_median(server.url + path, tmp_path)
    metrics = {m: report["audits"][m].get("displayValue") for m in METRICS}
    with capsys.disabled():
        print(f"\nlighthouse {report['lighthouseVersion']} {which} {path}: {scores} {metrics} runs={runs}")
    assert report["lighthouseVersion"] == "12.2.3"
    assert scores == {name: 100 for name in CATEGORIES}, failing_audits(report)
