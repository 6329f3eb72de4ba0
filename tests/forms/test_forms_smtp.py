"""Contact mail delivery against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from forms.delivery import delivery_lock, run_delivery
from forms.outbox import Outbox
from forms.settings import Settings
from forms.smtp_delivery import backoff
from tests.support.servers import (
    SMTP_PASSWORD, SMTP_USER, RecordingHandler, free_port, self_signed_cert, smtp_env, smtp_server,
)


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = smtp_server(handler)
    yield handler, controller
    controller.stop()


@pytest.fixture
def outbox(outbox_target):
    box = Outbox(outbox_target)
    yield box
    box.close()


def settings_for(outbox: Outbox, env: dict) -> Settings:
    return Settings.from_env({**env, "FORMS_DB": str(outbox.target)})


def add(outbox: Outbox, name="Jane Doe", email="jane@example.com", message="Hello", **kw) -> int:
    return outbox.add_contact(name=name, email=email, message=message, source=kw.get("source", "/contact/"),
                              ip="192.0.2.1", subscribe=kw.get("subscribe", False),
                              consent_text="", message_id_domain="example.org")


def test_message_bytes_exactly(smtp, outbox):
    handler, controller = smtp
    settings = settings_for(outbox, smtp_env(controller))
    pk = add(outbox, message="Hello,\nI liked the post.\n\nCan we talk?")
    report = run_delivery(settings, outbox)
    assert report.ok and report.messages.sent == 1
    row = outbox.message_row(pk)
    [received] = handler.messages
    assert received.mail_from == "website@example.org"
    assert received.rcpt_tos == ["team@example.org"]
    date = format_datetime(datetime.fromisoformat(row["created_at"]))
    expected = (
        "From: website@example.org\r\n"
        "To: team@example.org\r\n"
        "Reply-To: Jane Doe <jane@example.com>\r\n"
        "Subject: [Test Blog] Contact form: Jane Doe\r\n"
        f"Date: {date}\r\n"
        f"Message-ID: {row['message_id']}\r\n"
        "Auto-Submitted: auto-generated\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: 7bit\r\n"
        "MIME-Version: 1.0\r\n"
        "\r\n"
        "A visitor sent this message through the contact form.\r\n"
        "Reply to this email to answer them.\r\n"
        "\r\n"
        "Name:      Jane Doe\r\n"
        "Email:     jane@example.com\r\n"
        "Page:      /contact/\r\n"
        f"Received:  {row['created_at']}\r\n"
        "Subscribe: no\r\n"
        "\r\n"
        "> Hello,\r\n"
        "> I liked the post.\r\n"
        ">\r\n"
        "> Can we talk?\r\n"
    ).encode()
    assert received.data == expected
    assert row["status"] == "delivered" and row["attempts"] == 1
    assert row["smtp_reply"] == "250 2.0.0 Ok: queued as TEST"
    assert row["message_id"].endswith("@example.org>")


def test_visitor_text_stays_data(smtp, outbox):
    handler, controller = smtp
    settings = settings_for(outbox, smtp_env(controller))
    name = 'Zoë "Boss", <admin@example.net>'
    text = "<script>alert(1)</script>\n.\nFrom: someone\nSubject: hijack\n" + "é" * 200
    add(outbox, name=name, email="zoe@example.com", message=text)
    assert run_delivery(settings, outbox).ok
    [received] = handler.messages
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert parsed["From"] == "website@example.org"
    assert parsed["To"] == "team@example.org"
    [reply_to] = parsed["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == (name, "zoe@example.com")
    assert str(parsed["Subject"]) == f"[Test Blog] Contact form: {name}"
    assert parsed.get_all("Subject") and len(parsed.get_all("Subject")) == 1
    assert parsed.get_content_type() == "text/plain"
    content = parsed.get_content().replace("\r\n", "\n")
    assert "> <script>alert(1)</script>\n> .\n> From: someone\n> Subject: hijack\n" in content
    assert "> " + "é" * 200 + "\n" in content  # long non-ASCII lines survive transfer encoding
    assert all(len(line) <= 998 for line in received.data.split(b"\r\n"))


def test_starttls_and_auth(tmp_path, outbox, monkeypatch):
    cert = self_signed_cert(tmp_path)
    handler = RecordingHandler()
    controller = smtp_server(handler, tls_cert=cert)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # trust the throwaway CA
    try:
        env = smtp_env(controller, SMTP_STARTTLS="1", SMTP_USERNAME=SMTP_USER,
                       SMTP_PASSWORD=SMTP_PASSWORD)
        pk = add(outbox)
        report = run_delivery(settings_for(outbox, env), outbox)
        assert report.ok and report.messages.sent == 1
        [received] = handler.messages
        assert received.tls is True
        assert outbox.message_row(pk)["status"] == "delivered"

        # a wrong password: the message waits, the error names no secret
        pk = add(outbox)
        wrong = {**env, "SMTP_PASSWORD": "wrong-Pa55"}
        report = run_delivery(settings_for(outbox, wrong), outbox)
        assert not report.ok and report.messages.deferred == 1
        row = outbox.message_row(pk)
        assert row["status"] == "pending" and "535" in row["last_error"]
        assert "wrong-Pa55" not in row["last_error"] and "wrong-Pa55" not in report.summary()

        # no STARTTLS against a server that requires it: waits too
        pk = add(outbox)
        plain = {**env, "SMTP_STARTTLS": "0"}
        report = run_delivery(settings_for(outbox, plain), outbox)
        assert outbox.message_row(pk)["status"] == "pending"
        assert len(handler.messages) == 1
    finally:
        controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_auth(tmp_path, outbox, monkeypatch):
    cert = self_signed_cert(tmp_path)
    handler = RecordingHandler()
    controller = smtp_server(handler, tls_cert=cert, implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
    try:
        env = smtp_env(controller, SMTP_SSL="1", SMTP_USERNAME=SMTP_USER,
                       SMTP_PASSWORD=SMTP_PASSWORD)
        pk = add(outbox)
        report = run_delivery(settings_for(outbox, env), outbox)
        assert report.ok and report.messages.sent == 1, report.messages.errors
        # the server speaks only TLS on that port, so delivery itself proves the encryption
        assert outbox.message_row(pk)["status"] == "delivered"
    finally:
        controller.stop()


def test_server_down_defers_with_backoff(outbox):
    env = smtp_env(type("C", (), {"port": free_port()})())  # nothing listens there
    settings = settings_for(outbox, env)
    pk = add(outbox)
    before = datetime.now(timezone.utc)
    report = run_delivery(settings, outbox)
    assert not report.ok and report.messages.deferred == 1
    row = outbox.message_row(pk)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "cannot connect" in row["last_error"]
    retry_at = datetime.fromisoformat(row["next_attempt_at"])
    # one minute, spread by +-20% jitter
    assert before + timedelta(seconds=47) <= retry_at <= before + timedelta(seconds=74)
    # not due yet: the next run does not try again
    report = run_delivery(settings, outbox)
    assert report.messages.deferred == 0 and outbox.message_row(pk)["attempts"] == 1
    # due later
    assert outbox.claim_due_messages(now=retry_at + timedelta(seconds=1))


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, jitter=0).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(7, jitter=0).total_seconds() == 3600 and backoff(50, jitter=0).total_seconds() == 3600


def test_backoff_is_jittered_within_20_percent():
    delays = {backoff(3).total_seconds() for _ in range(200)}
    assert len(delays) > 150  # spread out, not one value
    assert min(delays) >= 240 * 0.8 and max(delays) <= 240 * 1.2


def test_4xx_defers(outbox):
    handler = RecordingHandler(reply="451 4.3.0 Try again later")
    controller = smtp_server(handler)
    try:
        pk = add(outbox)
        report = run_delivery(settings_for(outbox, smtp_env(controller)), outbox)
        assert not report.ok and report.messages.deferred == 1
        row = outbox.message_row(pk)
        assert row["status"] == "pending" and row["attempts"] == 1
        assert "451 4.3.0 Try again later" in row["last_error"]
        assert row["next_attempt_at"]
    finally:
        controller.stop()


def test_5xx_fails_with_the_reply(outbox):
    handler = RecordingHandler(reply="554 5.7.1 Rejected as spam")
    controller = smtp_server(handler)
    try:
        first, second = add(outbox), add(outbox, name="Other")
        report = run_delivery(settings_for(outbox, smtp_env(controller)), outbox)
        assert not report.ok and report.messages.failed == 2
        for pk in (first, second):  # the session goes on after a refusal
            row = outbox.message_row(pk)
            assert row["status"] == "failed"
            assert row["smtp_reply"] == "554 5.7.1 Rejected as spam"
        assert not outbox.claim_due_messages()  # never retried
    finally:
        controller.stop()


def test_runs_never_overlap(smtp, outbox):
    """SQLite: a second run waits for the file lock. PostgreSQL: runs go on side by side,
    and a message claimed by one (another process) is not sent by the other."""
    handler, controller = smtp
    add(outbox)
    settings = settings_for(outbox, smtp_env(controller))
    if outbox.kind == "sqlite":
        with delivery_lock(outbox) as held:
            assert held
            report = run_delivery(settings, outbox)
            assert report.busy and not report.ok and report.messages.sent == 0
        assert run_delivery(settings, outbox).messages.sent == 1
        return
    other = Outbox(outbox.target)  # another instance's worker
    try:
        [claimed] = other.claim_due_messages()
        report = run_delivery(settings, outbox)
        assert not report.busy and report.messages.sent == 0 and handler.messages == []
        assert report.backlog.undelivered == 1
        other.release_claims()  # that worker stopped without sending
        assert run_delivery(settings, outbox).messages.sent == 1 and len(handler.messages) == 1
    finally:
        other.close()


def test_retention_deletes_old_delivered_messages(smtp, outbox):
    _, controller = smtp
    settings = settings_for(outbox, smtp_env(controller, CONTACT_RETENTION_DAYS="30"))
    pk = add(outbox)
    assert run_delivery(settings, outbox).deleted == 0  # delivered just now: kept
    assert outbox.message_row(pk)["status"] == "delivered"
    pending = add(outbox)
    assert outbox.delete_delivered_older_than(datetime.now(timezone.utc) + timedelta(days=1)) == 1
    assert outbox.message_row(pk) is None
    assert outbox.message_row(pending) is not None  # undelivered mail is never dropped
