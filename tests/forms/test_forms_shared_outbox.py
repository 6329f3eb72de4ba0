"""The PostgreSQL outbox's own promises, on the real test server: disjoint claims between
processes, a dead worker's lease taken over, results kept while the database is away,
the rate limit shared by instances, the SQLite copy, the URL's password kept secret."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from forms.db import open_db
from forms.outbox import MIGRATIONS, Outbox, utcnow
from forms.ratelimit import SharedRateLimiter
from forms.settings import Settings
from tests.support.servers import PROJECT_ROOT, base_env


@pytest.fixture
def url(postgres):
    return postgres.create_database()


def fill(box: Outbox, n: int) -> None:
    for i in range(n):
        box.add_signup(f"s{i}@example.com", f"S{i}", True, "Email me", "/p/", "192.0.2.1")
        box.add_message(f"M{i}", f"m{i}@example.com", f"message {i}", False, "/c/", "192.0.2.1")


def test_concurrent_claims_are_disjoint(url):
    boxes = [Outbox(url) for _ in range(4)]
    fill(boxes[0], 200)
    got: dict[int, tuple[list, list]] = {}
    start = threading.Barrier(len(boxes))

    def claim(n: int) -> None:
        start.wait()
        signups, messages = [], []
        while True:
            more = boxes[n].claim_signups(limit=7), boxes[n].claim_due_messages(limit=7)
            if not any(more):
                break
            signups += more[0]
            messages += more[1]
        got[n] = signups, messages

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(boxes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    signup_ids = [s.id for n in got for s in got[n][0]]
    message_ids = [m.id for n in got for m in got[n][1]]
    assert len(signup_ids) == len(set(signup_ids)) == 200
    assert len(message_ids) == len(set(message_ids)) == 200
    assert all(got[n][0] for n in got)  # every process got work
    for box in boxes:
        box.close()


def test_dead_workers_claims_are_taken_over_after_the_lease(url):
    dead, alive = Outbox(url, lease=60), Outbox(url, lease=60)
    fill(dead, 3)
    [first, *_] = dead.claim_due_messages()
    dead.mark_sending(first.id)  # then the process dies: the row stays 'sending', claimed
    dead.claim_signups()
    assert alive.claim_due_messages() == [] and alive.claim_signups() == []
    later = utcnow() + timedelta(seconds=61)
    taken = alive.claim_due_messages(now=later)
    assert [m.id for m in taken] == sorted(m.id for m in taken) and len(taken) == 3
    assert taken[0].status == "sending" and taken[0].id == first.id
    assert len(alive.claim_signups(now=later)) == 3
    row = alive.message_row(first.id)
    assert row["claimed_by"] == alive.owner and row["claimed_by"] != dead.owner
    dead.close()
    alive.close()


def test_results_wait_in_memory_while_the_database_is_away(postgres, url):
    box = Outbox(url, timeout=1.0)
    fill(box, 2)
    a, b = box.claim_due_messages()
    box.mark_sending(a.id)
    [signup, _] = box.claim_signups()
    postgres.stop_server()
    try:
        box.mark_delivered(a.id, "250 queued as A")  # sent, but the database is gone
        box.mark_signups_synced([signup])
        assert [name for name, *_ in box.unrecorded] == ["mark_delivered", "mark_signups_synced"]
        with pytest.raises(Exception):
            box.flush_unrecorded()
    finally:
        postgres.start_server()
    assert len(box.unrecorded) == 2
    assert box.flush_unrecorded() == 2 and box.unrecorded == []
    row = box.message_row(a.id)
    assert (row["status"], row["smtp_reply"], row["claimed_by"]) == ("delivered", "250 queued as A", None)
    assert box.signup_row(signup.email)["status"] == "synced"
    assert box.claim_due_messages() == []  # b is still claimed, a is done: nothing resent
    box.release_claims()
    assert [m.id for m in box.claim_due_messages()] == [b.id]
    box.close()


def test_rate_limit_is_shared_between_instances(url):
    one, two = Outbox(url), Outbox(url)
    a, b = SharedRateLimiter(one.db, 5), SharedRateLimiter(two.db, 5)
    answers = [(a if i % 2 else b).hit("198.51.100.7") for i in range(7)]
    assert answers[:5] == [0.0] * 5 and all(w >= 1 for w in answers[5:])
    assert a.hit("198.51.100.8") == 0.0  # another client has its own count
    one.close()
    two.close()


def test_copy_from_sqlite_twice_copies_each_row_once(url, tmp_path):
    old = Outbox(tmp_path / "old.sqlite3")
    fill(old, 25)
    [s] = old.pending_signups(limit=1)
    old.mark_signups_synced([s])
    old.add_signup("s3@example.com", "Again", True, "Email me", "/q/", "192.0.2.9")
    old.close()
    env = base_env(tmp_path / "unused.sqlite3", FORMS_DB=url)

    def copy() -> str:
        done = subprocess.run([sys.executable, "-m", "forms.outbox_cli", "copy-from-sqlite",
                               str(tmp_path / "old.sqlite3")], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = copy()
    assert "signups: 25 read, 25 copied, 0 already there" in first
    assert "messages: 25 read, 25 copied, 0 already there" in first
    second = copy()
    assert "signups: 25 read, 0 copied, 25 already there" in second
    assert "messages: 25 read, 0 copied, 25 already there" in second
    new = Outbox(url)
    counts = new.counts()
    assert (counts["signups_pending"], counts["signups_synced"], counts["messages_pending"]) == (24, 1, 25)
    assert new.signup_row("s3@example.com")["name"] == "Again"
    ids = {r[0] for r in new.db.execute("SELECT message_id FROM messages")}
    assert len(ids) == 25
    new.close()


def test_postgres_url_settings_keep_the_password_secret(url):
    secret_url = url.replace("forms@", "forms:Sup3r-Secret@")
    settings = Settings.from_env({"FORMS_DB": secret_url, "FORMS_CLAIM_LEASE": "120"})
    assert settings.db == secret_url and settings.claim_lease == 120.0
    assert "Sup3r-Secret" not in repr(settings)
    assert settings.redact(f"could not connect to {secret_url}") == \
        f"could not connect to {secret_url.replace('Sup3r-Secret', '***')}"
    assert Settings.from_env({"FORMS_DB": ""}).db == Settings.from_env({}).db_path
    box = Outbox.from_settings(Settings.from_env({"FORMS_DB": url}))
    assert box.kind == "postgresql" and box.schema_version == len(MIGRATIONS) and box.path is None
    assert "Sup3r" not in repr(box.db)
    box.close()


def test_make_person_erase_and_scrub_with_the_ledger_in_its_own_postgres_database(postgres, url,
                                                                                  tmp_path):
    ledger_url = postgres.create_database()
    env = base_env(url, FORMS_ERASURE_LEDGER=ledger_url)

    def person(*args):
        return subprocess.run([sys.executable, "-m", "forms.person", *args], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, timeout=60)

    old = Outbox(tmp_path / "old.sqlite3")  # what an old backup holds
    old.add_signup("erin@example.com", "Erin", True, "Yes", "/newsletter/", "198.51.100.7")
    old.add_message("Erin", "erin@example.com", "Call me", False, "/contact/", "198.51.100.7")
    old.add_signup("otto@example.com", "Otto", True, "Yes", "/newsletter/", "192.0.2.1")
    old.close()
    copy = [sys.executable, "-m", "forms.outbox_cli", "copy-from-sqlite", str(tmp_path / "old.sqlite3")]
    assert subprocess.run(copy, cwd=PROJECT_ROOT, env=env, timeout=60).returncode == 0

    exported = person("export", "Erin@Example.com")
    assert exported.returncode == 0, exported.stderr
    assert "Call me" in exported.stdout
    erased = person("erase", "erin@example.com")
    assert erased.returncode == 0, erased.stderr
    assert "signups: removed 1 row(s)" in erased.stdout and "messages: removed 1 row(s)" in erased.stdout
    box = Outbox(url)
    assert box.signup_row("erin@example.com") is None and box.signup_row("otto@example.com")
    assert "erasures" not in {  # the outbox's database holds no ledger
        r[0] for r in box.db.execute("SELECT table_name FROM information_schema.tables")}
    ledger = open_db(ledger_url)
    [(n,)] = ledger.execute("SELECT count(*) FROM erasures").fetchall()
    assert n == 1
    assert "erin" not in str(ledger.execute("SELECT * FROM erasures").fetchall())
    ledger.close()

    # The old backup restored (copied in again): the next delivery run scrubs it before sending.
    assert subprocess.run(copy, cwd=PROJECT_ROOT, env=env, timeout=60).returncode == 0
    assert box.signup_row("erin@example.com") is not None
    synced = subprocess.run([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "Traceback" not in synced.stderr, synced.stderr
    assert box.signup_row("erin@example.com") is None
    assert box.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert box.signup_row("otto@example.com") is not None
    box.close()


def test_sqlite_spelling_runs_on_postgres_through_the_shim(url):
    """What a store written for SQLite sends: BEGIN IMMEDIATE/ROLLBACK/COMMIT as statements,
    `? IS NULL` with a None parameter, a literal % and ? inside quotes."""
    box = Outbox(url)
    db = box.db
    db.execute("BEGIN IMMEDIATE")
    box.add_signup("rolled@example.com", "", True, "", "/", "")
    db.execute("ROLLBACK")
    assert box.signup_row("rolled@example.com") is None
    db.execute("BEGIN IMMEDIATE")
    box.add_signup("kept@example.com", "100% sure?", True, "", "/", "")
    db.execute("COMMIT")
    assert [r[0] for r in db.execute(
        "SELECT email FROM signups WHERE (? IS NULL OR name = ?) AND name LIKE '100% sure?'",
        (None, None))] == ["kept@example.com"]
    assert db.execute("SELECT count(*) FROM signups WHERE name LIKE '%?'").fetchone()[0] == 1
    box.close()


def test_a_long_batch_keeps_its_claims(url):
    """A run renews its lease while it works through what it claimed, so a slow batch
    is not taken over (and sent twice) by another worker."""
    import time

    slow, other = Outbox(url, lease=2), Outbox(url, lease=2)
    fill(slow, 3)
    claimed = slow.claim_due_messages()
    time.sleep(0.8)
    slow.keep_claims()  # what deliver_messages calls before each message
    past_first_lease = utcnow() + timedelta(seconds=1.5)
    assert other.claim_due_messages(now=past_first_lease) == []
    assert len(other.claim_due_messages(now=utcnow() + timedelta(seconds=3))) == len(claimed)
    slow.close()
    other.close()


def test_copy_from_sqlite_keeps_comment_ids_and_refuses_to_overwrite(url, tmp_path):
    from forms.comments.store import CommentStore
    from forms.copy_outbox import copy_from_sqlite
    from forms.mail_queue import MailQueue

    old = Outbox(tmp_path / "old.sqlite3")
    store = CommentStore(old)
    first = store.add(post="/p/", parent_id=None, name="Ada", email="ada@example.com", body="One",
                      body_html="<p>One</p>", avatar="", ip="", status="approved", notify=False)
    store.add(post="/p/", parent_id=first, name="Bo", email="bo@example.com", body="Two",
              body_html="<p>Two</p>", avatar="", ip="", status="pending", notify=False)
    store.use_token("nonce-1", "approve", first)
    MailQueue(old).add("comment-moderator", "mod@example.org", "New comment", "text\n",
                       comment_id=first)
    old.close()
    new = Outbox(url)
    for _ in range(2):  # a rerun copies nothing twice
        copy_from_sqlite(tmp_path / "old.sqlite3", new)
    moved = CommentStore(new)
    assert [(c.id, c.parent_id) for c in moved.list(None)] == [(first, None), (first + 1, first)]
    assert moved.use_token("nonce-1", "approve", first) is False
    assert len(MailQueue(new).rows()) == 1
    later = moved.add(post="/p/", parent_id=None, name="Cy", email="cy@example.com", body="Three",
                      body_html="<p>Three</p>", avatar="", ip="", status="pending", notify=False)
    assert later == first + 2  # numbering continues after the copied ids
    other = Outbox(tmp_path / "other.sqlite3")  # a different outbox whose ids collide
    CommentStore(other).add(post="/q/", parent_id=None, name="Di", email="di@example.com",
                            body="Else", body_html="<p>Else</p>", avatar="", ip="",
                            status="approved", notify=False)
    other.close()
    with pytest.raises(ValueError, match="is another comment"):
        copy_from_sqlite(tmp_path / "other.sqlite3", new)
    assert len(moved.list(None)) == 3
    new.close()

