"""`make person`: a person's data exported (GDPR art. 15) and erased (art. 17), against
the real outbox, `make sync`, a real SMTP server and the fake Mailchimp."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from forms.db import is_postgres_url
from forms.mailchimp_client import MailchimpClient, MailchimpConfig, subscriber_hash
from forms.outbox import Outbox
from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401  (fixture)
from tests.support.servers import PROJECT_ROOT, RecordingHandler, base_env, rows, smtp_env, smtp_server

TARGET = "Erin.Erase@Example.com"  # as the person writes it; stored lowercased
STORED = TARGET.lower()


def run(env: dict, module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _server_and_name(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def _copy_database(source: str, to: str) -> None:
    """(Re)create database `to` as a copy of `source`, on the same PostgreSQL server."""
    import psycopg

    server, name = _server_and_name(source)
    target = _server_and_name(to)[1]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{name}"')


def backup(db, to) -> None:
    """What an operator's backup does: SQLite's online backup; on PostgreSQL, a copy of
    the database made by the server (CREATE DATABASE ... TEMPLATE, while nothing is connected)."""
    if is_postgres_url(db):
        _copy_database(db, to)
        return
    src, dst = sqlite3.connect(db), sqlite3.connect(to)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def restore(copy, db) -> None:
    """The backup put back in place of the outbox, under the same name (the same URL)."""
    if is_postgres_url(db):
        _copy_database(copy, db)  # drops the outbox, then recreates it from the copy
        return
    for suffix in ("-wal", "-shm"):
        (db.parent / (db.name + suffix)).unlink(missing_ok=True)
    backup(copy, db)


def every_row(url: str) -> str:
    """Every row of every table of a PostgreSQL database, as text."""
    tables = rows(url, "SELECT table_name AS t FROM information_schema.tables "
                       "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
    assert tables
    return "\n".join(r["row"] for t in tables
                     for r in rows(url, f'SELECT x::text AS row FROM "{t["t"]}" x'))


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path, fake_mailchimp):  # noqa: F811
    """On PostgreSQL the outbox and the erasure ledger are two databases of one server."""
    if request.param == "sqlite":
        db = tmp_path / "outbox.sqlite3"
        pending_backup = tmp_path / "backup-before-sync.sqlite3"
        ledger = tmp_path / "ledger" / "erasures.sqlite3"
    else:
        postgres = request.getfixturevalue("postgres")
        db, ledger = postgres.create_database(), postgres.create_database()
        pending_backup = postgres.url(_server_and_name(db)[1] + "_backup")
    box = Outbox(db)
    box.add_signup(STORED, "Erin", True, "Yes, email me", "/newsletter/", "198.51.100.7")
    box.add_contact(name="Erin", email=STORED, message="Please call me back", source="/contact/",
                    ip="198.51.100.7", subscribe=False, consent_text="")
    box.add_contact(name="Erin E.", email=STORED, message="Second note", source="/about/",
                    ip="198.51.100.8", subscribe=True, consent_text="Contact form: also subscribe me")
    box.add_signup("other@example.com", "Otto", True, "Yes", "/newsletter/", "192.0.2.1")
    box.add_contact(name="Otto", email="other@example.com", message="Unrelated", source="/contact/",
                    ip="192.0.2.1", subscribe=False, consent_text="")
    box.close()
    backup(db, pending_backup)
    handler = RecordingHandler()
    controller = smtp_server(handler)
    env = base_env(db, MAILCHIMP_API_KEY=fake_mailchimp.api_key,
                   MAILCHIMP_LIST_ID=fake_mailchimp.list_id, MAILCHIMP_API_ROOT=fake_mailchimp.api_root,
                   FORMS_ERASURE_LEDGER=str(ledger),
                   **smtp_env(controller))
    first = run(env, "forms.sync")
    assert first.returncode == 0, first.stdout + first.stderr
    yield dict(db=db, env=env, fake=fake_mailchimp, handler=handler, backup=pending_backup,
               ledger=ledger)
    controller.stop()


def test_export_prints_everything_held_about_the_address(world):
    result = run(world["env"], "forms.person", "export", TARGET)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["email"] == STORED and data["unavailable"] == {}
    stores = data["stores"]
    [signup] = stores["signups"]
    assert (signup["email"], signup["name"], signup["ip"], signup["consent_text"]) == (
        STORED, "Erin E.", "198.51.100.8", "Contact form: also subscribe me")
    assert [m["message"] for m in stores["messages"]] == ["Please call me back", "Second note"]
    assert {m["ip"] for m in stores["messages"]} == {"198.51.100.7", "198.51.100.8"}
    member = stores["mailchimp"]
    assert member["email_address"] == STORED and member["merge_fields"]["FNAME"] == "Erin E."
    assert [t["name"] for t in member["tags"]] == ["source:/about/"]  # the latest signup's page
    assert "other@example.com" not in result.stdout and "Otto" not in result.stdout


def test_erase_removes_everywhere_and_nothing_brings_the_person_back(world):
    db, env, fake = world["db"], world["env"], world["fake"]
    result = run(env, "forms.person", "erase", TARGET)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"erased {STORED}:" in out
    assert "signups: removed 1 row(s)" in out and "messages: removed 2 row(s)" in out
    assert "mailchimp: member deleted permanently" in out
    assert "team inbox" in out and "salted hash recorded" in out

    # Mailchimp: deleted through delete-permanent, the other member untouched.
    assert fake.member(STORED) is None and fake.member("other@example.com") is not None
    [call] = fake.calls_of("delete_member_permanent")
    assert call.method == "POST" and call.status == 204
    assert call.path.endswith(f"/members/{subscriber_hash(STORED)}/actions/delete-permanent")
    # The outbox: no row, and no byte of the address left in the files (on PostgreSQL:
    # in no row of any table).
    assert not rows(db, "SELECT id FROM signups WHERE email = ?", (STORED,))
    assert not rows(db, "SELECT id FROM messages WHERE email = ?", (STORED,))
    assert rows(db, "SELECT email FROM signups") == [{"email": "other@example.com"}]
    if is_postgres_url(db):
        held = every_row(db)
        assert "other@example.com" in held
        assert STORED not in held and "Please call me back" not in held
    else:
        for path in db.parent.glob(db.name + "*"):
            assert STORED.encode() not in path.read_bytes(), path
            assert b"Please call me back" not in path.read_bytes(), path
    # The ledger: a salted hash, never the address.
    if is_postgres_url(world["ledger"]):
        assert STORED not in every_row(world["ledger"])
    else:
        assert STORED.encode() not in world["ledger"].read_bytes()
    [entry] = rows(world["ledger"], "SELECT address_hash, erased_at FROM erasures")
    assert re.fullmatch(r"[0-9a-f]{64}", entry["address_hash"])
    assert entry["address_hash"] != hashlib.sha256(STORED.encode()).hexdigest()  # salted
    assert entry["address_hash"] != subscriber_hash(STORED)

    # Export now finds nothing.
    data = json.loads(run(env, "forms.person", "export", TARGET).stdout)
    assert data["stores"] == {"signups": [], "messages": [], "mailchimp": None, "comments": [],
                              "comment-mails": []}

    # A sync after the erasure does not bring the person back.
    sync = run(env, "forms.sync")
    assert sync.returncode == 0 and fake.member(STORED) is None

    # An old backup (taken while their signup and messages were still pending) is restored:
    # the next sync scrubs them before sending anything.
    sent_before = len(world["handler"].messages)
    restore(world["backup"], db)
    assert rows(db, "SELECT count(*) AS n FROM signups WHERE email = ?", (STORED,))[0]["n"] == 1
    sync = run(env, "forms.sync")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert fake.member(STORED) is None
    assert not rows(db, "SELECT id FROM signups WHERE email = ?", (STORED,))
    assert not rows(db, "SELECT id FROM messages WHERE email = ?", (STORED,))
    new_mail = world["handler"].messages[sent_before:]
    assert all(STORED.encode() not in m.data for m in new_mail)  # Otto's note only, resent
    # `make person ARGS=scrub` removes delivered rows a restored backup brings back too.
    restore(world["backup"], db)
    box = Outbox(db)
    box.mark_signups_synced([r["id"] for r in rows(db, "SELECT id FROM signups")])
    box.close()
    scrub = run(env, "forms.person", "scrub")
    assert scrub.returncode == 0 and "scrubbed 3 row(s)" in scrub.stdout, scrub.stdout
    assert not rows(db, "SELECT id FROM signups WHERE email = ?", (STORED,))


def test_a_new_signup_after_erasure_is_new_consent_and_kept(world):
    env, fake = world["env"], world["fake"]
    assert run(env, "forms.person", "erase", TARGET).returncode == 0
    box = Outbox(world["db"])
    box.add_signup(STORED, "Erin", True, "Yes, again", "/newsletter/", "198.51.100.9")
    box.close()
    sync = run(env, "forms.sync")
    # Kept by us; refused by Mailchimp, which never re-adds a permanently deleted address
    # by API: the failure is visible, and the sync says so.
    [row] = rows(world["db"], "SELECT status, last_error FROM signups WHERE email = ?", (STORED,))
    assert row["status"] == "failed" and "permanently deleted" in row["last_error"]
    assert sync.returncode == 1 and "signups: failed=1" in sync.stdout
    assert fake.member(STORED) is None
    scrub = run(env, "forms.person", "scrub")  # dated after the erasure: not scrubbed
    assert scrub.returncode == 0 and "scrubbed 0 row(s)" in scrub.stdout
    assert rows(world["db"], "SELECT name FROM signups WHERE email = ?", (STORED,)) == [{"name": "Erin"}]


def test_erase_while_mailchimp_is_down_says_so_and_can_be_repeated(world):
    env, fake = world["env"], world["fake"]
    fake.fail_next("empty503", times=None)
    result = run(env, "forms.person", "erase", TARGET)
    assert result.returncode == 1
    assert "mailchimp: not reachable" in result.stdout and "NOT DONE" in result.stderr
    assert fake.api_key not in result.stdout + result.stderr
    assert not rows(world["db"], "SELECT id FROM signups WHERE email = ?", (STORED,))
    fake.clear_faults()
    again = run(env, "forms.person", "erase", TARGET)
    assert again.returncode == 0 and "member deleted permanently" in again.stdout
    assert "signups: removed 0 row(s)" in again.stdout
    assert fake.member(STORED) is None


def test_bad_address_is_refused(world):
    result = run(world["env"], "forms.person", "export", "not an address")
    assert result.returncode == 2 and "not an email address" in result.stderr


def test_wrapper_delete_permanent_against_the_fake(fake_mailchimp):  # noqa: F811
    fake_mailchimp.seed_member("gone@example.org", "subscribed", tags=["source:/x/"])
    config = MailchimpConfig(api_key=fake_mailchimp.api_key, list_id=fake_mailchimp.list_id,
                             api_root=fake_mailchimp.api_root)
    with MailchimpClient(config) as client:
        assert client.delete_member_permanent("Gone@Example.org") is True
        assert client.get_member("gone@example.org") is None
        assert client.delete_member_permanent("gone@example.org") is False  # 404: not a member
        reply = client.batch_subscribe([{"email_address": "gone@example.org", "status": "pending"}])
    assert reply["errors"][0]["error"].startswith("gone@example.org was permanently deleted")
    assert fake_mailchimp.segment_by_name("source:/x/")["members"] == set()
