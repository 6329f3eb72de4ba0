"""The operator's outage, end to end: the service with its worker, a real SMTP server
(or the fake Mailchimp) that goes down and comes back, and `make sync` as a process.

Every step asserts the summary `make sync` prints, its exit code, the worker's
log line and /api/health, and at the end that the second item arrived exactly
once and the first was never sent again.
"""

from __future__ import annotations

import subprocess
import sys
import time

from aiosmtpd.controller import Controller

from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401  (fixture)
from tests.support.servers import (
    LOOPBACK, PROJECT_ROOT, RecordingHandler, rows, smtp_env, smtp_server,
)

SUMMARIES: list[str] = []  # printed at the end of the run (-s) for the closing note


def make_sync(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`make sync`: the command the Makefile runs, as a process."""
    result = subprocess.run([sys.executable, "-m", "forms.sync", *args], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    SUMMARIES.append(f"$ make sync  -> exit {result.returncode}\n{result.stdout.strip()}")
    print(SUMMARIES[-1])
    return result


def wait_until(predicate, timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def contact(client, n: int):
    return client.post_json("/api/contact", {"name": f"Visitor {n}", "email": f"v{n}@example.com",
                                             "message": f"Outage note {n}"})


def test_smtp_outage_nothing_stranded_and_status_tells_the_truth(start_server, outbox_target):
    first = RecordingHandler()
    controller = smtp_server(first)
    port = controller.port
    env_extra = dict(smtp_env(controller), FORMS_WORKER="1", FORMS_WORKER_INTERVAL="1",
                     FORMS_HEALTH_MAX_AGE="2")
    server, client = start_server(db=outbox_target, **env_extra)
    env = server.env

    # 1. The service runs with its worker; a message is delivered.
    assert contact(client, 1).status == 200
    wait_until(lambda: len(first.messages) == 1, what="the worker to deliver message 1")
    wait_until(lambda: rows(server.db, "SELECT status FROM messages")[0]["status"] == "delivered",
               what="message 1 marked delivered")
    result = make_sync(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "messages sent=0 failed=0 deferred=0 pending=0" in result.stdout
    assert "| outbox: undelivered=0 | OK" in result.stdout
    assert server.health()["_status"] == 200

    # 2. The SMTP server goes down; a second message is posted and the worker defers it.
    controller.stop()
    assert contact(client, 2).status == 200
    wait_until(lambda: (rows(server.db, "SELECT attempts FROM messages WHERE id = 2") or [{}])[0]
               .get("attempts", 0) >= 1, what="the worker to try message 2")
    wait_until(lambda: "undelivered=1 (messages: deferred=1)" in server.log(),
               what="the worker's log line to count the deferred message")
    print("worker:", *[line for line in server.log().splitlines() if "forms.worker" in line], sep="\n")
    health = server.health()
    assert health["backlog"]["undelivered"] == 1
    assert health["backlog"]["queues"]["messages"]["deferred"] == 1
    assert health["backlog"]["next_attempt"]
    result = make_sync(env)  # ignores the backoff: tries now, fails again
    assert result.returncode == 1
    assert "messages sent=0 failed=0 deferred=1 pending=0" in result.stdout
    assert "undelivered=1 (messages: deferred=1) oldest=" in result.stdout
    assert "next_attempt=" in result.stdout and result.stdout.rstrip().endswith("FAILED")
    assert "cannot connect" in result.stderr
    [row] = rows(server.db, "SELECT attempts FROM messages WHERE id = 2")
    assert row["attempts"] == 2  # the manual run did try, backoff notwithstanding
    time.sleep(2.2)  # older than FORMS_HEALTH_MAX_AGE=2
    health = server.health()
    assert health["_status"] == 503 and health["ok"] is False
    assert "oldest undelivered item (messages)" in health["reason"]
    assert "FORMS_HEALTH_MAX_AGE" in health["reason"] and "make outbox" in health["reason"]

    # 3. The server comes back. `make sync` sends the message now, not after its backoff.
    second = RecordingHandler()
    controller = Controller(second, hostname=LOOPBACK, port=port)
    controller.start()
    try:
        result = make_sync(env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "messages sent=1 failed=0 deferred=0 pending=0" in result.stdout
        assert "| outbox: undelivered=0 | OK" in result.stdout
        assert server.health()["_status"] == 200
        again = make_sync(env)
        assert again.returncode == 0 and "messages sent=0" in again.stdout
        time.sleep(1.5)  # the worker's next runs send nothing more
    finally:
        controller.stop()
    assert [b"Outage note 1" in m.data for m in first.messages] == [True]
    assert [b"Outage note 2" in m.data for m in second.messages] == [True]  # once, and only it
    assert {r["status"] for r in rows(server.db, "SELECT status FROM messages")} == {"delivered"}


def test_mailchimp_outage_nothing_stranded_and_status_tells_the_truth(
        start_server, outbox_target, fake_mailchimp):  # noqa: F811
    fake = fake_mailchimp
    server, client = start_server(
        db=outbox_target, FORMS_WORKER="1", FORMS_WORKER_INTERVAL="1", FORMS_HEALTH_MAX_AGE="3600",
        MAILCHIMP_API_KEY=fake.api_key, MAILCHIMP_LIST_ID=fake.list_id,
        MAILCHIMP_API_ROOT=fake.api_root)
    env = server.env

    def signup(n):
        return client.post_json("/api/subscribe", {"email": f"s{n}@example.com", "name": f"S{n}",
                                                   "consent": True, "source": "/newsletter/"})

    assert signup(1).status == 200
    wait_until(lambda: rows(server.db, "SELECT status FROM signups")[0]["status"] == "synced",
               what="the worker to sync signup 1")
    assert fake.member("s1@example.com") is not None
    result = make_sync(env)
    assert result.returncode == 0 and "| outbox: undelivered=0 | OK" in result.stdout

    # Mailchimp answers every request with an empty-body 503.
    fake.fail_next("empty503", times=None)
    assert signup(2).status == 200
    wait_until(lambda: "undelivered=1 (signups: deferred=1)" in server.log(), timeout=30,
               what="the worker to defer signup 2 and say so")
    result = make_sync(env)
    assert result.returncode == 1
    assert "signups sent=0 updated=0 failed=0 pending=1" in result.stdout
    assert "undelivered=1 (signups: deferred=1) oldest=" in result.stdout
    assert "next_attempt=" in result.stdout and result.stdout.rstrip().endswith("FAILED")
    assert "HTTP 503 with an empty body" in result.stderr + result.stdout
    health = server.health()
    assert health["_status"] == 200 and health["backlog"]["queues"]["signups"]["deferred"] == 1

    # Mailchimp is back: the deferred signup goes now, once; signup 1 is not sent again.
    fake.clear_faults()
    fake.reset_stats()
    result = make_sync(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "signups sent=1" in result.stdout and "| outbox: undelivered=0 | OK" in result.stdout
    batches = fake.calls_of("batch_subscribe")
    assert [c.members for c in batches] == [1]  # only signup 2
    assert not fake.calls_of("put_member")  # signup 1 untouched
    assert fake.member("s2@example.com")["merge_fields"]["FNAME"] == "S2"
    assert len(fake.members) == 2
    assert {r["status"] for r in rows(server.db, "SELECT status FROM signups")} == {"synced"}


def test_publish_sync_line_counts_the_backlog(outbox_target, fake_mailchimp):  # noqa: F811
    """`make publish`'s sync prints the same backlog (here: a deferred contact message)."""
    from forms.outbox import Outbox, utcnow
    from datetime import timedelta
    from plugins.newsletter.publish_sync import run_publish_sync

    db = outbox_target
    box = Outbox(db)
    pk = box.add_message("A", "a@example.com", "hi", False, "/", "192.0.2.1")
    box.defer_message(pk, "cannot connect", utcnow() + timedelta(minutes=5), count_attempt=True)
    box.close()
    import io
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run_publish_sync({"MAILCHIMP_API_KEY": fake_mailchimp.api_key,
                          "MAILCHIMP_LIST_ID": fake_mailchimp.list_id,
                          "MAILCHIMP_API_ROOT": fake_mailchimp.api_root, "FORMS_DB": str(db)})
    assert "| outbox: undelivered=1 (messages: deferred=1) oldest=" in out.getvalue()
    assert "next_attempt=" in out.getvalue()
