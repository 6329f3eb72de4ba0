"""A real build of the sample site with photos: generated camera JPEGs
(orientation 6 and 8, GPS), an alpha PNG, a CMYK JPEG, a 16-bit PNG, an
animated GIF, the real photos in tests/fixtures/photos, a cover with a focus
point, and the posts without a cover. Built twice into the same output with
one image cache: cold, then warm."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.support import photos

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "photos"
REAL_POST = """Title: Photos From the Field, Straight Off the Camera
Date: 2026-10-02 10:00
Category: Content
Tags: photography
Summary: Real camera files with GPS, ICC profiles and rotations.
Slug: photos-from-the-field
Image: images/real/xmp_test.jpg
Image_alt: A wide landscape photographed on a Canon EOS
Image_focus: 60%,40%

Straight from two Canons and a Nokia.

![Flowers on a windowsill]({static}/images/real/flower.jpg "A Canon PowerShot S40, 2003")

![A portrait stored upside down]({static}/images/real/hopper_orientation_3.jpg)
![A portrait stored sideways]({static}/images/real/hopper_orientation_6.jpg)
![A portrait stored the other way]({static}/images/real/hopper_orientation_8.jpg)

![Nokia street photo]({static}/images/real/iptc.jpg)

![A PNG in ColorMatch RGB]({static}/images/real/xmp_tags_orientation.png)

![A tiny geotagged JPEG]({static}/images/real/exif_gps.jpg)
"""
FOCUS_POST = """Title: Where the Eye Goes First
Date: 2026-10-03 10:00
Category: Strategy
Summary: A banner photo whose subject sits at its left edge.
Slug: where-the-eye-goes
Image: images/banner-left-subject.jpg
Image_alt: A red subject at the far left of a blue banner
Image_focus: 5%,50%

The card should show the red subject, not the middle of the banner.
"""


def build(content, output, cache, settings="pelicanconf.py", extra_env=None):
    env = {**os.environ, "SITEURL": "", "IMAGES_CACHE_PATH": str(cache), **(extra_env or {})}
    env = {k: v for k, v in env.items() if not k.startswith(("MAILCHIMP_", "SMTP_"))}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tools.build", settings, "--content", str(content),
                             "--output", str(output)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    seconds = time.perf_counter() - started
    stats_file = Path(cache) / "last-build.json"
    stats = json.loads(stats_file.read_text()) if result.returncode == 0 and stats_file.exists() else {}
    return result, stats, seconds


def write_banner(path):
    """2400x800, red on the left 10%, blue elsewhere: the focus point decides the card."""
    image = Image.new("RGB", (2400, 800), (30, 60, 200))
    ImageDraw.Draw(image).rectangle((0, 0, 240, 800), fill=(220, 30, 30))
    image.save(path, "JPEG", quality=92, exif=photos.camera_exif(1, gps=True))


@pytest.fixture(scope="session")
def photo_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("photo-site")
    content = photos.photo_content(ROOT, work / "content", covers=3, body_images=True)
    shutil.copytree(FIXTURES, content / "images" / "real", ignore=shutil.ignore_patterns("*.md", "ultrahdr.jpg"))
    (content / "posts" / "photos-from-the-field.md").write_text(REAL_POST, encoding="utf-8")
    write_banner(content / "images" / "banner-left-subject.jpg")
    (content / "posts" / "where-the-eye-goes.md").write_text(FOCUS_POST, encoding="utf-8")
    output, cache = work / "output", work / "cache"
    cold, cold_stats, cold_seconds = build(content, output, cache)
    assert cold.returncode == 0, cold.stderr[-4000:] + cold.stdout[-2000:]
    entries = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file() and p.suffix != ".json"}
    warm, warm_stats, warm_seconds = build(content, output, cache)
    assert warm.returncode == 0, warm.stderr[-4000:]
    return {"content": content, "output": output, "cache": cache, "cold": cold_stats, "warm": warm_stats,
            "entries_before": entries, "seconds": (cold_seconds, warm_seconds)}
