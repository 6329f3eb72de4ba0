"""The live preview on sites of real size, driven as a writer drives it.

A generated site of 1,000 posts with cover photos (beside the project's own
content), and the two real Pelican blogs of tests/fixtures/pelican_blog
(Full Stack Python, MIT; Bossy Lobster, Apache-2.0), each previewed with
`tools.serve` and a Chromium tab: ten saves of every kind of edit (known
words, a new word, a new post, a deleted post, broken front matter, then
fixed; tools/bench/writer_loop.py). After every save the edit is visible
in the open tab, and the site answers: every page 200 but the broken post's
own, which shows its error. Afterwards `make html` and `make publish`
succeed in the same folders, with no `make clean`.

How fast is the benchmark's to say (`make bench`), not this test's."""

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tools.bench.writer_loop import KINDS, Preview, run, site_of
from tools.browser import launch

playwright = pytest.importorskip("playwright.sync_api")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOGS = Path(ROOT) / "tests" / "fixtures" / "pelican_blog"
SAVES = 10


def _checks(preview):
    """After each save: the tab's edit showed (run() waited for it); now the pages answer."""
    state = {"made": None}

    def check(loop, kind, path):
        broken = kind == "broken front matter"
        assert preview.answer(loop.post_url) == (500 if broken else 200), (kind, loop.post_url)
        for page in ("/", "/archives/", "/categories/", "/search/", "/drafts/", "/about/"):
            assert preview.answer(page) == 200, (kind, page)
        if kind == "new post":
            state["made"] = _url_on_home(preview, loop.made[-1][1])
            assert preview.answer(state["made"]) == 200
        if kind == "deleted post":
            assert preview.answer(state["made"]) == 404, state["made"]
    return check


def _url_on_home(preview, title):
    with urllib.request.urlopen(preview.url + "/", timeout=30) as response:
        page = response.read().decode()
    end = page.index(title)
    return re.findall(r'href="([^"]+)"', page[:end])[-1]


def _every_page_answers(preview):
    preview.settled()
    with urllib.request.urlopen(preview.url + "/sitemap.xml", timeout=30) as response:
        urls = re.findall(r"<loc>https?://[^/]+([^<]*)</loc>", response.read().decode())
    assert len(urls) > 20
    failing = [url for url in urls if preview.answer(url) != 200]
    assert failing == []


def _builds(content, output):
    env = {**os.environ, "SITEURL": "", "FORMS_URL": "http://127.0.0.1:8001"}
    for settings, extra in (("pelicanconf.py", {}), ("publishconf.py", {"SITEURL": "https://blog.example.com",
                                                                        "NEWSLETTER_CAMPAIGNS": "off"})):
        result = subprocess.run([sys.executable, "-m", "tools.build", settings, "--content", str(content),
                                 "--output", str(output)], cwd=ROOT, env={**env, **extra},
                                capture_output=True, text=True)
        assert result.returncode == 0, f"{settings}: {result.stderr[-3000:]}"


def _writer_at_work(content, workdir, post):
    with Preview(content, workdir) as preview, playwright.sync_playwright() as driver:
        browser = launch(driver)
        try:
            page = browser.new_page()
            times = run(preview, page, post, SAVES, between=_checks(preview))
            assert {kind: len(times[kind]) for kind in KINDS} == {kind: SAVES for kind in KINDS}
            _every_page_answers(preview)
        finally:
            browser.close()
    # `make serve` again, on what the last one left: it builds and serves.
    with Preview(content, workdir) as preview:
        assert preview.settled()["ok"]
        _every_page_answers(preview)
    # The preview's folder, as the preview left it: the builds own their outputs.
    _builds(content, preview.output)


def test_a_thousand_posts_with_covers(tmp_path):
    content = site_of(1000, tmp_path, covers=10)
    _writer_at_work(content, tmp_path, content / "posts" / "generated" / "generated-post-7.md")


def test_two_real_pelican_blogs(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(os.path.join(ROOT, "content"), content)
    for blog in ("fullstackpython", "bossylobster"):
        (content / "posts" / blog).mkdir()
        for post in (BLOGS / blog).glob("*.m*d*"):
            shutil.copy(post, content / "posts" / blog / post.name)
    post = content / "posts" / "bossylobster" / "2011-07-10-continued-fractions-for-greater-good.md"
    _writer_at_work(content, tmp_path, post)
