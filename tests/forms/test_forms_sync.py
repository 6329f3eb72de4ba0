"""`python -m forms.sync` (make sync) and the service's background worker, as real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from forms.outbox import Outbox
from tests.support.servers import (
    PROJECT_ROOT, RecordingHandler, base_env, free_port, rows, smtp_env, smtp_server,
)


def run_sync(env: dict, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forms.sync", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def fill(db, n: int) -> list[int]:
    box = Outbox(db)
    try:
        return [box.add_contact(name=f"Visitor {i}", email=f"v{i}@example.com", message=f"Note {i}",
                                source="/contact/", ip="192.0.2.1", subscribe=False,
                                consent_text="", message_id_domain="example.org")
                for i in range(n)]
    finally:
        box.close()


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = smtp_server(handler)
    yield handler, controller
    controller.stop()


def test_sync_with_nothing_configured_exits_0(outbox_target):
    result = run_sync(base_env(outbox_target))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "smtp not configured" in result.stdout


def test_sync_delivers_and_exits_0(outbox_target, smtp):
    handler, controller = smtp
    db = outbox_target
    fill(db, 3)
    env = base_env(db, **smtp_env(controller))
    dry = run_sync(env, "--dry-run")
    assert dry.returncode == 0 and "pending=3" in dry.stdout and not handler.messages
    result = run_sync(env)
    assert result.returncode == 0, result.stderr
    assert "messages sent=3" in result.stdout
    assert len(handler.messages) == 3
    again = run_sync(env)
    assert again.returncode == 0 and "messages sent=0" in again.stdout and len(handler.messages) == 3


def test_sync_exit_1_on_permanent_failure(outbox_target):
    handler = RecordingHandler(reply="550 5.1.1 No such mailbox")
    controller = smtp_server(handler)
    try:
        db = outbox_target
        fill(db, 1)
        result = run_sync(base_env(db, **smtp_env(controller)))
        assert result.returncode == 1
        assert "failed=1" in result.stdout and "FAILED" in result.stdout
        again = run_sync(base_env(db, **smtp_env(controller)))
        # nothing failed in this run, but the old failure is still undelivered: not OK
        assert again.returncode == 1
        assert "undelivered=1 (messages: failed=1)" in again.stdout and "FAILED" in again.stdout
        handler.reply = None  # the problem is fixed; the failed message can go again
        result = run_sync(base_env(db, **smtp_env(controller)), "--retry-failed")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "requeued 1" in result.stdout and "messages sent=1" in result.stdout
        assert len(handler.messages) == 1
    finally:
        controller.stop()


def test_sync_exit_1_when_server_down_and_secrets_never_printed(outbox_target):
    db = outbox_target
    fill(db, 2)
    env = base_env(db, SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()), SMTP_STARTTLS="0",
                   CONTACT_TO="team@example.org", SMTP_USERNAME="u", SMTP_PASSWORD="TopSecret-123",
                   MAILCHIMP_API_KEY="abcdef0123456789-us1")
    result = run_sync(env)
    assert result.returncode == 1
    assert "deferred=2" in result.stdout
    output = result.stdout + result.stderr
    assert "TopSecret-123" not in output and "abcdef0123456789" not in output
    [row, _] = rows(db, "SELECT * FROM messages ORDER BY id")
    assert row["status"] == "pending" and row["attempts"] == 1


def test_sync_exit_2_on_bad_configuration(outbox_target):
    result = run_sync(base_env(outbox_target, SMTP_PORT="not-a-port"))
    assert result.returncode == 2 and "SMTP_PORT" in result.stderr


def test_kill_mid_run_loses_nothing_and_resends_nothing_accepted(outbox_target):
    db = outbox_target
    ids = fill(db, 4)
    # PostgreSQL: the killed run's claims are taken over once their lease has run out
    lease = {"FORMS_CLAIM_LEASE": "5"} if isinstance(db, str) else {}
    blocking = RecordingHandler(block_on=2)  # accepts the 1st message, hangs on the 2nd
    controller = smtp_server(blocking)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT,
                                env=base_env(db, **smtp_env(controller, SMTP_TIMEOUT="30"), **lease),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert blocking.blocked.wait(15), "the sync never reached the 2nd message"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        controller.stop()
    state = {r["id"]: r["status"] for r in rows(db, "SELECT id, status FROM messages")}
    assert state == {ids[0]: "delivered", ids[1]: "sending", ids[2]: "pending", ids[3]: "pending"}
    assert [m.data for m in blocking.messages if b"Note 0" in m.data]

    if lease:
        early = run_sync(base_env(db, **lease))  # within the lease: nothing is taken over
        assert "messages sent=0" in early.stdout and "sending=1" in early.stdout, early.stdout
        time.sleep(5.5)
    handler = RecordingHandler()
    controller = smtp_server(handler)
    try:
        result = run_sync(base_env(db, **smtp_env(controller), **lease))
    finally:
        controller.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    delivered = sorted(m.data.split(b"> ")[-1].strip() for m in handler.messages)
    assert delivered == [b"Note 1", b"Note 2", b"Note 3"]  # Note 0 was accepted: not resent
    assert {r["status"] for r in rows(db, "SELECT status FROM messages")} == {"delivered"}
    [resent] = rows(db, "SELECT attempts FROM messages WHERE id = ?", (ids[1],))
    assert resent["attempts"] == 2


def test_worker_delivers_without_manual_sync(outbox_target, start_server, smtp):
    handler, controller = smtp
    server, client = start_server(db=outbox_target, FORMS_WORKER="1", FORMS_WORKER_INTERVAL="60",
                                  **smtp_env(controller))
    sent_at = time.monotonic()
    reply = client.post_json("/api/contact", {"name": "Quick", "email": "quick@example.com",
                                              "message": "Worker, deliver me"})
    assert reply.status == 200
    while not handler.messages and time.monotonic() - sent_at < 5:
        time.sleep(0.05)
    assert handler.messages, "the worker did not deliver within 5 s: " + server.log()
    assert time.monotonic() - sent_at < 2
    assert b"> Worker, deliver me" in handler.messages[0].data
    deadline = time.monotonic() + 3
    while server.health()["outbox"]["messages_delivered"] != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.health()["outbox"]["messages_delivered"] == 1


def test_worker_picks_up_leftovers_at_startup(outbox_target, start_server, smtp):
    handler, controller = smtp
    db = outbox_target
    fill(db, 2)
    server, _ = start_server(db=db, FORMS_WORKER="1", FORMS_WORKER_INTERVAL="60",
                             **smtp_env(controller))
    deadline = time.monotonic() + 5
    while len(handler.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(handler.messages) == 2
