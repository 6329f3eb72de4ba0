"""Gates on the site with photo covers (a 4000x2667 sideways camera JPEG on
the seed article and nine more posts), built like `make publish`:
Lighthouse 100 in accessibility, best practices and SEO on the photo article
and on the home page with ten photo covers (performance, which is timed, is
in `make bench`: tools/bench/images.py); the article at most 80 KB on the wire, cover
included, on a 412 px phone screen (Lighthouse's Moto G, 1.75x); no layout
shift on phone and desktop; every page valid HTML (vnu)."""

import json
import re
import subprocess
from urllib.parse import urlsplit

import pytest

from .helpers import ROOT
from .test_lighthouse import GATED, failing_audits, lighthouse, scores_of
from .test_page_budget import measure

PHOTO_ARTICLE = "/2026/03/sales-and-marketing-sibling-rivalry/"
BUDGET_BYTES = 80 * 1024


@pytest.mark.parametrize("which", ["photo-article", "photo-home"])
def test_lighthouse_100_with_photo_covers(photo_server, node_tools, tmp_path, which, capsys):
    path = PHOTO_ARTICLE if which == "photo-article" else "/"
    report = lighthouse(photo_server.url + path, tmp_path / "report.json", GATED)
    scores = scores_of(report, GATED)
    with capsys.disabled():
        print(f"\nlighthouse {which} {path}: {scores}")
    assert scores == {name: 100 for name in GATED}, failing_audits(report)


def test_photo_article_weighs_at_most_80_kb_on_a_phone(browser, photo_server, capsys):
    metrics = measure(browser, photo_server.url + PHOTO_ARTICLE, scale=1.75)
    total = sum(r["bytes"] for r in metrics["resources"])
    images = [r for r in metrics["resources"] if r["type"] == "Image"]
    with capsys.disabled():
        print("\nphoto article at 412 px, 1.75x (bytes on the wire incl. headers):")
        for r in sorted(metrics["resources"], key=lambda r: -r["bytes"]):
            print(f"  {r['bytes']:6d}  {r['type']:<10} {urlsplit(r['url']).path}")
        print(f"  {total:6d}  total (budget {BUDGET_BYTES})")
    assert metrics["cover"].endswith(".webp") and "-720." in metrics["cover"], metrics["cover"]
    assert [urlsplit(r["url"]).path for r in images if "photo-cover" in r["url"]] == [urlsplit(metrics["cover"]).path]
    assert total <= BUDGET_BYTES, json.dumps(metrics["resources"], indent=1)
    assert metrics["cls"] == 0


@pytest.mark.parametrize("width, height, scale", [(375, 812, 3), (412, 823, 1.75), (1280, 900, 1)])
def test_photo_home_and_article_do_not_shift(browser, photo_server, width, height, scale):
    for path in ("/", PHOTO_ARTICLE, "/category/strategy/"):
        metrics = measure(browser, photo_server.url + path, scale=scale, width=width, height=height)
        assert metrics["cls"] == 0, (path, width, metrics["cls"])
        assert all(i["w"] and i["h"] for i in metrics["images"]), metrics["images"]


def test_photo_site_is_valid_html(photo_site_dir, node_tools):
    output, _ = photo_site_dir
    files = [output / "index.html", output / PHOTO_ARTICLE.strip("/") / "index.html",
             *sorted(output.glob("category/*/index.html")), *sorted(output.glob("tag/*/index.html"))[:3],
             *sorted(output.glob("author/*/index.html")), *sorted(output.glob("20*/*/*/index.html"))]
    jar = node_tools / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json",
                             *map(str, files)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    errors = [f"{m.get('url', '')}:{m.get('lastLine')}: {m['message']}" for m in report["messages"]
              if m.get("type") == "error" or m.get("subType") == "fatal"]
    assert len(files) >= 12
    assert errors == []
    page = (output / PHOTO_ARTICLE.strip("/") / "index.html").read_text(encoding="utf-8")
    assert "<picture>" in page and re.search(r'fetchpriority="?high', page)
