"""Two real, public Pelican blogs move in and build with our theme, unedited
(tests/fixtures/pelican_blog/README.md names their sources and licences):
Full Stack Python (66 posts: lowercase keys, `.markdown` files, raw <img>
tags, keys of its own theme) and Bossy Lobster (84 posts: metadata fenced
by `---`, `author:`, no category, Octopress-theme keys, remote images)."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "pelican_blog"
BLOGS = {"fullstackpython": 66, "bossylobster": 84}
SEED_PUBLISHED = 7


@pytest.fixture(scope="module")
def moved_in(tmp_path_factory):
    root = tmp_path_factory.mktemp("moved-in")
    content = root / "content"
    shutil.copytree(ROOT / "content", content)
    for blog in BLOGS:
        target = content / "posts" / blog
        target.mkdir()
        for post in (FIXTURES / blog).glob("*.m*d*"):
            shutil.copy(post, target / post.name)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
         "--output", str(root / "out")],
        cwd=ROOT, env={**os.environ, "SITEURL": ""}, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    print(f"\nreal Pelican blogs: {sum(BLOGS.values())} posts added, built in {seconds:.1f} s")
    _, _, tail = result.stderr.partition("Advice (the build does not fail on these):")
    advice = [line[4:] for line in tail.splitlines() if line.startswith("  - ")]
    return {"result": result, "out": root / "out", "advice": advice, "content": content}


def test_the_fixtures_are_all_there():
    for blog, count in BLOGS.items():
        assert len(list((FIXTURES / blog).glob("*.m*d*"))) == count
        assert (FIXTURES / blog / "LICENSE").is_file()


def test_the_blogs_build_without_errors(moved_in):
    result = moved_in["result"]
    assert result.returncode == 0, result.stderr
    assert "Build FAILED" not in result.stderr
    assert f"Processed {SEED_PUBLISHED + sum(BLOGS.values())} articles" in result.stdout


def test_every_post_became_a_page_in_our_theme(moved_in):
    out = moved_in["out"]
    pages = [p for p in out.glob("20[0-9][0-9]/[0-9][0-9]/*/index.html")]
    assert len(pages) == SEED_PUBLISHED + sum(BLOGS.values())
    vault = (out / "2020" / "07" / "running-vault-locally" / "index.html").read_text(encoding="utf-8")
    assert "Running `vault` Locally</h1>" in vault  # `---` fenced, lowercase keys
    assert 'class="related' in vault and "share" in vault
    assert (out / "author" / "danny-hermes-dhermesbossylobstercom" / "index.html").is_file()  # `author:`
    assert (out / "category" / "post" / "index.html").is_file()  # Full Stack Python's `category: post`
    assert (out / "category" / "general" / "index.html").is_file()  # Bossy Lobster has none


def test_the_advice_it_printed(moved_in):
    advice = moved_in["advice"]
    no_category = [a for a in advice if ": no Category;" in a]
    assert len(no_category) == BLOGS["bossylobster"]
    assert all("/bossylobster/" in a for a in no_category)
    no_alt = [a for a in advice if "has no alt text" in a]
    assert len(no_alt) == 84 and all("/fullstackpython/" in a for a in no_alt)
    remote = [a for a in advice if "is on another host" in a]
    assert sorted(re.search(r"\(([^)]+)\)", a).group(1) for a in remote) == \
        ["ir-na.amazon-adsystem.com"] * 4 + ["www.fullstackpython.com"] * 2
    assert len(advice) == len(no_category) + len(no_alt) + len(remote)
    # Each names its file, and its line where there is one.
    assert all(re.match(r"\S+\.(md|markdown)(:\d+)?: ", a) for a in advice)
