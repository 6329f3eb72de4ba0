"""The outbox API the Mailchimp sync codes against, its schema, and settings hygiene."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from forms.outbox import MIGRATIONS, Outbox, Signup
from forms.settings import Settings


@pytest.fixture
def outbox(outbox_target, tmp_path):
    """Every test here runs on both backends (outbox_target: tests/support/postgres.py)."""
    if not isinstance(outbox_target, str):
        outbox_target = tmp_path / "deep" / "dir" / "forms.sqlite3"
    box = Outbox(outbox_target)
    yield box
    box.close()


def signup(box: Outbox, email="a@example.com", name="A", consent=True, source="/p/"):
    box.add_signup(email, name, consent, "Email me", source, "192.0.2.1")


def test_schema_wal_and_version(outbox):
    assert outbox.schema_version == len(MIGRATIONS)
    if outbox.kind == "sqlite":
        conn = sqlite3.connect(outbox.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
        Outbox(outbox.path).close()  # reopening is a no-op migration
    else:
        versions = [r[0] for r in outbox.db.execute(
            "SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == list(range(1, len(MIGRATIONS) + 1))
        again = Outbox(outbox.db.url)  # reopening is a no-op migration
        assert again.schema_version == len(MIGRATIONS)
        again.close()
    assert set(outbox.db.columns("messages")) >= {"claimed_by", "claimed_until", "message_id"}


def test_pending_then_synced(outbox):
    signup(outbox)
    signup(outbox, "b@example.com")
    pending = outbox.pending_signups()
    assert [s.email for s in pending] == ["a@example.com", "b@example.com"]
    assert isinstance(pending[0], Signup) and pending[0].consent is True
    assert outbox.pending_signups(limit=1) == pending[:1]
    assert outbox.mark_signups_synced([pending[0].id]) == 1
    assert outbox.mark_signups_synced([(pending[1].id, pending[1].updated_at)]) == 1
    assert outbox.pending_signups() == []
    assert outbox.counts()["signups_synced"] == 2


def test_resignup_during_sync_is_not_marked_synced(outbox):
    signup(outbox, name="Old")
    [read] = outbox.pending_signups()
    signup(outbox, name="New")  # arrives while the sync is talking to Mailchimp
    assert outbox.mark_signups_synced([read]) == 0
    [again] = outbox.pending_signups()
    assert again.name == "New" and again.id == read.id
    assert outbox.mark_signups_synced([again]) == 1


def test_defer_and_fail(outbox):
    signup(outbox)
    signup(outbox, "b@example.com")
    a, b = outbox.pending_signups()
    now = datetime.now(timezone.utc)
    outbox.defer_signup(a.id, "503 from Mailchimp", now + timedelta(minutes=5))
    outbox.mark_signup_failed(b.id, "400 Member Exists? no: Invalid Resource")
    assert outbox.pending_signups() == []
    [due] = outbox.pending_signups(now=now + timedelta(minutes=6))
    assert due.id == a.id and due.attempts == 1
    counts = outbox.counts()
    assert (counts["signups_pending"], counts["signups_failed"]) == (1, 1)
    signup(outbox, "b@example.com")  # signing up again gives a failed address a fresh start
    assert {s.email for s in outbox.pending_signups()} == {"b@example.com"}
    assert outbox.signup_row("b@example.com")["attempts"] == 0


def test_messages_lifecycle(outbox):
    pk = outbox.add_message("N", "n@example.com", "hi", False, "/c/", "ip")
    [msg] = outbox.claim_due_messages()
    assert msg.id == pk and msg.status == "pending" and msg.message_id.startswith("<")
    outbox.mark_sending(pk)
    after_lease = datetime.now(timezone.utc) + timedelta(seconds=outbox.lease + 1)
    # a killed run's row comes back (on PostgreSQL once its lease has run out)
    assert outbox.claim_due_messages(now=after_lease)[0].status == "sending"
    outbox.mark_delivered(pk, "250 ok")
    assert outbox.claim_due_messages() == []
    assert outbox.counts()["messages_delivered"] == 1


def test_one_connection_per_thread(outbox):
    errors = []

    def work(n):
        try:
            for i in range(50):
                outbox.add_signup(f"t{n}-{i}@example.com", "", True, "", "", "")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert outbox.counts()["signups_pending"] == 200


def test_settings_defaults_and_secrets():
    settings = Settings.from_env({"MAILCHIMP_API_KEY": "key-us1-SECRET", "SMTP_PASSWORD": "pw-SECRET",
                                  "SMTP_PORT": "465"})
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings)
    assert settings.redact("boom key-us1-SECRET pw-SECRET") == "boom *** ***"
    assert settings.smtp_starttls is False  # only on by default for port 587
    d = Settings.from_env({})
    assert (d.port, d.rate_limit, d.max_body, d.worker_interval) == (8001, 10, 16384, 5.0)
    assert d.allowed_origins == () and d.siteurl == "" and d.subscribe_consent_required
    assert d.smtp_port == 587 and d.smtp_starttls and d.mailchimp_double_optin
    assert d.db_path.name == "forms.sqlite3" and d.db_path.parent.name == "var"
    assert (d.contact_max_links, d.contact_min_seconds, d.contact_retention_days) == (3, 3.0, 30)
    assert Settings.from_env({"FORMS_ALLOWED_ORIGINS": " https://a.example/ ,https://b.example"}
                             ).allowed_origins == ("https://a.example", "https://b.example")
    with pytest.raises(ValueError):
        Settings.from_env({"FORMS_TRUST_PROXY": "maybe"})
