"""Every bad input to both endpoints, as JSON and as a plain HTML form post (303)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from forms.validation import ERRORS
from tests.support.servers import rows

SITE = "https://blog.example.com"
GOOD_SIGNUP = {"email": "reader@example.com", "name": "Reader", "consent": "on",
               "consent_text": "Yes, email me", "source": "/posts/sibling-rivalry/"}
GOOD_CONTACT = {"name": "Jane Doe", "email": "jane@example.com", "message": "Hello there"}


def error_location(form: str, code: str) -> str:
    return f"{SITE}/form-error/?form={form}&error={code}#{code}"


SUBSCRIBE_BAD = [
    ("email missing", {"email": ""}, "email", "email-missing"),
    ("email absent", {"email": None}, "email", "email-missing"),
    ("email malformed", {"email": "not-an-email"}, "email", "email-invalid"),
    ("email without domain dot", {"email": "a@localhost"}, "email", "email-invalid"),
    ("email two @", {"email": "a@@example.com"}, "email", "email-invalid"),
    ("email too long", {"email": "a" * 250 + "@example.com"}, "email", "email-invalid"),
    ("email with CRLF", {"email": "a@example.com\r\nBcc: victim@example.net"}, "email",
     "header-injection"),
    ("name too long", {"name": "x" * 101}, "name", "name-too-long"),
    ("name with LF", {"name": "Eve\nBcc: victim@example.net"}, "name", "header-injection"),
    ("consent missing", {"consent": None}, "consent", "consent-missing"),
    ("consent unticked", {"consent": ""}, "consent", "consent-missing"),
]


def _fields(base: dict, change: dict) -> dict:
    merged = {**base, **change}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.mark.parametrize("label,change,field,code", SUBSCRIBE_BAD, ids=[c[0] for c in SUBSCRIBE_BAD])
def test_subscribe_bad_input_json(shared, label, change, field, code):
    server, client = shared
    reply = client.post_json("/api/subscribe", _fields(GOOD_SIGNUP, change))
    assert reply.status == 422
    assert reply.json["ok"] is False
    assert reply.json["errors"][field] == ERRORS[code]
    assert reply.json["codes"][field] == code


@pytest.mark.parametrize("label,change,field,code", SUBSCRIBE_BAD, ids=[c[0] for c in SUBSCRIBE_BAD])
def test_subscribe_bad_input_plain_form(shared, label, change, field, code):
    server, client = shared
    reply = client.form("/api/subscribe", _fields(GOOD_SIGNUP, change))
    assert reply.status == 303
    assert reply.location == error_location("subscribe", code)


def test_subscribe_bad_inputs_store_nothing(shared):
    server, _ = shared
    emails = [r["email"] for r in rows(server.db, "SELECT email FROM signups")]
    assert "a@example.com" not in emails and "not-an-email" not in emails


def test_json_error_lists_every_bad_field(shared):
    _, client = shared
    reply = client.post_json("/api/subscribe", {"email": "nope", "name": "y" * 200})
    assert reply.status == 422
    assert reply.json["codes"] == {"email": "email-invalid", "name": "name-too-long",
                                   "consent": "consent-missing"}


def test_subscribe_ok_json_and_plain(shared):
    server, client = shared
    reply = client.post_json("/api/subscribe", {**GOOD_SIGNUP, "email": "ok-json@example.com",
                                                "consent": True})
    assert reply.status == 200
    assert reply.json == {"ok": True, "message": reply.json["message"]} and reply.json["message"]
    reply = client.form("/api/subscribe", {**GOOD_SIGNUP, "email": "ok-plain@example.com"})
    assert reply.status == 303
    assert reply.location == f"{SITE}/newsletter/thanks/"
    stored = {r["email"] for r in rows(server.db, "SELECT email FROM signups")}
    assert {"ok-json@example.com", "ok-plain@example.com"} <= stored


def test_consent_wording_is_kept_or_defaulted(shared):
    server, client = shared
    client.form("/api/subscribe", {"email": "worded@example.com", "consent": "on",
                                   "consent_text": "Yes,\r\nsend me the newsletter"})
    client.form("/api/subscribe", {"email": "unworded@example.com", "consent": "on"})
    [worded] = rows(server.db, "SELECT * FROM signups WHERE email = 'worded@example.com'")
    [unworded] = rows(server.db, "SELECT * FROM signups WHERE email = 'unworded@example.com'")
    assert worded["consent_text"] == "Yes,  send me the newsletter"
    assert unworded["consent_text"] == "Signup form: consent box ticked"


def test_email_is_normalized_and_lowercased(shared):
    server, client = shared
    reply = client.post_json("/api/subscribe", {**GOOD_SIGNUP, "email": "  Mixed.Case@EXAMPLE.com "})
    assert reply.status == 200
    assert rows(server.db, "SELECT email FROM signups WHERE email = 'mixed.case@example.com'")


def test_unknown_fields_are_ignored(shared):
    server, client = shared
    reply = client.post_json("/api/subscribe", {**GOOD_SIGNUP, "email": "extra@example.com",
                                                "favourite_colour": "blue", "admin": True})
    assert reply.status == 200
    reply = client.form("/api/contact", {**GOOD_CONTACT, "utm_source": "x", "csrf": "y"})
    assert reply.status == 303 and reply.location == f"{SITE}/contact/thanks/"


@pytest.mark.parametrize("variant", ["json", "plain"])
def test_honeypot_looks_like_success_and_stores_nothing(shared, variant):
    server, client = shared
    email = f"bot-{variant}@example.com"
    send = client.post_json if variant == "json" else client.form
    real = send("/api/subscribe", {**GOOD_SIGNUP, "email": f"human-{variant}@example.com"})
    bot = send("/api/subscribe", {**GOOD_SIGNUP, "email": email, "website": "http://spam.example"})
    assert (bot.status, bot.location, bot.body) == (real.status, real.location, real.body)
    bot_contact = send("/api/contact", {**GOOD_CONTACT, "email": email, "website": "x"})
    assert bot_contact.status in (200, 303)
    assert not rows(server.db, "SELECT * FROM signups WHERE email = ?", (email,))
    assert not rows(server.db, "SELECT * FROM messages WHERE email = ?", (email,))


# -- contact ----------------------------------------------------------------

CONTACT_BAD = [
    ("name missing", {"name": ""}, "name", "name-missing"),
    ("name blank", {"name": "   "}, "name", "name-missing"),
    ("name too long", {"name": "n" * 101}, "name", "name-too-long"),
    ("name with CRLF", {"name": "Eve\r\nBcc: victim@example.net"}, "name", "header-injection"),
    ("name with CR", {"name": "Eve\rX"}, "name", "header-injection"),
    ("name with NEL", {"name": "Eve\x85Bcc: x@example.net"}, "name", "header-injection"),
    ("name with U+2028", {"name": "Eve\u2028Bcc: x@example.net"}, "name", "header-injection"),
    ("name with NUL", {"name": "Eve\x00"}, "name", "name-invalid"),
    ("name with ESC", {"name": "Eve\x1b[31m"}, "name", "name-invalid"),
    ("email missing", {"email": None}, "email", "email-missing"),
    ("email invalid", {"email": "jane.example.com"}, "email", "email-invalid"),
    ("email with LF", {"email": "jane@example.com\nCc: x@example.net"}, "email",
     "header-injection"),
    ("message missing", {"message": None}, "message", "message-missing"),
    ("message blank", {"message": " \n "}, "message", "message-missing"),
    ("message too long", {"message": "m" * 5001}, "message", "message-too-long"),
    ("too many links", {"message": "see http://a.example https://b.example www.c.example "
                                   "and http://d.example"}, "message", "too-many-links"),
    ("too fast", {"rendered_at": "NOW"}, "form", "too-fast"),
    ("too fast in ms", {"rendered_at": "NOWMS"}, "form", "too-fast"),
]


def _contact_fields(change: dict) -> dict:
    fields = _fields(GOOD_CONTACT, change)
    if fields.get("rendered_at") == "NOW":
        fields["rendered_at"] = str(time.time() - 1)
    elif fields.get("rendered_at") == "NOWMS":
        fields["rendered_at"] = str(int(time.time() * 1000) - 500)
    return fields


@pytest.mark.parametrize("label,change,field,code", CONTACT_BAD, ids=[c[0] for c in CONTACT_BAD])
def test_contact_bad_input_json(shared, label, change, field, code):
    _, client = shared
    reply = client.post_json("/api/contact", _contact_fields(change))
    assert reply.status == 422
    assert reply.json["codes"] == {field: code}
    assert reply.json["errors"] == {field: ERRORS[code]}


@pytest.mark.parametrize("label,change,field,code", CONTACT_BAD, ids=[c[0] for c in CONTACT_BAD])
def test_contact_bad_input_plain_form(shared, label, change, field, code):
    _, client = shared
    reply = client.form("/api/contact", _contact_fields(change))
    assert reply.status == 303
    assert reply.location == error_location("contact", code)


def test_contact_limits_are_inclusive(shared):
    server, client = shared
    fields = {"name": "n" * 100, "email": "limits@example.com", "message": "m" * 5000}
    assert client.post_json("/api/contact", fields).status == 200
    three = "http://a.example https://b.example www.c.example"
    assert client.post_json("/api/contact", {**GOOD_CONTACT, "message": three}).status == 200


def test_time_trap_accepts_no_script_slow_humans_and_fast_clocks(shared):
    _, client = shared
    for rendered_at in (None, str(time.time() - 10), str(time.time() + 120), "garbage"):
        fields = _fields(GOOD_CONTACT, {"rendered_at": rendered_at})
        assert client.post_json("/api/contact", fields).status == 200, rendered_at


def test_contact_with_subscribe_adds_a_consented_signup(shared):
    server, client = shared
    reply = client.form("/api/contact", {**GOOD_CONTACT, "email": "Both@Example.com",
                                         "subscribe": "on", "source": "/contact/"})
    assert reply.status == 303
    [message] = rows(server.db, "SELECT * FROM messages WHERE email = 'both@example.com'")
    assert message["subscribe"] == 1 and message["status"] == "pending"
    assert message["message_id"].startswith("<") and message["message_id"].endswith(">")
    [signup] = rows(server.db, "SELECT * FROM signups WHERE email = 'both@example.com'")
    assert signup["consent"] == 1
    assert signup["consent_text"] == "Contact form: also subscribe me"
    assert signup["source"] == "/contact/" and signup["name"] == "Jane Doe"


def test_contact_without_subscribe_adds_no_signup(shared):
    server, client = shared
    client.post_json("/api/contact", {**GOOD_CONTACT, "email": "only-msg@example.com"})
    assert rows(server.db, "SELECT * FROM messages WHERE email = 'only-msg@example.com'")
    assert not rows(server.db, "SELECT * FROM signups WHERE email = 'only-msg@example.com'")


# -- malformed bodies ---------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/subscribe", "/api/contact"])
def test_broken_json_is_400(shared, path):
    _, client = shared
    for body in (b'{"email": ', b"[1, 2]", b'"text"', b"\xff\xfe", b'{"email": ["a@example.com"]}',
                 b'{"a": ' + b"[" * 15000):
        reply = client.request("POST", path, body, {"Content-Type": "application/json"})
        assert reply.status == 400, body
        assert reply.json["ok"] is False
        assert set(reply.json["codes"].values()) == {"bad-request"}


@pytest.mark.parametrize("path", ["/api/subscribe", "/api/contact"])
def test_wrong_content_type(shared, path):
    _, client = shared
    body = b"email=a@example.com"
    for ctype in ("text/plain", "application/xml", None):
        headers = {"Accept": "application/json"}
        if ctype:
            headers["Content-Type"] = ctype
        reply = client.request("POST", path, body, headers)
        assert reply.status == 400
        assert reply.json == {"ok": False, "errors": {"body": ERRORS["bad-request"]},
                              "codes": {"body": "bad-request"}}
    reply = client.request("POST", path, body, {"Content-Type": "text/plain"})
    form = path.rsplit("/", 1)[1]
    assert reply.status == 303 and reply.location == error_location(form, "bad-request")


def test_multipart_form_is_accepted(shared):
    server, client = shared
    boundary = "XyZ"
    parts = [("email", "multi@example.com"), ("consent", "on"), ("name", "Multi")]
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in parts) + f"--{boundary}--\r\n"
    reply = client.request("POST", "/api/subscribe", body.encode(),
                           {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status == 303 and reply.location.endswith("/newsletter/thanks/")
    assert rows(server.db, "SELECT * FROM signups WHERE email = 'multi@example.com'")


def test_too_large_by_content_length(shared):
    _, client = shared
    big = json.dumps({**GOOD_CONTACT, "message": "x" * 17000}).encode()
    reply = client.request("POST", "/api/contact", big,
                           {"Content-Type": "application/json", "Accept": "application/json"})
    assert reply.status == 413
    assert reply.json["codes"] == {"body": "too-large"}
    reply = client.request("POST", "/api/contact", big, {"Content-Type": "application/json",
                                                         "Accept": "text/html"})
    # A JSON body means a script, which gets JSON even without the Accept header.
    assert reply.status == 413
    form = ("message=" + "x" * 17000).encode()
    reply = client.request("POST", "/api/contact", form,
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 303 and reply.location == error_location("contact", "too-large")


def test_too_large_chunked(shared):
    _, client = shared
    form = ("name=A&email=a@example.com&message=" + "x" * 40000).encode()
    reply = client.request("POST", "/api/contact", form,
                           {"Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/json"}, chunked=True)
    assert reply.status == 413 and reply.json["codes"] == {"body": "too-large"}
    small = b"name=A&email=chunked@example.com&message=hello"
    reply = client.request("POST", "/api/contact", small,
                           {"Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/json"}, chunked=True)
    assert reply.status == 200


def test_get_on_post_endpoints_is_405(shared):
    _, client = shared
    assert client.request("GET", "/api/subscribe").status == 405


def test_error_page_query_is_parseable(shared):
    _, client = shared
    reply = client.form("/api/subscribe", {"email": "bad"})
    query = parse_qs(urlsplit(reply.location).query)
    assert query == {"form": ["subscribe"], "error": ["email-invalid"]}
