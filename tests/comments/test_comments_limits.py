"""Spam and load: honeypot, time trap, per-IP and per-address limits, links,
length, duplicates, unknown and closed posts, bad parents -- over real HTTP."""

import time

import pytest
from bs4 import BeautifulSoup

from tests.comments.conftest import CLOSED_POST, make_stack

SLUG = "content-calendar-that-survives-reality"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from make_stack(tmp_path_factory, "limits", COMMENTS_PER_IP_HOUR="4",
                          COMMENTS_PER_EMAIL_HOUR="2", CONTACT_MIN_SECONDS="2",
                          COMMENTS_MODERATORS="")


def send(stack, **fields):
    return stack.client.post_json("/api/comments", fields)


def test_refusals(stack):
    path = stack.article_path(SLUG)
    closed = stack.article_path(CLOSED_POST[:-3])
    ok = dict(post=path, name="Sam", email="sam@example.com", body="A fine post.")

    # Bad fields: one message per field, nothing stored.
    reply = send(stack, post=path, name="", email="nope", body="")
    assert reply.status == 422
    assert reply.json["codes"] == {"name": "name-missing", "email": "email-invalid", "body": "comment-missing"}
    assert send(stack, **{**ok, "body": "x" * 5001}).json["codes"] == {"body": "comment-too-long"}
    links = " ".join(f"https://spam{i}.example/" for i in range(3))
    assert send(stack, **{**ok, "body": links}).json["codes"] == {"body": "too-many-links"}
    assert send(stack, **{**ok, "post": "/no/such/post/"}).json["codes"] == {"post": "comment-post-unknown"}
    assert send(stack, **{**ok, "post": closed}).json["codes"] == {"post": "comment-post-unknown"}
    assert send(stack, **{**ok, "parent": "12345"}).json["codes"] == {"parent": "comment-parent-unknown"}
    # The time trap: sent a moment after the page was rendered.
    assert send(stack, **ok, rendered_at=str(time.time())).json["codes"] == {"form": "too-fast"}
    # The honeypot: looks like success, stores nothing.
    assert send(stack, **ok, website="http://bot.example/").status == 200
    assert stack.rows("SELECT count(*) AS n FROM comments")[0]["n"] == 0

    # Accepted, then the same words again are a duplicate.
    assert send(stack, **ok).status == 200
    dup = send(stack, **{**ok, "body": "  a FINE   post. "})
    assert dup.status == 422 and dup.json["codes"] == {"body": "comment-duplicate"}
    # A plain form post of a bad comment goes to the error page that explains it.
    plain = stack.client.form("/api/comments", {**ok, "body": ""})
    assert plain.status == 303 and plain.location.endswith("/form-error/?form=comment&error=comment-missing#comment-missing")

    # Per address: 2 an hour.
    assert send(stack, **{**ok, "body": "Second thought."}).status == 200
    third = send(stack, **{**ok, "body": "Third thought."})
    assert third.status == 429 and third.json["codes"] == {"form": "comment-rate-limited"}
    # Per IP: 4 an hour, whatever the address.
    assert send(stack, **{**ok, "email": "kim@example.com", "body": "Kim here."}).status == 200
    assert send(stack, **{**ok, "email": "lee@example.com", "body": "Lee here."}).status == 200
    fifth = send(stack, **{**ok, "email": "max@example.com", "body": "Max here."})
    assert fifth.status == 429 and fifth.headers["Retry-After"] == "3600"
    assert stack.rows("SELECT count(*) AS n FROM comments")[0]["n"] == 4


def test_page_markup(stack):
    """The contract's markup: section, fields, the note about the address, and no form on a closed post."""
    def soup(slug):
        path = stack.article_path(slug)
        return BeautifulSoup((stack.root / "site" / path.strip("/") / "index.html").read_text(), "lxml")

    page = soup(SLUG)
    form = page.select_one("section#comments form")
    assert form["method"] == "post" and form["action"] == stack.forms.url + "/api/comments"
    names = {i["name"] for i in form.select("[name]")}
    assert {"post", "name", "email", "body", "notify", "website", "rendered_at"} <= names
    assert form.select_one("input[name=post]")["type"] == "hidden"
    note = page.select_one("#comments .form-note").get_text(" ")
    assert "email address will not be published" in note and "Required fields are marked" in note
    closed = soup(CLOSED_POST[:-3])
    assert closed.select_one("#comments") is None


def test_same_rules_as_the_other_endpoints(stack):
    path = stack.article_path(SLUG)
    fields = {"post": path, "name": "Eve", "email": "eve@example.com", "body": "Hi"}
    foreign = stack.client.post_json("/api/comments", fields, {"Origin": "https://evil.example"})
    assert foreign.status == 403 and foreign.json["codes"] == {"origin": "origin-not-allowed"}
    big = stack.client.post_json("/api/comments", {**fields, "body": "x" * 20000})
    assert big.status == 413
    broken = stack.client.request("POST", "/api/comments", b"{not json",
                                  {"Content-Type": "application/json", "Accept": "application/json"})
    assert broken.status == 400
    preflight = stack.client.request("OPTIONS", "/api/comments", headers={
        "Origin": stack.site, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == stack.site
    cors = stack.client.post_json("/api/comments", {**fields, "body": "From the page"}, {"Origin": stack.site})
    assert cors.headers["Access-Control-Allow-Origin"] == stack.site
