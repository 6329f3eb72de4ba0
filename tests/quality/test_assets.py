"""plugins/assets: fingerprinted, minified CSS/JS, minified HTML, .gz/.br
copies; Pagefind's files left alone; nothing of it in development builds."""

import gzip
import hashlib
import re

import brotli

from plugins.assets import optimize, rewrite_references

from .helpers import build_site


def test_css_and_js_are_fingerprinted_and_referenced(site_dir):
    assets = sorted(p for p in (site_dir / "theme").rglob("*") if p.suffix in (".css", ".js"))
    assert assets
    for asset in assets:
        match = re.search(r"\.([0-9a-f]{8})\.(css|js)$", asset.name)
        assert match, asset
        assert hashlib.sha256(asset.read_bytes()).hexdigest()[:8] == match.group(1)
    for page in site_dir.rglob("*.html"):
        html = page.read_text()
        assert not re.search(r"/theme/(css|js)/[\w-]+\.(css|js)\b", html), page
        for url in re.findall(r"(?:href|src)=\"?([^\" >]+/theme/[^\" >]+)", html):
            assert (site_dir / "theme" / url.split("/theme/", 1)[1].split("?")[0]).is_file(), (page, url)


def test_html_is_minified_and_precompressed(site_dir):
    page = site_dir / "index.html"
    html = page.read_bytes()
    assert b"\n<" not in html  # no template line structure left
    for suffix, unpack in ((".gz", gzip.decompress), (".br", brotli.decompress)):
        for original in (page, next((site_dir / "theme" / "css").glob("main.*.css"))):
            copy = original.with_name(original.name + suffix)
            assert unpack(copy.read_bytes()) == original.read_bytes()


def test_development_build_leaves_assets_alone(tmp_path):
    result = build_site(tmp_path, "", settings="pelicanconf.py")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "theme" / "css" / "main.css").is_file()
    assert not list(tmp_path.rglob("*.gz"))
    assert "\n<" in (tmp_path / "index.html").read_text()


def test_pagefind_is_left_alone_and_references_are_rewritten(tmp_path):
    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "pagefind-ui.css").write_text(".pf { color : red ; }\n")
    (tmp_path / "pagefind" / "pagefind-ui.js").write_text("var  a = 1 ;\n")
    (tmp_path / "theme" / "css").mkdir(parents=True)
    (tmp_path / "theme" / "css" / "main.css").write_text("body {  margin : 0 ; }\n" * 30)
    (tmp_path / "post").mkdir()
    page = ('<!doctype html><html lang="en"><head><title>t</title>'
            '<link rel="stylesheet" href="https://x.test/theme/css/main.css?v=1">'
            '<link rel="stylesheet" href="/pagefind/pagefind-ui.css">'
            '<script src="/pagefind/pagefind-ui.js"></script></head><body>'
            '<a href="../theme/css/main.css#top">css</a></body></html>')
    (tmp_path / "post" / "index.html").write_text(page)
    stats = optimize(tmp_path, siteurl="https://x.test", precompress_methods=("gzip", "br"))
    assert (tmp_path / "pagefind" / "pagefind-ui.css").read_text() == ".pf { color : red ; }\n"
    assert (tmp_path / "pagefind" / "pagefind-ui.js").read_text() == "var  a = 1 ;\n"
    assert not list((tmp_path / "pagefind").glob("*.gz"))
    new = stats["mapping"]["theme/css/main.css"]
    assert not (tmp_path / "theme" / "css" / "main.css").exists()
    assert (tmp_path / new).read_text() == "body{margin:0}"
    html = (tmp_path / "post" / "index.html").read_text()
    assert f"https://x.test/{new}?v=1" in html
    assert f"../{new}#top" in html
    assert "/pagefind/pagefind-ui.css" in html and "/pagefind/pagefind-ui.js" in html
    assert stats["references"] == 2


def test_rewrite_leaves_other_urls_alone():
    mapping = {"theme/js/a.js": "theme/js/a.12345678.js"}
    html = '<script src=/theme/js/a.js></script><a href="https://elsewhere.test/theme/js/a.js">x</a><a href="/theme/js/b.js">'
    out, count = rewrite_references(html, "index.html", mapping, "https://x.test")
    assert count == 1
    assert "src=/theme/js/a.12345678.js" in out and "https://elsewhere.test/theme/js/a.js" in out
