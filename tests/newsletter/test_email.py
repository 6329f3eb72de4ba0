"""The email itself: what inboxes need, checked on every post of the real
content plus a post full of edge cases, and rendered in real Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from lxml import etree, html as lxml_html

from .conftest import OFF_POST, SEED, SITEURL, make_content, run_build

LIMIT = 102 * 1024
SHOTS = Path(os.environ.get("NEWSLETTER_SHOTS", "/tmp/i13-shots"))


def absolute(url: str) -> bool:
    return url.startswith(("https://", "http://", "mailto:")) or bool(re.fullmatch(r"\*\|[A-Z_:]+\|\*", url))


def paragraphs_of_post(built, issue):
    """The post's own paragraphs: its Markdown, without front matter or shortcode lines."""
    import markdown

    source = (built.content / issue["source_path"]).read_text(encoding="utf-8")
    body = source.split("\n\n", 1)[1]
    body = re.sub(r"(?m)^\[(signup|contact)[^\]]*\]$", "", body)
    soup = BeautifulSoup(markdown.markdown(body, extensions=["extra"]), "lxml")
    return [" ".join(p.get_text(" ").split()) for p in soup.find_all("p") if p.get_text(strip=True)]


def flat(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # inscriptis' [text](url)
    text = " ".join(text.replace("*", "").split())
    return re.sub(r"\s+([.,;:!?)])", r"\1", text)


def test_every_published_post_has_an_issue(built):
    slugs = {i["slug"] for i in built.issues}
    assert len(built.issues) == 9  # the 7 published posts of content/ (not its draft), plus the two added
    assert {"email-edge-cases", OFF_POST, SEED} <= slugs
    assert built.issue(OFF_POST)["newsletter"] is False
    assert all(i["newsletter"] for i in built.issues if i["slug"] != OFF_POST)


def test_html_is_inbox_safe(built):
    for issue in built.issues:
        document = issue["html"]
        name = issue["slug"]
        root = lxml_html.document_fromstring(document)  # parses
        strict = etree.HTMLParser(recover=False)
        etree.fromstring(document.encode(), strict)  # and without error recovery
        assert not root.xpath("//script | //svg | //form | //iframe | //link"), name
        assert "<svg" not in document.lower() and "<script" not in document.lower(), name
        assert issue["size"] == len(document.encode()) < LIMIT, name
        assert "*|UNSUB|*" in document and "*|LIST:ADDRESSLINE|*" in document, name
        for node in root.xpath("//*[@href] | //*[@src]"):
            url = node.get("href") or node.get("src")
            assert absolute(url), f"{name}: relative URL {url!r} in <{node.tag}>"
        for img in root.iter("img"):
            assert img.get("alt") is not None, f"{name}: <img> without alt"
            assert not img.get("src").lower().endswith(".svg"), f"{name}: SVG image"
        # One column, never wider than 600 px; CSS inlined, @media rules kept for dark mode.
        assert root.xpath("//table[@width='600']"), name
        assert "max-width:600px" in document.replace(" ", ""), name
        assert 'style="' in document and "prefers-color-scheme:dark" in document.replace(" ", "")
        links = {a.text_content().strip(): a.get("href") for a in root.iter("a")}
        assert links["Read on the web"] == issue["url"], name
        assert links["Unsubscribe"] == "*|UNSUB|*", name


def test_plain_text_has_every_paragraph(built):
    for issue in built.issues:
        text = flat(issue["text"])
        paragraphs = paragraphs_of_post(built, issue)
        assert paragraphs, issue["slug"]
        for paragraph in paragraphs:
            assert flat(paragraph) in text, f"{issue['slug']}: missing from the plain text: {paragraph[:80]}"
        assert issue["url"] in issue["text"] and "*|UNSUB|*" in issue["text"]
        assert "<" not in re.sub(r"<[^>]*@[^>]*>", "", issue["text"].replace("<Edge>", "")), issue["slug"]


def test_seed_article(built):
    issue = built.issue(SEED)
    root = lxml_html.document_fromstring(issue["html"])
    [cover] = root.xpath("//img[contains(@class, 'cover')]")
    assert cover.get("src").startswith(f"{SITEURL}/images/email/sales-marketing-siblings-")
    assert cover.get("src").endswith(".png") and cover.get("width") == "600"
    assert cover.get("alt").startswith("Two figures, one teal and one coral")
    png = built.output / cover.get("src")[len(SITEURL) + 1:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    headings = [h.text_content() for h in root.iter("h2")]
    assert headings == ["1. The Audience", "2. The Time Frame", "3. The Goals", "Inherent Dysfunction",
                        "Best of Both Worlds", "Let's grab a drink and talk"]
    assert "#" not in "".join(headings)  # heading anchors are gone
    share = [a.get("href") for a in root.iter("a") if a.text_content().strip() == "Share this post"]
    assert share == [issue["url"] + "#share-title"]
    assert f'href="{SITEURL}/2025/11/content-calendar-that-survives-reality/"' in issue["html"]
    assert f'href="{SITEURL}/contact/"' in issue["html"]
    assert issue["subject"] == "Sales & Marketing: The Classic Sibling Rivalry"


def test_edge_cases_post(built):
    issue = built.issue("email-edge-cases")
    root = lxml_html.document_fromstring(issue["html"])
    hrefs = [a.get("href") for a in root.iter("a")]
    assert f"{SITEURL}/about/" in hrefs  # the relative link, made absolute
    assert issue["url"] + "#the-chart" in hrefs
    assert f"{SITEURL}/newsletter/" in hrefs and f"{SITEURL}/contact/" in hrefs  # the shortcodes
    assert "Sign up below to receive email updates!" in issue["html"]
    assert not root.xpath("//input | //form | //button")
    chart = [img for img in root.iter("img") if img.get("alt") == "A bar chart of replies per week"]
    assert len(chart) == 1 and chart[0].get("src").endswith(".png")
    assert int(chart[0].get("width")) <= 552
    assert root.xpath("//table//td[text()='9']") and "code stays code" in issue["text"]
    assert issue["title"] == 'Email <Edge> Cases & "Quotes"'
    assert "<title>Edge cases, inbox-safe</title>" in issue["html"]
    assert "Email &lt;Edge&gt; Cases" in issue["html"]


def test_preview_pages_in_the_preview_only(built, tmp_path):
    page = built.output / "newsletter" / "preview" / SEED / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "*|UNSUB|*" not in text and "*|MC_PREVIEW_TEXT|*" not in text  # sample values
    assert (built.output / "newsletter" / "preview" / SEED / "plain.txt").exists()
    assert (built.output / "newsletter" / "preview" / "index.html").exists()
    # `make publish` as it is configured: no preview pages, but the PNG covers ship.
    content = make_content(tmp_path)
    output = tmp_path / "output"
    result = run_build(content, output, tmp_path / "issues.json")
    assert result.returncode == 0, result.stderr
    assert not (output / "newsletter" / "preview").exists()
    assert list((output / "images" / "email").glob("sales-marketing-siblings-*.png"))


def test_oversized_email_fails_the_build_naming_the_post(tmp_path):
    content = make_content(tmp_path)
    words = " ".join(f"word{n}" for n in range(2500))
    body = "\n\n".join(f"Paragraph {n}: {words}" for n in range(6))
    (content / "posts" / "too-long.md").write_text(
        "Title: Far Too Long\nDate: 2026-11-27 09:00\nCategory: Email\nSlug: too-long\n"
        f"Summary: Long.\n\n{body}\n", encoding="utf-8")
    result = run_build(content, tmp_path / "output", tmp_path / "issues.json")
    assert result.returncode == 1
    assert "posts/too-long.md" in result.stderr and "102 KB clipping limit" in result.stderr


def test_bad_newsletter_value_fails_the_build(tmp_path):
    content = make_content(tmp_path)
    post = content / "posts" / "quiet-house-note.md"
    post.write_text(post.read_text().replace("Newsletter: off", "Newsletter: of"))
    result = run_build(content, tmp_path / "output", tmp_path / "issues.json")
    assert result.returncode == 1
    assert "quiet-house-note.md: Newsletter: 'of' must be on or off" in result.stderr


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_renders_in_chromium(built, width, scheme):
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch, serve_directory

    SHOTS.mkdir(parents=True, exist_ok=True)
    output = built.output

    def local(route):  # the email's absolute URLs point at the public site
        path = route.request.url[len(SITEURL) + 1:].split("#")[0].split("?")[0]
        target = output / path
        if target.is_dir():
            target = target / "index.html"
        if target.is_file():
            route.fulfill(path=str(target))
        else:
            route.fulfill(status=404, body="")

    with serve_directory(output) as origin, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
            outside = []
            page.on("request", lambda r: outside.append(r.url)
                    if not r.url.startswith((origin, SITEURL, "data:")) else None)
            page.route(f"{SITEURL}/**", local)
            page.goto(f"{origin}/newsletter/preview/{SEED}/")
            page.wait_for_load_state("networkidle")
            facts = page.evaluate("""() => {
                const col = document.querySelector('table.column');
                const imgs = [...document.images];
                return {scroll: document.documentElement.scrollWidth,
                        column: col.getBoundingClientRect().width,
                        broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
                        bg: getComputedStyle(col).backgroundColor,
                        fg: getComputedStyle(document.querySelector('.prose')).color};
            }""")
            page.screenshot(path=str(SHOTS / f"{SEED}-{width}-{scheme}.png"), full_page=True)
        finally:
            browser.close()
    assert facts["scroll"] <= width, facts  # nothing sticks out sideways
    assert facts["column"] <= 600
    assert facts["broken"] == []
    assert outside == []
    if scheme == "dark":
        assert facts["bg"] == "rgb(18, 19, 22)" and facts["fg"] == "rgb(233, 233, 236)"
    else:
        assert facts["bg"] == "rgb(255, 255, 255)" and facts["fg"] == "rgb(29, 29, 31)"


# -- hostile strings written by others ---------------------------------------------

BLNS = Path(__file__).resolve().parents[1] / "fixtures" / "blns" / "blns.json"


def naughty_strings():
    import json

    strings = json.loads(BLNS.read_text(encoding="utf-8"))
    assert len(strings) == 515
    return strings


def test_naughty_strings_in_a_post_stay_inside_the_email(tmp_path):
    strings = naughty_strings()
    # Control characters stay out: the site's own Atom/RSS writer refuses them
    # (the email drops them; see the next test).
    lines = [s for s in strings if s.strip() and not re.search("[\x00-\x1f\x7f]", s)]
    assert len(lines) >= 450
    content = make_content(tmp_path)
    body = "\n\n".join(lines)
    (content / "posts" / "naughty.md").write_text(
        "Title: Naughty Strings\nDate: 2026-11-28 09:00\nCategory: Email\nSlug: naughty\n"
        f"Summary: Every single-line string of the Big List of Naughty Strings.\n\n{body}\n",
        encoding="utf-8")
    issues_file = tmp_path / "issues.json"
    result = run_build(content, tmp_path / "output", issues_file)
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    issue = next(i for i in json.loads(issues_file.read_text())["issues"] if i["slug"] == "naughty")
    root = lxml_html.document_fromstring(issue["html"])
    assert not root.xpath("//script | //svg | //iframe | //object | //embed | //form | //link | //meta[@http-equiv]")
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        assert not [a for a in node.attrib if a.lower().startswith("on")], etree.tostring(node)[:200]
        for name in ("href", "src"):
            if node.get(name) is not None:
                assert absolute(node.get(name)), f"{name}={node.get(name)!r}"
    for img in root.iter("img"):
        assert img.get("alt") is not None and not img.get("src").lower().endswith(".svg")
    assert issue["size"] < LIMIT
    assert "*|UNSUB|*" in issue["html"]
    # The words of the post survive into the plain text.
    from email_issues.render import _CONTROL

    text = flat(issue["text"])
    checked = 0
    # Strings that are plain words (no HTML or Markdown syntax): each one a paragraph
    # of the post, and each must be in the plain text.
    literal = [s for s in lines if not re.search(r"[<>`&\\*_\[\]#|~=+/%:-]|^\s*\d+\.", s)]
    for paragraph in literal:
        expected = flat(_CONTROL.sub("", paragraph))  # non-characters are dropped on purpose
        if expected:
            assert expected in text, paragraph
            checked += 1
    assert checked >= 170, checked


def test_clean_body_survives_every_naughty_string():
    from email_issues.render import clean_body

    settings = {"PATH": "content", "OUTPUT_PATH": "output"}
    strings = naughty_strings()
    for s in strings:
        for markup in (s, f"<p>{s}</p>", f'<p><a href="{s}">x</a><img src="{s}" alt="{s}"></p>'):
            out = clean_body(markup, "https://blog.example.test/post/", settings, "https://blog.example.test")
            root = lxml_html.fragment_fromstring(out or "<p></p>", create_parent="div")
            assert not root.xpath("//script | //svg | //iframe"), s
            for node in root.iter():
                for name in ("href", "src"):
                    if isinstance(node.tag, str) and node.get(name) is not None:
                        assert absolute(node.get(name)) and not node.get(name).lower().startswith(
                            "javascript:"), (s, node.get(name))


def test_naughty_subjects_reach_mailchimp_unchanged(fake, issues):
    from .conftest import make_settings
    from email_issues.campaigns import run_campaigns
    import io

    strings = [s for s in naughty_strings() if s.strip()][:200]
    template = next(i for i in issues if i["slug"] == "email-edge-cases")
    many = [dict(template, slug=f"naughty-{n}", subject=s.strip(), preview_text=s.strip())
            for n, s in enumerate(strings)]
    report = run_campaigns(many, make_settings(fake), out=io.StringIO())
    assert report.ok and report.created == len(strings) == 200
    for n, s in enumerate(strings):
        [campaign] = fake.campaigns_titled(f"post:naughty-{n}")
        assert campaign["settings"]["subject_line"] == s.strip()[:150]
        assert campaign["settings"]["preview_text"] == s.strip()[:150]
