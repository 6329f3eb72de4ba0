"""Pagefind search in real headless Chromium against the built site."""

import json

import pytest

from tests.site.conftest import run_build
from tests.support.browser import launch, serve_directory

playwright = pytest.importorskip("playwright.sync_api")

# Occurs in exactly one sample post (content/posts/case-studies-that-sell-without-shouting.md).
WORD = "accountancy"
EXPECTED = "/2026/07/case-studies-that-sell-without-shouting/"


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    output = tmp_path_factory.mktemp("search-site")
    # Development settings: empty SITEURL, so links are root-relative and the
    # site works on whatever port the loopback server gets.
    result = run_build("pelicanconf.py", output, siteurl="")
    assert result.returncode == 0, result.stderr + result.stdout
    assert (output / "pagefind" / "pagefind-ui.js").is_file()
    # Seven posts, fewer than a shard's 250: one index, in Pagefind's standard
    # place, and no vocabulary page to filter out.
    assert json.loads((output / "pagefind" / "shards.json").read_text()) == {"bundles": [""]}
    assert (output / "pagefind" / "pagefind-entry.json").is_file()
    assert not list((output / "pagefind").glob("shard-*"))
    with serve_directory(output) as origin:
        yield origin, output


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


def _only_loopback(page, origin):
    outside = []
    page.on("request", lambda r: None if r.url.startswith((origin, "data:", "blob:"))
            else outside.append(r.url))
    return outside


def test_search_page_lists_the_one_post_first(served_site, browser):
    origin, _ = served_site
    page = browser.new_page()
    outside = _only_loopback(page, origin)
    page.goto(origin + "/search/")
    assert page.locator("h1").count() == 1
    field = page.locator("#search input")
    field.wait_for()
    # Pagefind's UI gives its field only a placeholder; search-page.js labels it.
    assert field.get_attribute("id") == "search-input"
    assert page.locator("label[for=search-input]").text_content() == "Search the posts"
    field.fill(WORD)
    first = page.locator(".pagefind-ui__result-link").first
    first.wait_for(timeout=15000)
    levels = page.eval_on_selector_all("h1,h2,h3,h4,h5,h6", "hs => hs.map(h => +h.tagName[1])")
    assert levels.count(1) == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    assert first.get_attribute("href").rstrip("/").endswith(EXPECTED.rstrip("/"))
    assert page.locator(".pagefind-ui__result").count() == 1
    assert outside == []
    page.close()


def test_pagefinds_documented_snippet_finds_posts_on_a_small_site(served_site, browser, tmp_path):
    """Pagefind's own UI snippet, as its documentation gives it (no bundle
    path: the bundle is where the script is), searches a site of one index."""
    origin, output = served_site
    snippet = output / "snippet-test.html"
    snippet.write_text('<!doctype html><html lang="en"><head><title>Snippet</title>'
                       '<link href="/pagefind/pagefind-ui.css" rel="stylesheet">'
                       '<script src="/pagefind/pagefind-ui.js"></script></head><body>'
                       '<div id="search"></div><script>window.addEventListener("DOMContentLoaded",'
                       '() => new PagefindUI({ element: "#search", showSubResults: true }));'
                       '</script></body></html>', encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(origin + "/snippet-test.html")
        page.locator("#search input").fill(WORD)
        first = page.locator(".pagefind-ui__result-link").first
        first.wait_for(timeout=15000)
        assert first.get_attribute("href").rstrip("/").endswith(EXPECTED.rstrip("/"))
    finally:
        page.close()
        snippet.unlink()


def test_header_box_appears_with_js_and_searches(served_site, browser):
    origin, _ = served_site
    page = browser.new_page()
    page.goto(origin + "/about/")
    box = page.locator("form[data-search-box]")
    assert box.is_visible()
    assert not page.locator("[data-search-link]").is_visible()
    page.fill("#search-box-input", WORD)
    page.press("#search-box-input", "Enter")
    page.wait_for_url("**/search/?q=*")
    first = page.locator(".pagefind-ui__result-link").first
    first.wait_for(timeout=15000)
    assert first.get_attribute("href").rstrip("/").endswith(EXPECTED.rstrip("/"))
    page.close()


def test_without_js_the_header_links_to_search(served_site, browser):
    origin, _ = served_site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(origin + "/")
    assert not page.locator("form[data-search-box]").is_visible()
    assert page.locator("[data-search-link] a").get_attribute("href") == "/search/"
    context.close()


def test_copy_link_and_mastodon_page(served_site, browser):
    origin, _ = served_site
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    outside = _only_loopback(page, origin)
    page.goto(origin + EXPECTED)
    copy = page.locator("[data-share-copy] button")
    assert copy.is_visible()  # loopback counts as a secure context
    assert not page.locator("[data-share-fallback]").is_visible()
    copy.click()
    page.locator("[data-share-status]").filter(has_text="copied").wait_for(timeout=5000)
    assert page.evaluate("navigator.clipboard.readText()").endswith(EXPECTED)
    # Mastodon: nothing leaves the site until a server is typed in.
    page.locator("a[href*='/share/mastodon/']").click()
    page.wait_for_url("**/share/mastodon/?text=*")
    assert EXPECTED in page.input_value("#mastodon-text")
    assert outside == []
    page.route("https://mastodon.example/**", lambda route: route.fulfill(body="ok"))
    page.fill("#mastodon-instance", "@me@Mastodon.Example")
    page.click("form[data-mastodon-share] button")
    page.wait_for_url("https://mastodon.example/share?text=*")
    assert EXPECTED.rstrip("/") in page.url.replace("%2F", "/")
    context.close()


# -- a sharded index, updated by an incremental build -------------------------------------

EDITED = "content/posts/writing-a-newsletter-people-open.md"
NEW_WORD = "quokkagram"  # in no sample post


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory):
    """The sample site with two posts per search shard, built; then one post
    edited to repeat a paragraph it has, built again; then edited to hold a
    word no page has, built again, each time into the same output and cache.
    Yields the origin, the output and, for each incremental build, the
    shards whose entry file was written again."""
    import json
    import shutil

    from tests.site.conftest import ROOT
    from tests.writers.test_build_equivalence import build

    root = tmp_path_factory.mktemp("sharded-search")
    content = root / "content"
    shutil.copytree(ROOT / "content", content)
    settings = ["SEARCH_SHARD_PAGES=2", "CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true",
                f"CACHE_PATH={json.dumps(str(root / 'cache'))}"]
    output = build(content, root / "out", *settings)
    post = content / EDITED.removeprefix("content/")
    paragraph = [p for p in post.read_text().split("\n\n") if p[:1].isalpha() and " " in p][1]
    rewritten = []
    for addition in (paragraph, f"One more thing: the {NEW_WORD}."):
        entries = {p: p.stat().st_mtime_ns for p in (output / "pagefind").glob("shard-*/pagefind-entry.json")}
        post.write_text(post.read_text() + f"\n{addition}\n")
        build(content, output, *settings)
        rewritten.append([p for p, stamp in entries.items() if p.stat().st_mtime_ns != stamp])
    with serve_directory(output) as origin:
        yield origin, output, entries, rewritten


def _search(browser, origin, word):
    page = browser.new_page()
    outside = _only_loopback(page, origin)
    page.goto(origin + "/search/?q=" + word)
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    page.wait_for_timeout(300)  # let every shard's results arrive
    links = [a.get_attribute("href") for a in page.locator(".pagefind-ui__result-link").all()]
    # The kind:post filter is set, not offered: css/search.css hides Pagefind's filter panel.
    panels = page.locator(".pagefind-ui__filter-panel")
    assert panels.count() and all(not panel.is_visible() for panel in panels.all())
    page.close()
    assert outside == []
    return links


def test_incremental_build_reindexes_only_the_edited_posts_shard(sharded_site):
    _, output, entries, (same_words, new_word) = sharded_site
    assert len(entries) >= 3  # the sample posts, two to a shard
    assert len(same_words) == 1  # the edited post's shard; the others kept their files
    # A word no page had is a new word in every shard's vocabulary page.
    assert sorted(new_word) == sorted(entries)
    listing = json.loads((output / "pagefind" / "shards.json").read_text())
    assert len(listing["bundles"]) == len(entries)
    assert listing["filter"] == {"kind": "post"}


def test_search_finds_the_word_only_the_edited_post_has(sharded_site, browser):
    origin, *_ = sharded_site
    links = _search(browser, origin, NEW_WORD)
    assert [link.rstrip("/").rsplit("/", 1)[-1] for link in links] == ["writing-a-newsletter-people-open"]


def test_search_across_shards_finds_only_the_one_post(sharded_site, browser):
    """As with one index: the shards without the word know it from their
    vocabulary page, so they do not answer with longest-prefix matches."""
    origin, *_ = sharded_site
    assert _search(browser, origin, WORD) == [EXPECTED]
