"""raster_cover(): the newsletter's JPEG/PNG cover for a post, from a real
in-process build (the email cannot use WebP or SVG)."""

import os
from pathlib import Path

from pelican import signals

from tests.support import photos

ROOT = Path(__file__).resolve().parents[2]


def test_raster_cover_for_photo_svg_and_coverless_posts(tmp_path, monkeypatch):
    content = photos.photo_content(ROOT, tmp_path / "content", covers=1)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("IMAGES_CACHE_PATH", str(tmp_path / "cache"))
    seen = {}

    def keep(generator):
        seen.update({a.slug: a for a in generator.articles})

    signals.article_generator_finalized.connect(keep)
    try:
        from tools.build import build
        problems = build("pelicanconf.py", content=str(content), output=str(tmp_path / "out"),
                         overrides={"SITE_ORIGIN": "https://blog.example.com"})
    finally:
        signals.article_generator_finalized.disconnect(keep)
    assert problems == []
    from images import raster_cover

    photo = raster_cover(seen["sales-and-marketing-sibling-rivalry"], width=600)
    assert photo["url"].startswith("https://blog.example.com/img/photo-cover-0-720.") and photo["url"].endswith(".jpg")
    assert (photo["width"], photo["height"]) == (720, 1080) and photo["alt"].startswith("A hillside")
    assert (tmp_path / "out" / photo["url"].split("/", 3)[3]).is_file()
    svg = raster_cover(seen["writing-a-newsletter-people-open"])  # an SVG cover: its card instead
    none = raster_cover(seen["cold-email-without-the-chill"])     # no cover at all
    for card in (svg, none):
        assert card["url"].endswith(".png") and (card["width"], card["height"]) == (1200, 630)
        assert os.path.isfile(tmp_path / "out" / card["url"].split("/", 3)[3])
