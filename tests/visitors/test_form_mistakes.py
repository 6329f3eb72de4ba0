"""Forms that forgive mistakes, as a visitor makes them in Chromium at 375 and
1280 px, light and dark. Without JavaScript the forms service answers with
the site's error page filled in: every problem named by its field, none the
visitor did not make, and what they typed kept, so sending it again works.
With JavaScript the errors show in place without breaking the layout."""

import pytest

from tests.support.servers import rows

from .look import VIEWS, WIDTHS


def signups(site):
    return {row["email"]: row for row in rows(site.db, "select * from signups")}


def fill_signup(page, email, name="", consent=False):
    form = page.locator("main form.signup-form")
    form.locator("input[name=email]").fill(email)
    if name:
        form.locator("input[name=name]").fill(name)
    if consent:
        form.locator("input[name=consent]").check()
    form.locator("button:not([type=button])").click()
    return form


def shown_errors(page):
    """The field errors a person can see, by the field they belong to."""
    return page.evaluate("""[...document.querySelectorAll('.field-error')]
        .filter(p => p.offsetParent !== null && p.textContent.trim())
        .map(p => [document.querySelector('[aria-describedby~="' + p.id + '"]').name, p.textContent.trim()])""")


@pytest.mark.parametrize("width, scheme", VIEWS)
def test_no_js_bad_email_and_no_consent_are_both_named_and_the_typing_is_kept(site, width, scheme):
    page = site.open("/newsletter/", width=width, scheme=scheme, javascript=False)
    try:
        fill_signup(page, "nora.example.com", name="Nora Ní Bhriain")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Something needs fixing"
        assert page.title().startswith("Error (2 problems)")
        # Both problems, each under its field and in the summary linked to it.
        assert sorted(shown_errors(page)) == [
            ["consent", "Tick the box to confirm that you want to receive our emails."],
            ["email", "Enter a valid email address, like name@example.com."]]
        summary = page.locator(".error-summary")
        assert summary.is_visible() and "There are 2 problems" in summary.inner_text()
        targets = summary.locator("a").evaluate_all("links => links.map(a => a.hash.slice(1))")
        assert [page.locator("#" + t).get_attribute("name") for t in targets] == ["email", "consent"]
        # No other error, and nothing of the 23 other explanations.
        assert page.locator(".form-errors").count() == 0
        assert page.get_by_text("The name field was left empty").count() == 0
        # What they typed is still there; the fields with problems are marked.
        form = page.locator("main form.signup-form")
        assert form.locator("input[name=email]").input_value() == "nora.example.com"
        assert form.locator("input[name=name]").input_value() == "Nora Ní Bhriain"
        assert form.locator("input[name=email]").get_attribute("aria-invalid") == "true"
        assert form.locator("input[name=name]").get_attribute("aria-invalid") is None
        # In the site's look: its stylesheet, header and footer.
        assert page.locator(".site-header .site-title").is_visible()
        assert page.evaluate("getComputedStyle(document.querySelector('.error-summary')).borderTopStyle") == "solid"
        # Fixed and sent again from this page, it is accepted and stored once.
        address = f"nora.{width}.{scheme}@example.com"
        form.locator("input[name=email]").fill(address)
        form.locator("input[name=consent]").check()
        form.locator("button:not([type=button])").click()
        page.wait_for_url("**/newsletter/thanks/")
        row = signups(site)[address]
        assert row["name"] == "Nora Ní Bhriain" and row["consent"] == 1 and row["source"] == "/newsletter/"
    finally:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_js_contact_message_missing_names_only_that_and_keeps_the_rest(site, width):
    page = site.open("/contact/", width=width, javascript=False)
    try:
        form = page.locator("main form.contact-form")
        form.locator("input[name=name]").fill("Ada <Lovelace>")
        form.locator("input[name=email]").fill("ada@example.com")
        form.locator("input[name=subscribe]").check()
        form.locator("button:not([type=button])").click()
        page.wait_for_load_state()
        assert shown_errors(page) == [["message", "Write a message."]]
        form = page.locator("main form.contact-form")
        assert form.locator("input[name=name]").input_value() == "Ada <Lovelace>"
        assert form.locator("input[name=email]").input_value() == "ada@example.com"
        assert form.locator("input[name=subscribe]").is_checked()
        form.locator("textarea[name=message]").fill("Let's talk about our newsletter.")
        form.locator("button:not([type=button])").click()
        page.wait_for_url("**/contact/thanks/")
    finally:
        page.context.close()
    stored = rows(site.db, "select name, email, message from messages where email = 'ada@example.com'")
    assert stored[-1]["name"] == "Ada <Lovelace>" and "newsletter" in stored[-1]["message"]


@pytest.mark.parametrize("width, scheme", VIEWS)
def test_js_missing_consent_shows_its_error_under_the_label_without_breaking_the_layout(site, width, scheme):
    page = site.open("/newsletter/", width=width, scheme=scheme)
    try:
        form = fill_signup(page, "reader@example.com")
        error = form.locator("#" + form.locator("input[name=consent]").get_attribute("aria-describedby"))
        error.wait_for(state="visible")
        label = form.locator("label[for=" + form.locator("input[name=consent]").get_attribute("id") + "]")
        label_box, error_box = label.bounding_box(), error.bounding_box()
        form_box = form.bounding_box()
        # The label keeps its width (issue: it shrank to a 97 px column), the error sits under it.
        assert label_box["width"] >= form_box["width"] - 60, (label_box, form_box)
        assert error_box["x"] == pytest.approx(label_box["x"], abs=1) and error_box["y"] > label_box["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert shown_errors(page) == [["consent", "Tick the box to confirm that you want to receive our emails."]]
    finally:
        page.context.close()
