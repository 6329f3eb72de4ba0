"""Hostile input, written by others: the Big List of Naughty Strings (MIT, tests/fixtures/blns)
in every field of both forms, plus very long values, against the real service.

* No answer is ever a 5xx.
* Every rejected value gets a 4xx whose JSON names the field it was put in,
  with a message that names it too.
* Every accepted text is stored as the validator documents (surrounding
  whitespace stripped, CRLF made LF; page paths and consent wording on one
  line, capped), and after `make sync` reaches the SMTP inbox and the fake
  Mailchimp exactly as stored: name, address, message, page and tag.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
from collections import Counter
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from forms.mailchimp_sync import tag_for_source
from forms.validation import DEFAULT_CONSENT_TEXT, _metadata
from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401  (fixture)
from tests.support.servers import (
    PROJECT_ROOT, RecordingHandler, rows, smtp_env, smtp_server,
)

BLNS = json.loads((Path(__file__).parents[1] / "fixtures" / "blns" / "blns.json").read_text("utf-8"))
# Very long values, and what BLNS leaves out on purpose (NUL) or by accident (a lone CR).
EXTRA = ["A" * 10_000, "\U0001F600" * 1_000, "\U0001F600" * 5_000, "x" * 101, "m" * 5_001,
         "a" * 300 + "@example.com", "nul\x00inside", "cr\ronly", "crlf\r\nline"]
STRINGS = BLNS + EXTRA

SUBSCRIBE_FIELDS = ("email", "name", "consent", "consent_text", "source", "website")
CONTACT_FIELDS = ("name", "email", "message", "subscribe", "source", "rendered_at", "website")
# The word each field's error message must contain.
FIELD_WORDS = {"email": "email", "name": "name", "message": "message", "consent": "box",
               "body": "shorten"}
RESULTS: dict = {}


def reply_to(raw: bytes) -> tuple[str, str]:
    """(display name, address) of Reply-To, decoded per RFC 2047.

    Not with email.policy.default: its address parser puts a space between
    adjacent encoded-words of a long display name, which RFC 2047 section 6.2
    says to ignore (mail clients do); email.header.decode_header gets it right."""
    header = email.message_from_bytes(raw, policy=email.policy.compat32)["Reply-To"]
    header = re.sub(r"\r?\n(?=[ \t])", "", str(header)).strip()  # unfold (RFC 5322 2.2.3)
    display, _, addr = header.rpartition(" <")
    name = str(make_header(decode_header(display)))
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return name, addr.rstrip(">")


def subject(raw: bytes) -> str:
    """The Subject, decoded per RFC 2047 (policy.default drops a space here too)."""
    header = email.message_from_bytes(raw, policy=email.policy.compat32)["Subject"]
    return str(make_header(decode_header(re.sub(r"\r?\n(?=[ \t])", "", str(header)).strip())))


def _expected_message(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


@pytest.fixture(scope="module")
def answers(tmp_path_factory, request, module_outbox):
    """Posts every string in every field, on each backend; returns the server, replies and expectations."""
    from tests.support.servers import Client, FormsServer, base_env

    tmp = tmp_path_factory.mktemp("hostile")
    db = module_outbox
    server = FormsServer(base_env(db, FORMS_MAX_BODY="16384"), tmp / "server.log").start()
    server.db = db
    client = Client(server.url)
    log = []  # (form, field, index, encoding, status, body)
    n = 0
    try:
        for index, value in enumerate(STRINGS):
            for form, fields in (("subscribe", SUBSCRIBE_FIELDS), ("contact", CONTACT_FIELDS)):
                for field in fields:
                    n += 1
                    who = f"h{n}@example.com"
                    if form == "subscribe":
                        data = {"email": who, "name": f"Reader {n}", "consent": "on",
                                "consent_text": "Yes please", "source": "/newsletter/"}
                    else:
                        data = {"name": f"Writer {n}", "email": who, "message": f"Hello {n}",
                                "source": "/contact/"}
                    data[field] = value
                    encodings = ["form", "json"] if field in ("email", "name", "message") else ["form"]
                    for enc in encodings:
                        if enc == "json":
                            n += 1
                            data = {**data, **({"email": f"h{n}@example.com"} if field != "email" else {})}
                        post = client.json_form if enc == "form" else client.post_json
                        reply = post(f"/api/{form}", data)
                        log.append(dict(form=form, field=field, index=index, enc=enc, data=dict(data),
                                        status=reply.status,
                                        body=json.loads(reply.body) if reply.body else None))
    finally:
        server.stop()
    return server, log


def test_no_5xx_and_every_rejection_names_its_field(answers):
    _, log = answers
    outcomes = Counter()
    for entry in log:
        status, body, field = entry["status"], entry["body"], entry["field"]
        assert status < 500, entry
        if status == 200:
            outcomes["accepted" if not (field == "website" and entry["data"]["website"].strip())
                     else "honeypot (looks accepted, stored nothing)"] += 1
            continue
        assert status in (413, 422), entry
        named = "body" if status == 413 else field
        assert list(body["errors"]) == [named], entry
        assert FIELD_WORDS[named] in body["errors"][named].lower(), entry
        outcomes[f"rejected {status} {body['codes'][named]}"] += 1
    RESULTS["tried"] = {"strings": len(STRINGS), "blns": len(BLNS), "extra": len(EXTRA),
                        "requests": len(log)}
    RESULTS["outcomes"] = dict(sorted(outcomes.items()))
    print("hostile input:", json.dumps(RESULTS, indent=1))
    assert sum(outcomes.values()) == len(log)


def test_accepted_values_are_stored_as_documented(answers):
    server, log = answers
    signups = {r["email"]: r for r in rows(server.db, "SELECT * FROM signups")}
    messages = rows(server.db, "SELECT * FROM messages ORDER BY id")
    accepted_contacts = [e for e in log if e["form"] == "contact" and e["status"] == 200
                         and not (e["field"] == "website" and e["data"]["website"].strip())]
    assert len(messages) == len(accepted_contacts)
    for entry, row in zip(accepted_contacts, messages):
        d = entry["data"]
        assert row["name"] == d["name"].strip()
        assert row["email"] == d["email"].strip().lower()
        assert row["message"] == _expected_message(d["message"])
        assert row["source"] == _metadata(d.get("source", ""), 300)
    for entry in log:
        if entry["form"] != "subscribe" or entry["status"] != 200:
            continue
        d = entry["data"]
        row = signups.get(d["email"].strip().lower())
        if entry["field"] == "website" and d["website"].strip():
            assert row is None  # the honeypot stores nothing
            continue
        assert row is not None, entry
        assert row["name"] == d["name"].strip()
        assert row["consent_text"] == (_metadata(d["consent_text"], 500) or DEFAULT_CONSENT_TEXT)
        assert row["source"] == _metadata(d["source"], 300)


def test_accepted_text_reaches_the_inbox_and_mailchimp_intact(answers, fake_mailchimp, tmp_path):  # noqa: F811
    server, _ = answers
    handler = RecordingHandler()
    controller = smtp_server(handler)
    try:
        env = {**server.env, **smtp_env(controller), "MAILCHIMP_API_KEY": fake_mailchimp.api_key,
               "MAILCHIMP_LIST_ID": fake_mailchimp.list_id,
               "MAILCHIMP_API_ROOT": fake_mailchimp.api_root}
        result = subprocess.run([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=600)
    finally:
        controller.stop()
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "| outbox: undelivered=0 | OK" in result.stdout

    messages = {r["message_id"]: r for r in rows(server.db, "SELECT * FROM messages")}
    inbox, received_raw = {}, {}
    for received in handler.messages:
        mail = email.message_from_bytes(received.data, policy=email.policy.default)
        inbox[mail["Message-ID"]] = mail
        received_raw[mail["Message-ID"]] = received.data
    assert set(inbox) == set(messages) and len(handler.messages) == len(messages)
    for mid, row in messages.items():
        mail = inbox[mid]
        assert reply_to(received_raw[mid]) == (row["name"], row["email"])
        assert subject(received_raw[mid]) == f"[Test Blog] Contact form: {row['name']}"
        text = mail.get_content().replace("\r\n", "\n")
        head, _, quoted = text.partition(f"Subscribe: {'yes' if row['subscribe'] else 'no'}\n\n")
        assert f"\nName:      {row['name']}\n" in head and f"\nEmail:     {row['email']}\n" in head
        assert f"\nPage:      {row['source'] or '-'}\n" in head
        lines = quoted[:-1].split("\n")  # the body ends with one newline
        assert "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in lines) \
            == row["message"], mid

    signups = rows(server.db, "SELECT * FROM signups")
    assert {r["status"] for r in signups} == {"synced"}
    assert len(fake_mailchimp.members) == len(signups)
    for row in signups:
        member = fake_mailchimp.member(row["email"])
        assert member is not None, row["email"]
        assert member["merge_fields"]["FNAME"] == row["name"]
        tag = tag_for_source(row["source"])
        assert [t["name"] for t in member["tags"]] == ([tag] if tag else [])
    RESULTS["delivered"] = {"smtp_messages": len(handler.messages),
                            "mailchimp_members": len(fake_mailchimp.members)}
    print("hostile input delivered:", json.dumps(RESULTS["delivered"]))
