"""Gate: 0 broken internal links or #fragments across the whole site."""

import shutil

from .helpers import check_links

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<link rel="stylesheet" href="/theme/css/site.css"></head><body><main id="top">{body}</main></body></html>"""


def test_no_broken_internal_links(site_dir, site_url):
    assert check_links(site_dir, site_url) == []


def test_no_broken_internal_links_in_zero_server_mode(zero_server_dir, site_url):
    assert check_links(zero_server_dir, site_url) == []


def _crafted(tmp_path, body):
    (tmp_path / "theme" / "css").mkdir(parents=True)
    (tmp_path / "theme" / "css" / "site.css").write_text("p{}")
    (tmp_path / "about").mkdir()
    (tmp_path / "about" / "index.html").write_text(PAGE.format(body='<h2 id="team">Team</h2>'))
    (tmp_path / "index.html").write_text(PAGE.format(body=body))
    return check_links(tmp_path, "http://127.0.0.1:1")


def test_link_gate_passes_good_links(tmp_path):
    body = ('<a href="/about/">a</a> <a href="about/#team">b</a> <a href="#top">c</a>'
            ' <a href="http://127.0.0.1:1/about/">d</a> <a href="https://elsewhere.example/x">e</a>')
    assert _crafted(tmp_path, body) == []


def test_link_gate_catches_a_missing_page(tmp_path):
    problems = _crafted(tmp_path, '<a href="/abuot/">typo</a>')
    assert len(problems) == 1 and "broken link /abuot/" in problems[0]


def test_link_gate_catches_a_missing_anchor(tmp_path):
    problems = _crafted(tmp_path, '<a href="/about/#teams">x</a> <a href="#nowhere">y</a>')
    assert len(problems) == 2 and all("no id" in p for p in problems)


def test_link_gate_catches_a_missing_asset(tmp_path):
    problems = _crafted(tmp_path, '<img src="/images/gone.png" alt="gone" width="1" height="1">')
    assert problems and "gone.png" in problems[0]


def test_link_gate_catches_a_broken_link_in_a_copy_of_the_real_site(site_dir, site_url, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(site_dir, copy)
    page = copy / "about" / "index.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("</main>", f'<a href="{site_url}/no-such-page/">x</a>'
                                            f'<a href="{site_url}/contact/#no-such-id">y</a></main>', 1))
    problems = check_links(copy, site_url)
    assert len(problems) == 2, problems
