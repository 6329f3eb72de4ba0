"""A post written for another Pelican site builds here unedited: `---`
fences, lowercase keys, a date with seconds and a time zone, `Author`,
an empty `Tags:`, {static}/{filename}/{attach} links, [TOC], and
admonitions where the blog's Markdown settings enable them."""

import json
import os
import shutil
import subprocess
import sys

from bs4 import BeautifulSoup

from .conftest import ROOT

POST = """---
title: Moving in from elsewhere
date: 2019-04-05 14:30:15+02:00
modified: 2019-04-06T09:00:00+02:00
author: Ada Writer
tags:
category: Notes
slug: moving-in
subtitle: kept as metadata
---

[TOC]

## Links that Pelican resolves

See [the other post]({filename}other.md), the [picture]({static}/images/sales-marketing-siblings.svg)
and [the handout]({attach}handout.txt).

!!! note "Worth knowing"
    Admonitions render when the blog's MARKDOWN settings enable them.

## The end

Done.
"""
OTHER = "Title: The other post\nDate: 2019-04-01\nCategory: Notes\n\nHello.\n"
MARKDOWN = {"extension_configs": {"markdown.extensions.extra": {}, "markdown.extensions.admonition": {},
                                  "markdown.extensions.toc": {"permalink": False}},
            "output_format": "html5"}


def test_a_post_from_another_pelican_blog_builds_unedited(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    folder = content / "posts" / "elsewhere"
    folder.mkdir()
    (folder / "moving-in.md").write_text(POST, encoding="utf-8")
    (folder / "other.md").write_text(OTHER, encoding="utf-8")
    (folder / "handout.txt").write_text("A handout.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
         "--output", str(tmp_path / "out"), "-e", "MARKDOWN=" + json.dumps(MARKDOWN)],
        cwd=ROOT, env={**os.environ, "SITEURL": ""}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Advice" not in result.stderr, result.stderr
    page = tmp_path / "out" / "2019" / "04" / "moving-in" / "index.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    assert soup.h1.get_text(strip=True) == "Moving in from elsewhere"
    assert soup.find("time")["datetime"].startswith("2019-04-05T14:30:15+02:00")
    assert "Ada Writer" in soup.get_text()
    assert soup.select_one("div.toc a[href='#links-that-pelican-resolves']")
    note = soup.select_one("div.admonition.note")
    assert note and note.select_one(".admonition-title").get_text() == "Worth knowing"
    hrefs = [a["href"] for a in soup.select("article a[href]")]
    assert "/2019/04/the-other-post/" in hrefs
    assert "/images/sales-marketing-siblings.svg" in hrefs
    attached = [h for h in hrefs if h.endswith("handout.txt")]
    assert attached and (tmp_path / "out" / attached[0].lstrip("/")).is_file()
    assert not soup.select("a.tag, .tags a[rel=tag]")  # the empty Tags line gave no tags
