"""The signup and contact forms as built: where they appear, their fields,
and the zero-server variants when no forms service is deployed."""

import pytest
from bs4 import BeautifulSoup

from .conftest import SITEURL, run_build

MAILCHIMP_ACTION = "https://example.us7.list-manage.com/subscribe/post?u=abc123&id=def456"


def build(tmp_path, settings="pelicanconf.py", **env):
    import os
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        result = run_build(settings, tmp_path, siteurl="" if settings == "pelicanconf.py" else SITEURL)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert result.returncode == 0, result.stderr
    return lambda relative: BeautifulSoup((tmp_path / relative).read_text(), "lxml")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    return build(tmp_path_factory.mktemp("served"), FORMS_URL="https://forms.example.test",
                 MAILCHIMP_DOUBLE_OPTIN="on", SUBSCRIBE_CONSENT_REQUIRED="on")


def test_one_signup_form_per_page_where_the_writer_put_it_else_in_one_default_place(served):
    newsletter = served("newsletter/index.html")
    assert len(newsletter.select("form.signup-form")) == 1
    assert newsletter.select_one("main .prose form.signup-form")  # its [signup]
    article = served("2026/03/sales-and-marketing-sibling-rivalry/index.html")
    assert len(article.select("form.signup-form")) == 1
    slot = article.select_one(".article-footer form.signup-form")  # after the text
    assert slot.find("input", attrs={"name": "source"})["value"] == "/2026/03/sales-and-marketing-sibling-rivalry/"
    for other in ("index.html", "contact/index.html", "about/index.html", "archives/index.html"):
        forms = served(other).select("form.signup-form")
        assert len(forms) == 1 and forms[0].find_parent(class_="footer-signup"), other
    # Pages about the form itself show none by default (Signup: off).
    assert not served("newsletter/thanks/index.html").select("form.signup-form")


def test_development_forms_post_to_the_same_origin_api(tmp_path):
    """`make html` with no FORMS_URL: the forms post to /api, which the preview serves."""
    page = build(tmp_path, FORMS_URL="")
    assert page("newsletter/index.html").select_one("main form.signup-form")["action"] == "/api/subscribe"
    assert page("contact/index.html").select_one("main form.contact-form")["action"] == "/api/contact"
    article = page("2026/03/sales-and-marketing-sibling-rivalry/index.html")
    assert article.select_one("form.comment-form")["action"] == "/api/comments"


def test_signup_fields_honeypot_and_double_optin_note(served):
    form = served("newsletter/index.html").select_one("main form.signup-form")
    assert form["action"] == "https://forms.example.test/api/subscribe" and form["method"] == "post"
    names = {field["name"] for field in form.find_all(["input", "textarea"])}
    assert names == {"email", "name", "consent", "consent_text", "source", "website"}
    email = form.find("input", attrs={"name": "email"})
    assert email["type"] == "email" and email.has_attr("required")
    assert form.find("label", attrs={"for": email["id"]})
    consent = form.find("input", attrs={"name": "consent"})
    assert consent.has_attr("required")
    assert form.find("input", attrs={"name": "consent_text"})["value"] in \
        form.find("label", attrs={"for": consent["id"]}).get_text()
    honeypot = form.find("input", attrs={"name": "website"})
    assert honeypot["tabindex"] == "-1" and honeypot.find_parent(attrs={"aria-hidden": "true"})
    assert "confirm" in form.select_one(".form-note").get_text()
    assert form.select_one("[role=status][aria-live=polite]")


def test_consent_and_double_optin_follow_their_settings(tmp_path):
    page = build(tmp_path, FORMS_URL="https://forms.example.test", MAILCHIMP_DOUBLE_OPTIN="off",
                 SUBSCRIBE_CONSENT_REQUIRED="off")
    form = page("newsletter/index.html").select_one("main form.signup-form")
    assert not form.find("input", attrs={"name": "consent"}).has_attr("required")
    assert "confirm" not in form.select_one(".form-note").get_text()


def test_zero_server_signup_posts_to_mailchimp_with_its_bot_field(tmp_path):
    page = build(tmp_path, "publishconf.py", FORMS_URL="", MAILCHIMP_FORM_ACTION=MAILCHIMP_ACTION,
                 CONTACT_FORM_ACTION="https://formspree.example/f/xyz")
    form = page("newsletter/index.html").select_one("main form.signup-form")
    assert form["action"] == MAILCHIMP_ACTION
    names = {field["name"] for field in form.find_all("input")}
    assert {"EMAIL", "FNAME", "b_abc123_def456"} <= names
    assert not form.has_attr("data-enhance")
    contact = page("contact/index.html").select_one("main form.contact-form")
    assert contact["action"] == "https://formspree.example/f/xyz"
    assert not page("contact/index.html").find("script", src=lambda s: s and "forms" in s)


def test_zero_server_without_actions_shows_no_form_that_goes_nowhere(tmp_path):
    """A publish build with no forms service and no hosted signup form: no
    signup form anywhere, no link from the Newsletter page to itself, an email
    link for contact, and advice that says signups go nowhere."""
    import os
    env = {"FORMS_URL": "", "MAILCHIMP_FORM_ACTION": "", "CONTACT_FORM_ACTION": ""}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        result = run_build("publishconf.py", tmp_path)
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    assert result.returncode == 0, result.stderr
    assert "signups go nowhere" in result.stderr
    page = lambda relative: BeautifulSoup((tmp_path / relative).read_text(), "lxml")  # noqa: E731
    assert page("contact/index.html").select_one("main .contact-mailto a")["href"].startswith("mailto:")
    for html_file in tmp_path.rglob("*.html"):
        soup = BeautifulSoup(html_file.read_text(), "lxml")
        assert not soup.select("form[method=post]"), html_file
        assert not soup.select("form.signup-form"), html_file
    newsletter = page("newsletter/index.html")
    assert not [a for a in newsletter.select("main a") if a["href"].rstrip("/").endswith("/newsletter")]
