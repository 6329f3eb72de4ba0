"""The theme as a visitor sees it in Chromium, at 375 and 1280 px, in light and
dark, with JavaScript on and off: the header, the fonts really drawn, the
list of posts, the search page, and one signup form per page."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.quality.helpers import ROOT, build_site
from tests.support.browser import serve_directory
from tests.support.servers import free_port

from .look import ARTICLE, PAGE_TYPES, VIEWS, WIDTHS, contrast, font_stack, platform_fonts

CSS = (ROOT / "theme" / "static" / "css" / "main.css").read_text()
HEADER_MAX = 120  # px at 375 x 800


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("name", sorted(PAGE_TYPES))
def test_phone_header_is_compact_and_search_is_one_tap_away(site, name, javascript):
    page = site.open(PAGE_TYPES[name], width=375, javascript=javascript)
    try:
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= HEADER_MAX, f"{name}: header {header['height']} px"
        # The menu is one line; nothing in the header is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if name != "search":
            link = page.locator(".site-header a[href$='/search/']")
            assert link.is_visible() and link.bounding_box()["y"] < HEADER_MAX
            box = link.bounding_box()
            assert box["height"] >= 24 and box["width"] >= 24  # a target a thumb can hit
    finally:
        page.context.close()


def test_search_link_opens_a_box_ready_to_type_in(site):
    page = site.open("/about/", width=375)
    try:
        page.locator(".site-header a[href$='/search/']").click()
        page.wait_for_url("**/search/")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'search-input'")
    finally:
        page.context.close()


@pytest.mark.parametrize("width, scheme", VIEWS)
def test_one_chosen_font_family_draws_every_text(site, width, scheme):
    """No unchosen fallback: every text of the article, its headings, menu, form
    fields and buttons is drawn in one family the stack names; code in the mono one."""
    stack, mono = font_stack(CSS), font_stack(CSS, "--mono")
    page = site.open(ARTICLE, width=width, scheme=scheme)
    try:
        text = platform_fonts(page, "h1, h2, .prose p, .prose li, .site-nav a, .meta, label, button, .site-footer p")
        code = platform_fonts(page, "code, pre")
    finally:
        page.context.close()
    assert len(text) == 1 and text <= set(stack), (text, stack)
    assert code <= set(mono), (code, mono)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_card_on_the_home_page_has_the_same_shape(site, width):
    page = site.open("/", width=width)
    try:
        cards = page.evaluate("""[...document.querySelectorAll('.article-list > li:not(.card-featured)')].map(li => {
            const media = li.querySelector('.card-media'); const box = media && media.getBoundingClientRect();
            return box ? [Math.round(box.width), Math.round(box.height)] : null; })""")
    finally:
        page.context.close()
    assert cards and None not in cards, cards
    assert len(set(map(tuple, cards))) == 1, cards


@pytest.mark.parametrize("width, scheme", VIEWS)
def test_search_page_is_readable_and_looks_like_the_site(site, width, scheme):
    page = site.open("/search/?q=email", width=width, scheme=scheme)
    try:
        page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
        page.wait_for_timeout(300)  # Pagefind fills excerpts in after the titles
        # One search box on the page: Pagefind's (the header's is left out here).
        boxes = page.locator(".search-box input, .pagefind-ui__search-input")
        assert [boxes.nth(i).is_visible() for i in range(boxes.count())].count(True) == 1
        assert contrast(page, ".pagefind-ui__search-input") >= 4.5
        assert contrast(page, ".pagefind-ui__search-input", "::placeholder") >= 4.5
        assert contrast(page, ".pagefind-ui__result-excerpt") >= 4.5
        assert contrast(page, ".pagefind-ui__result-link") >= 4.5
        assert contrast(page, ".pagefind-ui__result-excerpt mark") >= 4.5
        look = page.evaluate("""(() => {
            const link = getComputedStyle(document.querySelector('.pagefind-ui__result-link'));
            const site = getComputedStyle(document.querySelector('main p, main a'));
            const body = getComputedStyle(document.body);
            const input = getComputedStyle(document.querySelector('.pagefind-ui__search-input'));
            return {linkColour: link.color, siteLink: getComputedStyle(document.querySelector('.site-nav a')).color,
                    underline: link.textDecorationLine, font: input.fontFamily, bodyFont: body.fontFamily,
                    excerpts: [...document.querySelectorAll('.pagefind-ui__result-excerpt')].map(e => e.textContent)};
        })()""")
    finally:
        page.context.close()
    assert look["linkColour"] == look["siteLink"] and look["underline"] == "underline", look
    assert look["font"] == look["bodyFont"], look
    assert look["excerpts"] and not [e for e in look["excerpts"] if "#" in e], look["excerpts"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_at_most_one_signup_form_on_every_page(site, width, javascript):
    for path in ("/", ARTICLE, "/newsletter/", "/contact/", "/about/", "/search/", "/newsletter/thanks/"):
        page = site.open(path, width=width, javascript=javascript)
        try:
            shown = page.locator("form.signup-form:visible").count()
        finally:
            page.context.close()
        expected = 0 if path == "/newsletter/thanks/" else 1
        assert shown == expected, (path, shown)


def test_a_post_made_with_newpost_has_one_signup_form(tmp_path, browser_for_builds):
    """`make newpost`, published as it is, then built and opened: one form, after the text."""
    content = tmp_path / "content"
    subprocess.run(["cp", "-r", str(ROOT / "content"), str(content)], check=True)
    made = subprocess.run([sys.executable, "-m", "tools.newpost", "A Post From The Template",
                           "--content", str(content), "--category", "Email", "--author", "Dana Reyes"],
                          cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    post = Path(made.stdout.splitlines()[0])
    post.write_text(post.read_text().replace("Status: draft", "Status: published"))
    port = free_port()
    result = build_site(tmp_path / "out", f"http://127.0.0.1:{port}",
                        {"FORMS_URL": "http://127.0.0.1:9"}, content=content)
    assert result.returncode == 0, result.stderr
    [built] = (tmp_path / "out").glob("20*/*/a-post-from-the-template/index.html")
    with serve_directory(tmp_path / "out", port=port) as origin:
        for width in WIDTHS:
            context = browser_for_builds.new_context(viewport={"width": width, "height": 800})
            page = context.new_page()
            page.goto(origin + "/" + built.parent.relative_to(tmp_path / "out").as_posix() + "/")
            forms = page.locator("form.signup-form:visible")
            assert forms.count() == 1
            assert forms.first.locator("xpath=ancestor::footer[contains(@class,'article-footer')]").count() == 1
            context.close()


@pytest.fixture
def browser_for_builds(site):
    return site.browser
