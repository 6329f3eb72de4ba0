"""A warm build renders only the outputs an edit shows up in (plugins/parallel_writer/render_keys.py).

What the output must be is the equivalence tests' job (test_build_equivalence):
here the question is which files were written again and which were left as
they were, byte for byte and with their old modification time."""

import json
import re

import pytest

from tests.writers.test_build_equivalence import build, differences
from tools.bench.corpus import generate

WORD = "quokkaphone"  # in no generated post
# Listings of the whole site: they read every post (counts per tag, category
# and author; the 404 page's newest posts; the sitemap), so any edit renders
# them again, whether or not they link to the edited post.
SITE_WIDE = {"404.html", "tags/index.html", "categories/index.html", "authors/index.html", "sitemap.xml"}


def stamps(output):
    return {str(p.relative_to(output)): p.stat().st_mtime_ns
            for p in output.rglob("*") if p.is_file() and p.suffix in (".html", ".xml")}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("render-only-changed")
    content = generate(250, root / "content")
    cache = ["CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true", f"CACHE_PATH={json.dumps(str(root / 'cache'))}"]
    output = build(content, root / "out", *cache)
    return root, content, output, cache


def test_nothing_changed_writes_no_page(site):
    root, content, output, cache = site
    before = stamps(output)
    index = output / "pagefind" / "pagefind-entry.json"
    indexed = index.stat().st_mtime_ns
    build(content, output, *cache)
    assert stamps(output) == before
    assert index.stat().st_mtime_ns == indexed  # no page changed: Pagefind did not run


def test_one_post_edit_rewrites_only_the_pages_that_show_it(site):
    root, content, output, cache = site
    post = content / "posts" / "generated-post-3.md"
    before = stamps(output)
    post.write_text(post.read_text() + f"\nA closing line about the {WORD}.\n")
    build(content, output, *cache)
    after = stamps(output)
    rewritten = {name for name, stamp in after.items() if before.get(name) != stamp}

    [page] = [name for name in after if name.endswith("generated-post-3/index.html")]
    assert page in rewritten and WORD in (output / page).read_text()
    url = "/" + page.removesuffix("index.html")
    for name in rewritten - SITE_WIDE - {page}:
        text = (output / name).read_text()
        assert url in text, f"{name} was rendered again but does not show {url}"
    pages = [n for n in after if n.endswith(".html")]
    assert len(rewritten) < len(pages) / 10, sorted(rewritten)
    # The post's neighbours show its title; a post nowhere near it is left alone.
    far = next(n for n in pages if n.endswith("generated-post-200/index.html"))
    assert far not in rewritten and url not in (output / far).read_text()
    # A feed written again carries the new body.
    feeds = [n for n in rewritten if n.endswith(".xml") and n != "sitemap.xml"]
    assert all(WORD in (output / n).read_text() for n in feeds)
    assert differences(output, build(content, root / "full")) == []


def test_unknown_values_are_always_rendered():
    """An object the digest cannot describe never matches an earlier build."""
    from plugins.parallel_writer.render_keys import Keys

    keys = Keys({"THEME": "", "PLUGINS": []}, {})

    class Opaque:
        pass

    assert keys.encode(Opaque()) != keys.encode(Opaque())
    assert keys.encode({"a": [1, "x"]}) == keys.encode({"a": [1, "x"]})
    assert re.fullmatch(r"[0-9a-f]{32}", keys.site)


def test_a_build_that_rewrites_pages_in_place_is_never_taken_for_recorded(site):
    """A production build (ASSETS_OPTIMIZE minifies the pages in place) into the
    same output leaves no record, so the next preview build renders every page."""
    root, content, output, cache = site
    build(content, output, *cache, "ASSETS_OPTIMIZE=true")
    assert not (root / "cache" / "render-keys.json").exists()
    build(content, output, *cache)
    # (The minified build's fingerprinted CSS and JS copies stay: static files are never deleted.)
    pages = [d for d in differences(output, build(content, root / "clean")) if d.endswith((".html", ".xml"))]
    assert pages == []
