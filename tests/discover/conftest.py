"""A build of the sample content plus posts made to be awkward for sharing,
related posts and the table of contents (tests/site's run_build)."""

import shutil
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.site.conftest import ROOT, SITEURL, Site, run_build

# Quotes, &, #, ?, non-Latin letters (Cyrillic, CJK, Greek) and an emoji.
AWKWARD_TITLE = "\"Quotes\" & 'Ampersands': #1? Привет, 東京 & Ωmega 🚀 — 100% done?"
AWKWARD_SLUG = "awkward-title"


def write_post(folder, name, text):
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def make_content(target, extra=None):
    """Copy content/ to `target` and add the test posts; return the folder."""
    shutil.copytree(ROOT / "content", target)
    posts = target / "posts"
    write_post(posts, "awkward.md", f"""
        Title: {AWKWARD_TITLE}
        Date: 2026-10-01 09:00
        Category: Strategy
        Tags: sales, marketing
        Authors: Dana Reyes
        Slug: {AWKWARD_SLUG}
        Summary: A post with a title built to trip up share links: quotes, ampersands, a hash, question marks and letters from three scripts.
        Toc: on
        Related: writing-a-newsletter-people-open, case-studies-that-sell-without-shouting

        An introduction paragraph for the awkward post, long enough to be a real paragraph.

        ## First Section & "Quotes"

        Some text in the first section.

        ### A Smaller Part

        Some text in the smaller part.

        ## Second Section

        Closing words.
        """)
    write_post(posts, "quiet.md", """
        Title: A Quiet Post Nobody Shares
        Date: 2026-10-02 09:00
        Category: Email
        Tags: email
        Authors: Dana Reyes
        Slug: quiet-post
        Summary: This post turns the share buttons off in its front matter, so none should appear on it at all.
        Share: off

        A short paragraph of text for the quiet post.

        ## Only Heading

        More text.
        """)
    for name, text in (extra or {}).items():
        write_post(posts, name, text)
    return target


@pytest.fixture(scope="session")
def awkward_site(tmp_path_factory):
    content = make_content(tmp_path_factory.mktemp("content") / "content")
    output = tmp_path_factory.mktemp("discover-site")
    result = run_build("publishconf.py", output, content=content)
    assert result.returncode == 0, result.stderr + result.stdout
    return Site(output)


def article_path(site, slug):
    found = [p for p in site.root.glob(f"*/*/{slug}/index.html")]
    assert len(found) == 1, (slug, found)
    return found[0].relative_to(site.root)


@pytest.fixture
def soup_of(awkward_site):
    def soup(slug) -> BeautifulSoup:
        return awkward_site.soup(article_path(awkward_site, slug))
    return soup


__all__ = ["AWKWARD_TITLE", "AWKWARD_SLUG", "SITEURL", "make_content", "article_path"]
