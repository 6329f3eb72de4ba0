"""Gate: axe-core in headless Chromium finds 0 WCAG 2.0/2.1 A and AA
violations (colour contrast included) on every page type, in light and dark
mode, at 375 and 1280 px: also the search page with its results shown, the
forms showing their errors in place (JavaScript) and the error page the forms
service answers a plain post with. Both forms can be reached, filled and
submitted with the keyboard alone (against the real forms service on loopback)."""

import pytest

from .helpers import ROOT

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["home", "article", "tag", "contact", "newsletter", "search"]


def run_axe(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))})); }",
        AXE_TAGS,
    )


def _path_for(name, article_path, tag_path, site_dir):
    if name == "search":
        assert (site_dir / "search" / "index.html").exists(), "the build has no /search/ page"
        return "/search/"
    return {"home": "/", "article": article_path, "tag": tag_path,
            "contact": "/contact/", "newsletter": "/newsletter/"}[name]


VIEWS = [(width, scheme) for width in (375, 1280) for scheme in ("light", "dark")]


@pytest.mark.parametrize("width, scheme", VIEWS)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations(browser, server, node_tools, site_dir, article_path, tag_path, name,
                                 width, scheme):
    path = _path_for(name, article_path, tag_path, site_dir)
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        response = page.goto(server.url + path, wait_until="load")
        assert response.status == 200
        violations = run_axe(page)
    finally:
        context.close()
    assert violations == [], f"{path} ({width} px, {scheme}): {violations}"


def _search_results(page, server):
    page.goto(server.url + "/search/?q=email")
    page.locator(".pagefind-ui__result-excerpt").first.wait_for(timeout=15000)
    page.wait_for_timeout(300)


def _errors_in_place(form, fill):
    def show(page, server):
        page.goto(server.url + ("/newsletter/" if form == "signup" else "/contact/"))
        selector = f"main form.{form}-form"
        fill(page.locator(selector))
        page.locator(f"{selector} button:not([type=button])").click()
        page.locator(f"{selector} .field-error:not([hidden])").first.wait_for(timeout=10000)
    return show


def _error_page(page, server):
    """The page a plain post gets: the form sent natively (form.submit() skips forms.js)."""
    page.goto(server.url + "/newsletter/")
    page.locator("main form.signup-form input[name=email]").fill("not-an-address")
    with page.expect_navigation():
        page.evaluate("document.querySelector('main form.signup-form').submit()")
    page.locator(".error-summary").wait_for()


STATES = {
    "search-results": _search_results,
    "signup-errors": _errors_in_place("signup", lambda f: f.locator("input[name=email]").fill("nope")),
    "contact-errors": _errors_in_place("contact", lambda f: f.locator("input[name=email]").fill("nope")),
    "form-error-page": _error_page,
}


@pytest.mark.parametrize("width, scheme", VIEWS)
@pytest.mark.parametrize("state", sorted(STATES))
def test_axe_finds_no_violations_in_what_a_visitor_brings_up(browser, server, forms_server, node_tools,
                                                            state, width, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        STATES[state](page, server)
        violations = run_axe(page)
    finally:
        context.close()
    assert violations == [], f"{state} ({width} px, {scheme}): {violations}"


LOW_CONTRAST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><main><h1>Title</h1><p style="color:#bbb;background:#fff">Pale grey on white.</p></main></body></html>"""
UNLABELLED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><main><h1>Title</h1><form><input type="email" name="email"><button>Go</button></form></main></body></html>"""
CLEAN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><main><h1>Title</h1><p>Dark text on white.</p></main></body></html>"""


@pytest.mark.parametrize("html, rule", [(LOW_CONTRAST, "color-contrast"), (UNLABELLED, "label"), (CLEAN, None)])
def test_axe_gate_catches_it(browser, node_tools, html, rule):
    page = browser.new_page()
    try:
        page.set_content(html)
        ids = {v["id"] for v in run_axe(page)}
    finally:
        page.close()
    if rule is None:
        assert ids == set()
    else:
        assert rule in ids


# -- keyboard ---------------------------------------------------------------

def tab_to(page, selector, limit=80):
    """Press Tab until `selector` has focus; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _post_log(page):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    return posts


def test_keyboard_submits_the_newsletter_form(browser, server, forms_server):
    page = browser.new_page()
    try:
        posts = _post_log(page)
        page.goto(server.url + "/newsletter/")
        form = "main form.signup-form"
        page.locator(form).first.wait_for()
        tab_to(page, f"{form} input[type=email]")
        page.keyboard.type("keyboard.reader@example.org")
        tab_to(page, f"{form} input[name=name]")
        page.keyboard.type("Kim")
        consent = f"{form} input[type=checkbox]"
        if page.locator(consent).count():
            tab_to(page, consent)
            page.keyboard.press("Space")
            assert page.locator(consent).first.is_checked()
        tab_to(page, f"{form} button:not([type=button])")
        page.keyboard.press("Enter")
        _expect_success(page, form, forms_server)
        assert any(url.endswith("/api/subscribe") for url in posts)
    finally:
        page.close()


def test_keyboard_submits_the_contact_form(browser, server, forms_server):
    page = browser.new_page()
    try:
        posts = _post_log(page)
        page.goto(server.url + "/contact/")
        form = "main form.contact-form"
        page.locator(form).first.wait_for()
        tab_to(page, f"{form} input[name=name]")
        page.keyboard.type("Kim Keyboard")
        tab_to(page, f"{form} input[type=email]")
        page.keyboard.type("kim@example.org")
        tab_to(page, f"{form} textarea")
        page.keyboard.type("Hello from the keyboard test. This message has enough words.")
        tab_to(page, f"{form} button:not([type=button])")
        page.keyboard.press("Enter")
        _expect_success(page, form, forms_server)
        assert any(url.endswith("/api/contact") for url in posts)
    finally:
        page.close()


def _expect_success(page, form, forms_server):
    """The enhanced form shows an OK status; without the script the browser
    would land on a thank-you page. Either counts as submitted."""
    page.wait_for_function(
        "(s) => { const st = document.querySelector(s + ' .form-status');"
        " return location.pathname.includes('thanks') || (st && st.classList.contains('is-ok')); }",
        arg=form, timeout=10000,
    )
    if "thanks" not in page.url:
        status = page.locator(f"{form} .form-status").first
        assert "is-ok" in (status.get_attribute("class") or ""), status.text_content()


def test_axe_gate_catches_low_contrast_on_a_real_page(browser, server, node_tools, article_path):
    page = browser.new_page()
    try:
        page.goto(server.url + article_path)
        page.add_style_tag(content="main p { color: #c8c8c8 !important; background: #fff !important; }")
        ids = {v["id"] for v in run_axe(page)}
    finally:
        page.close()
    assert "color-contrast" in ids
