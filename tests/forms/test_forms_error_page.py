"""The error page a plain form post gets (forms/error_page.py), made from the
real theme's /form-error/ page as `make html` and `make publish` write it
(the publish build minified: attributes unquoted). What a visitor typed goes
back into the form as text, never as markup; only their problems show; and
without a page to fill in, the service redirects as before."""

import html
import re

import pytest
from bs4 import BeautifulSoup

from forms.error_page import ErrorPages
from forms.settings import Settings
from forms.validation import ERRORS
from tests.quality.helpers import build_site
from tests.support.servers import Client, FormsServer, base_env

HOSTILE = '"><script>alert(1)</script>'


@pytest.fixture(scope="module", params=["pelicanconf.py", "publishconf.py"])
def shell(request, tmp_path_factory):
    output = tmp_path_factory.mktemp("error-shell")
    siteurl = "" if request.param == "pelicanconf.py" else "https://blog.example.test"
    result = build_site(output, siteurl, {"FORMS_URL": "https://forms.example.test"}, settings=request.param)
    assert result.returncode == 0, result.stderr
    return output / "form-error" / "index.html"


def render(shell, form, errors, fields):
    page = ErrorPages(Settings(error_page=str(shell))).render(form, errors, fields, ERRORS)
    assert page is not None
    return page, BeautifulSoup(page, "lxml")


def test_typed_text_comes_back_as_text_never_as_markup(shell):
    page, soup = render(shell, "contact", {"email": "email-invalid"},
                        {"name": HOSTILE, "email": HOSTILE, "message": "</textarea>" + HOSTILE})
    assert "<script>alert" not in page
    form = soup.select_one("form.contact-form")
    assert form.find("input", attrs={"name": "name"})["value"] == HOSTILE
    assert form.find("textarea", attrs={"name": "message"}).string == "</textarea>" + HOSTILE
    assert soup.find_all("script", string=re.compile("alert")) == []


def test_only_the_visitors_problems_show_and_each_names_its_field(shell):
    _, soup = render(shell, "subscribe", {"email": "email-invalid", "consent": "consent-missing"},
                     {"email": "nope", "name": "Nora", "consent_text": "Yes", "source": "/2026/03/x/"})
    shown = {p["id"]: p.get_text() for p in soup.select("p.field-error") if not p.has_attr("hidden")}
    assert sorted(shown.values()) == sorted([ERRORS["email-invalid"], ERRORS["consent-missing"]])
    for error_id in shown:
        assert soup.find(attrs={"aria-describedby": error_id})["aria-invalid"] == "true"
    links = [a["href"] for a in soup.select(".error-summary a")]
    assert [soup.find(id=h[1:])["name"] for h in links] == ["email", "consent"]
    assert soup.find("input", attrs={"name": "source"})["value"] == "/2026/03/x/"
    assert not soup.select("template")  # the other forms' templates are gone
    assert len(soup.select("form.signup-form")) == 1 and not soup.select("form.contact-form")
    assert soup.title.get_text().startswith("Error (2 problems)")


def test_a_reply_to_a_comment_now_gone_is_posted_anew(shell):
    _, soup = render(shell, "comment", {"parent": "comment-parent-unknown"},
                     {"post": "/2026/03/x/", "parent": "41", "body": "Still here", "name": "Ada",
                      "email": "ada@example.com"})
    form = soup.select_one("form.comment-form")
    assert form.find("input", attrs={"name": "parent"}).get("value", "") == ""
    assert form.find("input", attrs={"name": "post"})["value"] == "/2026/03/x/"
    assert form.find("textarea", attrs={"name": "body"}).string == "Still here"
    assert html.unescape(soup.select_one(".error-summary li").get_text()) == ERRORS["comment-parent-unknown"]


def test_without_a_page_to_fill_in_the_service_redirects_as_before(tmp_path):
    forms = FormsServer(base_env(tmp_path / "outbox.sqlite3", SITEURL="https://blog.example.test",
                                 FORMS_ERROR_PAGE=str(tmp_path / "missing.html")), tmp_path / "forms.log")
    forms.start()
    try:
        reply = Client(forms.url).form("/api/subscribe", {"email": "nope", "consent": "on"})
    finally:
        forms.stop()
    assert reply.status == 303
    assert reply.location == "https://blog.example.test/form-error/?form=subscribe&error=email-invalid#email-invalid"
    assert "cannot read the error page" in forms.log()
