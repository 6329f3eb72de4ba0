"""`make outbox` (python -m forms.outbox_cli / python -m forms.outbox), the backlog every
summary shows, and /api/health's verdict, on a real outbox file."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from forms.outbox import Outbox, iso, utcnow
from tests.support.servers import PROJECT_ROOT, base_env, execute, rows


def run(db, *args: str, module: str = "forms.outbox_cli", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT_ROOT,
                          env=base_env(db, **env), capture_output=True, text=True, timeout=60)


def age(db, table: str, pk: int, column: str, delta: timedelta) -> None:
    execute(db, f"UPDATE {table} SET {column} = ? WHERE id = ?", (iso(utcnow() - delta), pk))


def make_outbox(db) -> dict:
    box = Outbox(db)
    ids = {}
    msg = lambda n: box.add_message(f"V{n}", f"v{n}@example.com", f"text {n}", False, "/", "192.0.2.1")  # noqa: E731
    ids["waiting"] = msg(1)
    ids["deferred"] = msg(2)
    box.defer_message(ids["deferred"], "cannot connect to smtp.example:587", utcnow() + timedelta(minutes=9),
                      count_attempt=True)
    ids["failed"] = msg(3)
    box.mark_sending(ids["failed"])
    box.mark_message_failed(ids["failed"], "rejected by the SMTP server", "550 5.1.1 no such user")
    ids["old_delivered"] = msg(4)
    box.mark_delivered(ids["old_delivered"], "250 ok")
    ids["new_delivered"] = msg(5)
    box.mark_delivered(ids["new_delivered"], "250 ok")
    box.add_signup("bad@example.org", "", True, "ok", "/", "192.0.2.1")
    box.add_signup("good@example.org", "", True, "ok", "/", "192.0.2.1")
    [bad, good] = box.pending_signups()
    box.mark_signup_failed(bad.id, "Invalid Resource: looks fake or invalid")
    box.mark_signups_synced([good])
    ids["signup_failed"] = bad.id
    box.close()
    age(db, "messages", ids["old_delivered"], "delivered_at", timedelta(days=40))
    age(db, "messages", ids["waiting"], "created_at", timedelta(hours=2))
    return ids


def test_list_shows_every_undelivered_item_with_its_reason(outbox_target):
    db = outbox_target
    make_outbox(db)
    result = run(db)
    assert result.returncode == 1  # deferred and failed items: not all is well
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "outbox: undelivered=4 (signups: failed=1; messages: waiting=1 deferred=1 failed=1) oldest=2h00m")
    assert "next_attempt=" in lines[0]
    text = result.stdout
    assert "reason: cannot connect to smtp.example:587" in text
    assert "reason: rejected by the SMTP server: 550 5.1.1 no such user" in text
    assert "reason: Invalid Resource: looks fake or invalid" in text
    assert "V1 <v1@example.com>" in text and "bad@example.org" in text
    assert "good@example.org" not in text and "V4" not in text  # delivered: only with --all
    every = run(db, "list", "--all")
    assert "good@example.org" in every.stdout and "V4 <v4@example.com>" in every.stdout
    same = run(db, "list", module="forms.outbox")  # `python -m forms.outbox ...` works too
    assert same.returncode == 1 and same.stdout.startswith("outbox: undelivered=4 (")
    assert [x for x in same.stdout.splitlines() if "reason:" in x] == [x for x in lines if "reason:" in x]
    data = json.loads(run(db, "--json").stdout)
    assert data["backlog"]["undelivered"] == 4 and data["backlog"]["with_errors"] == 3
    assert {(i["queue"], i["state"]) for i in data["items"]} == {
        ("signups", "failed"), ("messages", "waiting"), ("messages", "deferred"), ("messages", "failed")}


def test_requeue_one_then_all_and_purge(outbox_target):
    db = outbox_target
    ids = make_outbox(db)
    one = run(db, "requeue", "messages", str(ids["failed"]))
    assert one.returncode == 0 and "requeued 1 item(s) (messages #" in one.stdout
    [row] = rows(db, "SELECT status, attempts, next_attempt_at FROM messages WHERE id = ?", (ids["failed"],))
    assert row == {"status": "pending", "attempts": 0, "next_attempt_at": None}
    missing = run(db, "requeue", "messages", "9999")
    assert missing.returncode == 1 and "requeued 0" in missing.stdout
    every = run(db, "requeue", "--all")
    assert every.returncode == 0 and "requeued 2 item(s) (all queues)" in every.stdout
    listing = run(db)
    assert listing.returncode == 0
    assert "undelivered=4 (signups: waiting=1; messages: waiting=3)" in listing.stdout
    purge = run(db, "purge")
    assert purge.returncode == 0 and "purged messages=1" in purge.stdout
    assert [r["id"] for r in rows(db, "SELECT id FROM messages WHERE status = 'delivered'")] == [
        ids["new_delivered"]]
    assert rows(db, "SELECT count(*) AS n FROM signups WHERE status = 'synced'")[0]["n"] == 1
    kept = run(db, "purge", CONTACT_RETENTION_DAYS="0")
    assert "purged nothing" in kept.stdout


def test_sync_without_a_server_configured_counts_waiting_items_but_exits_0(outbox_target):
    db = outbox_target
    box = Outbox(db)
    box.add_message("A", "a@example.com", "hi", False, "/", "192.0.2.1")
    box.close()
    result = run(db, module="forms.sync")
    assert result.returncode == 0, result.stdout
    assert "smtp not configured, 1 message(s) waiting)" in result.stdout
    assert "| outbox: undelivered=1 (messages: waiting=1) oldest=" in result.stdout


def test_health_is_503_with_a_reason_once_the_oldest_item_is_too_old(outbox_target, start_server):
    db = outbox_target
    box = Outbox(db)
    pk = box.add_message("A", "a@example.com", "hi", False, "/", "192.0.2.1")
    box.close()
    server, _ = start_server(db=db, FORMS_HEALTH_MAX_AGE="3600")
    health = server.health()
    assert health["_status"] == 200 and health["ok"] is True
    assert health["backlog"]["undelivered"] == 1 and health["max_age_seconds"] == 3600
    age(db, "messages", pk, "created_at", timedelta(hours=1, minutes=5))
    health = server.health()
    assert health["_status"] == 503 and health["ok"] is False
    assert health["reason"].startswith("the oldest undelivered item (messages) has waited 1h05m, "
                                       "longer than FORMS_HEALTH_MAX_AGE (1h00m)")
    assert "a@example.com" not in json.dumps(health)  # no personal data on a public endpoint
