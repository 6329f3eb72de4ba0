"""A sharded search index answers as one index does, on posts others wrote.

The two real Pelican blogs of tests/fixtures/pelican_blog (Full Stack
Python, MIT; Bossy Lobster, Apache-2.0: 150 posts) and the samples are
built once with one index; the same pages are then indexed again in shards
of 20 (8 shards). Real Chromium runs Pagefind's own search over both, with
the filter the search page uses, for words of the posts, prefixes of them,
two-word queries and words no post has, and every query must find the same
set of pages in both."""

import json
import re
import shutil

import pytest

from plugins.search import SearchIndexError
from plugins.search import index_pages
from tests.site.conftest import ROOT
from tests.support.browser import launch, serve_directory
from tests.writers.test_build_equivalence import build

playwright = pytest.importorskip("playwright.sync_api")

BLOGS = ROOT / "tests" / "fixtures" / "pelican_blog"
SHARD_PAGES = 20
# Words no page has (so one index answers with its longest-prefix matches,
# and each shard must give the same ones), and a sample post's rare word.
ABSENT = ["pythonistas", "kubernetesy", "accountancies", "zzyzx", "databasing"]

SEARCH = r"""async ([bundles, queries]) => {
  const pagefind = await import(bundles[0] + "pagefind.js");
  await pagefind.options({ basePath: bundles[0] });
  for (const bundle of bundles.slice(1)) await pagefind.mergeIndex(bundle);
  const found = {};
  for (const query of queries) {
    const search = await pagefind.search(query, { filters: { kind: "post" } });
    const pages = await Promise.all(search.results.map(r => r.data()));
    // Pagefind puts each bundle's site folder (/one, /sharded) before the URL.
    found[query] = pages.map(p => new URL(p.url, location.href).pathname
                                   .replace(/^\/(one|sharded)\//, "/")).sort();
  }
  return found;
}"""


@pytest.fixture(scope="module")
def two_indexes(tmp_path_factory):
    root = tmp_path_factory.mktemp("search-shards")
    content = root / "content"
    shutil.copytree(ROOT / "content", content)
    for blog in ("fullstackpython", "bossylobster"):
        (content / "posts" / blog).mkdir()
        for post in (BLOGS / blog).glob("*.m*d*"):
            shutil.copy(post, content / "posts" / blog / post.name)
    one = build(content, root / "one", "SEARCH_SHARD_PAGES=0")
    sharded = root / "sharded"
    shutil.copytree(one, sharded)
    index_pages(*_indexing(sharded, root / "cache", SHARD_PAGES))
    with serve_directory(root) as origin:
        yield origin, root


def _indexing(output, cache, shard_pages):
    """The settings and post pages the search plugin's `index_pages` needs, to
    index `output` again: its post pages are those at the posts' URL pattern."""
    settings = {"OUTPUT_PATH": str(output), "CACHE_PATH": str(cache), "SEARCH_ENABLED": True,
                "SEARCH_SHARD_PAGES": shard_pages, "SEARCH_PAGEFIND_ARGS": []}
    posts = [str(page.relative_to(output)) for page in output.glob("*/*/*/index.html")
             if page.parts[-4].isdigit()]
    return settings, posts


def _bundles(origin, root, site):
    listing = json.loads((root / site / "pagefind" / "shards.json").read_text())
    return [f"{origin}/{site}/pagefind/{name}" for name in listing["bundles"]]


def _queries():
    """Words of the posts' sources (taken here, not from the plugin's own
    vocabulary, which this checks), prefixes of them and pairs of them."""
    text = " ".join(p.read_text(encoding="utf-8").lower()
                    for p in sorted(BLOGS.glob("*/*.m*d*")))
    vocabulary = sorted({w for w in re.findall(r"\w+", text) if len(w) >= 3})
    sample = vocabulary[::max(1, len(vocabulary) // 80)]
    prefixes = sorted({w[:4] for w in sample[::3]})
    pairs = [f"{a} {b}" for a, b in zip(sample[::7], sample[3::7])]
    return sample + prefixes + pairs + ABSENT


def test_the_sharded_index_finds_what_one_index_finds(two_indexes):
    origin, root = two_indexes
    one, sharded = _bundles(origin, root, "one"), _bundles(origin, root, "sharded")
    assert len(one) == 1 and len(sharded) == 8
    queries = _queries()
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(origin + "/one/")
        expected = page.evaluate(SEARCH, [one, queries])
        page.goto(origin + "/sharded/")
        found = page.evaluate(SEARCH, [sharded, queries])
        browser.close()
    differ = {q: (expected[q], found[q]) for q in queries if expected[q] != found[q]}
    assert differ == {}
    # The queries exercise what matters: many words, some found on many pages,
    # and absent words that one index answers with prefix matches.
    assert len(queries) >= 100
    assert sum(1 for q in queries if len(expected[q]) >= 10) >= 10
    assert sum(1 for q in ABSENT if expected[q]) >= 3
    assert all(not url.startswith("/_words") for urls in found.values() for url in urls)


def test_without_the_filter_the_vocabulary_pages_would_show(two_indexes):
    """The kind:post filter is what keeps them out of the results."""
    origin, root = two_indexes
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(origin + "/sharded/")
        urls = page.evaluate(SEARCH.replace("{ filters: { kind: \"post\" } }", "{}"),
                             [_bundles(origin, root, "sharded"), ["python"]])["python"]
        browser.close()
    assert sum(1 for url in urls if url.startswith("/_words-en/")) == 8, urls


def test_a_post_page_without_the_filter_fails_the_build_by_name(tmp_path):
    """A theme override of article.html without data-pagefind-filter="kind:post"
    would have its posts left out of every search: the build says so instead."""
    output = tmp_path / "out"
    for number in range(3):
        page = output / "2026" / "01" / f"post-{number}" / "index.html"
        page.parent.mkdir(parents=True)
        marked = ' data-pagefind-filter="kind:post"' if number else ""
        page.write_text(f'<html lang="en"><body><article data-pagefind-body{marked}>'
                        f"<h1>Post {number}</h1><p>Words of post {number}.</p></article></body></html>")
    with pytest.raises(SearchIndexError) as failure:
        index_pages(*_indexing(output, tmp_path / "cache", 1))
    message = str(failure.value)
    assert "1 post page(s) lack" in message and "2026/01/post-0/index.html" in message
    assert "post-1" not in message


def test_pages_at_post_like_paths_are_not_taken_for_posts(tmp_path):
    """An email preview, a redirect or a page another build left at a path
    shaped like a post's is not a post: the sharded build indexes the
    build's own posts only, and does not fail on those files."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    output = tmp_path / "out"
    strangers = ["newsletter/preview/some-post/index.html", "2019/04/an-old-slug/index.html",
                 "drafts/x/y/index.html"]
    for name in strangers:
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_text('<html lang="en"><body><main data-pagefind-body>'
                                   "<p>Not a post at all.</p></main></body></html>")
    cache = json.dumps(str(tmp_path / "cache"))
    build(content, output, "SEARCH_SHARD_PAGES=2", f"CACHE_PATH={cache}")
    listing = json.loads((output / "pagefind" / "shards.json").read_text())
    assert len(listing["bundles"]) > 1 and listing["filter"] == {"kind": "post"}
    record = json.loads((tmp_path / "cache" / "search-shards.json").read_text())
    indexed = set(record["files"])
    posts = {str(p.relative_to(output)) for p in output.glob("20[0-9][0-9]/*/*/index.html")} \
        - set(strangers)
    assert indexed == posts and not indexed & set(strangers)


def test_a_publish_build_in_shards_finds_its_minified_post_pages(tmp_path):
    """publishconf minifies the pages (the filter attribute loses its quotes)
    before they are indexed: a site of several shards still publishes."""
    import os
    import subprocess
    import sys

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    env = {**os.environ, "SITEURL": "https://blog.example.com", "FORMS_URL": "https://forms.example.com",
           "NEWSLETTER_CAMPAIGNS": "off", "NEWSLETTER_ISSUES_FILE": str(tmp_path / "issues.json")}
    result = subprocess.run([sys.executable, "-m", "tools.build", "publishconf.py", "--content", str(content),
                             "--output", str(tmp_path / "out"), "-e", "SEARCH_SHARD_PAGES=2",
                             f"CACHE_PATH={json.dumps(str(tmp_path / 'cache'))}"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    page = next((tmp_path / "out").glob("20*/*/*/index.html")).read_text(encoding="utf-8")
    assert "data-pagefind-filter=kind:post" in page  # minified, as it was indexed
    listing = json.loads((tmp_path / "out" / "pagefind" / "shards.json").read_text())
    assert len(listing["bundles"]) > 1
