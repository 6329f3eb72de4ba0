"""raster_cover(): the newsletter's JPEG/PNG cover for a post, from a real
build (the email cannot use WebP or SVG). The build runs in its own process:
plugins connect to Pelican's global signals, which must not leak into other
tests' builds."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import photos

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
from pelican import signals
from tools.build import build
seen = {}
def keep(generator):
    seen.update({a.slug: a for a in generator.articles})
signals.article_generator_finalized.connect(keep)
problems = build("pelicanconf.py", content=sys.argv[1], output=sys.argv[2],
                 overrides={"SITE_ORIGIN": "https://blog.example.com"})
from images import raster_cover
try:
    from email_issues.cover import email_cover
    article = seen["sales-and-marketing-sibling-rivalry"]
    email = vars(email_cover(article, article.settings, "https://blog.example.com"))
except ImportError:
    email = None
print(json.dumps({"problems": problems, "email": email,
                  "covers": {slug: raster_cover(a, width=600) for slug, a in seen.items()}}))
"""


def test_raster_cover_for_photo_svg_and_coverless_posts(tmp_path):
    content = photos.photo_content(ROOT, tmp_path / "content", covers=1)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(content), str(out)], cwd=ROOT,
                            env={**os.environ, "IMAGES_CACHE_PATH": str(tmp_path / "cache"), "SITEURL": ""},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["problems"] == []
    covers = report["covers"]
    assert len(covers) >= 7, covers
    photo = covers["sales-and-marketing-sibling-rivalry"]
    assert photo["url"].startswith("https://blog.example.com/img/photo-cover-0-720.") and photo["url"].endswith(".jpg")
    assert (photo["width"], photo["height"]) == (720, 1080) and photo["alt"].startswith("A hillside")
    assert (out / photo["url"].split("/", 3)[3]).is_file()
    email = report["email"]  # the newsletter's cover: the same JPEG variant, at the 600 px column
    assert email is not None and email["url"].startswith("https://blog.example.com/img/photo-cover-0-")
    assert email["url"].endswith(".jpg") and (email["width"], email["height"]) == (600, 900)
    svg = covers["writing-a-newsletter-people-open"]  # an SVG cover: its card instead
    none = covers["cold-email-without-the-chill"]     # no cover at all
    for card in (svg, none):
        assert card["url"].endswith(".png") and (card["width"], card["height"]) == (1200, 630)
        assert (out / card["url"].split("/", 3)[3]).is_file()
