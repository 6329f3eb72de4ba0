"""Nothing lost under SIGKILL, measured.

1. 20 clients post signups and contact messages while the service process is
   SIGKILLed. After a restart every submission that got a 2xx is in the outbox,
   and the next `make sync` delivers each exactly once.
2. `make sync` SIGKILLed in the middle of a Mailchimp batch (the batch took
   effect, its reply never came): the next run finishes, nobody twice.
   (SIGKILL in the middle of SMTP delivery: test_forms_sync.py,
   test_kill_mid_run_loses_nothing_and_resends_nothing_accepted, and below with
   the summaries.)
"""

from __future__ import annotations

import email
import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode

from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401  (fixture)
from tests.support.servers import (
    LOOPBACK, PROJECT_ROOT, FormsServer, RecordingHandler, base_env, free_port, rows, smtp_env,
    smtp_server,
)

CLIENTS = 20
FIGURES: dict = {}
LEASE = 5  # the shortest FORMS_CLAIM_LEASE allowed; PostgreSQL: a killed process's claims are taken over once their lease has run out


def lease_for(db) -> dict[str, str]:
    return {"FORMS_CLAIM_LEASE": str(LEASE)} if isinstance(db, str) else {}


def wait_out_the_lease(db) -> None:
    if isinstance(db, str):
        time.sleep(LEASE + 0.5)


def post(port: int, path: str, fields: dict) -> int | None:
    """The status of one form post, or None when no answer came (the server was killed)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        conn.request("POST", path, urlencode(fields).encode(),
                     {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def load(port: int, stop: threading.Event, acked: list, unanswered: list, other: list, n: int) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        key = f"c{n}-{i}"
        if i % 2:
            path, fields = "/api/subscribe", {"email": f"{key}@example.com", "name": f"N {key}",
                                              "consent": "on", "source": "/newsletter/"}
        else:
            path, fields = "/api/contact", {"name": f"N {key}", "email": f"{key}@example.org",
                                            "message": f"Message {key}"}
        status = post(port, path, fields)
        if status is None:
            unanswered.append((path, key))
            time.sleep(0.01)
        elif 200 <= status < 300:
            acked.append((path, key))
        else:
            other.append((path, key, status))


def test_sigkill_under_load_loses_no_acknowledged_submission(tmp_path, outbox_target,
                                                             fake_mailchimp):  # noqa: F811
    fake = fake_mailchimp
    db = outbox_target
    dead_smtp = free_port()  # nothing listens: the worker keeps deferring while we post
    fake.fail_next("empty503", times=None)  # and Mailchimp is down too
    env = base_env(db, FORMS_WORKER="1", FORMS_WORKER_INTERVAL="0.2",
                   MAILCHIMP_API_KEY=fake.api_key, MAILCHIMP_LIST_ID=fake.list_id,
                   MAILCHIMP_API_ROOT=fake.api_root, SMTP_HOST=LOOPBACK, SMTP_PORT=str(dead_smtp),
                   SMTP_STARTTLS="0", CONTACT_TO="team@example.org", CONTACT_FROM="web@example.org",
                   **lease_for(db))
    server = FormsServer(env, tmp_path / "server.log").start()
    acked, unanswered, other = [], [], []
    stop = threading.Event()
    threads = [threading.Thread(target=load, args=(server.port, stop, acked, unanswered, other, n))
               for n in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 400 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.proc.send_signal(signal.SIGKILL)  # mid-load: no shutdown code runs
        server.proc.wait(10)
        time.sleep(0.3)  # clients keep posting into the dead port for a moment
    finally:
        stop.set()
        for t in threads:
            t.join(15)
        server.stop()
    assert server.proc.returncode == -signal.SIGKILL
    assert len(acked) >= 400 and not other, other[:5]

    # Restart on the same outbox: every acknowledged submission is there.
    restarted = FormsServer(env, tmp_path / "server2.log").start()
    try:
        signups = {r["email"] for r in rows(db, "SELECT email FROM signups")}
        messages = Counter(r["message"] for r in rows(db, "SELECT message FROM messages"))
        lost = [(p, k) for p, k in acked
                if (p == "/api/subscribe" and f"{k}@example.com" not in signups)
                or (p == "/api/contact" and messages[f"Message {k}"] != 1)]
        assert lost == []
        stored_unacked = sum(1 for p, k in unanswered
                             if f"{k}@example.com" in signups or messages[f"Message {k}"])
        health = restarted.health()
        assert health["backlog"]["undelivered"] == len(signups) + sum(messages.values())

        # The next `make sync`, with both services back, delivers each exactly once.
        handler = RecordingHandler()
        controller = smtp_server(handler)
        fake.clear_faults()
        wait_out_the_lease(db)  # the killed instance's worker may have held a claim
        try:
            sync_env = dict(env, **smtp_env(controller, CONTACT_FROM="web@example.org"))
            result = subprocess.run([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT,
                                    env=sync_env, capture_output=True, text=True, timeout=300)
        finally:
            controller.stop()
        assert result.returncode == 0, result.stdout + result.stderr
        assert "| outbox: undelivered=0 | OK" in result.stdout
    finally:
        restarted.stop()

    bodies = Counter()
    ids = Counter()
    for m in handler.messages:
        parsed = email.message_from_bytes(m.data)
        ids[parsed["Message-ID"]] += 1
        text = parsed.get_payload(decode=True).decode()
        bodies[text.rsplit("> ", 1)[-1].strip()] += 1
    assert set(ids.values()) == {1}  # nobody's message twice
    assert bodies == messages  # every stored message exactly once
    assert {m["email_address"] for m in fake.members.values()} == signups
    assert all(m["creations"] == 1 for m in fake.members.values())
    acked_signups = sum(p == "/api/subscribe" for p, _ in acked)
    FIGURES.update(clients=CLIENTS, acknowledged=len(acked), acknowledged_signups=acked_signups,
                   acknowledged_messages=len(acked) - acked_signups, lost=len(lost),
                   unanswered=len(unanswered), stored_without_answer=stored_unacked,
                   smtp_delivered=len(handler.messages), mailchimp_members=len(fake.members))
    print("SIGKILL figures:", json.dumps(FIGURES))


MC_CHILD_N = 1200


def test_make_sync_killed_mid_mailchimp_batch_resumes_exactly_once(outbox_target,
                                                                   fake_mailchimp):  # noqa: F811
    from forms.outbox import Outbox

    fake = fake_mailchimp
    db = outbox_target
    box = Outbox(db)
    for i in range(MC_CHILD_N):
        box.add_signup(f"b{i}@example.org", f"B{i}", True, "ok", f"/posts/{i % 3}/", "192.0.2.9")
    pk = box.add_message("Kim", "kim@example.com", "Also in this run", False, "/contact/", "192.0.2.9")
    box.close()
    fake.add_delay(30.0, method="POST", path=r"^/3\.0/lists/[^/]+$", after=True)
    handler = RecordingHandler()
    controller = smtp_server(handler)
    env = base_env(db, MAILCHIMP_API_KEY=fake.api_key, MAILCHIMP_LIST_ID=fake.list_id,
                   MAILCHIMP_API_ROOT=fake.api_root, **smtp_env(controller), **lease_for(db))
    try:
        child = subprocess.Popen([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        in_flight = lambda f: [c for c in f.calls if c.kind == "batch_subscribe" and c.ended is None]  # noqa: E731
        assert fake.wait_for(lambda f: len(in_flight(f)) >= 2, timeout=30)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        child.stderr.close()
        assert len(fake.members) > 0  # Mailchimp created members the outbox never recorded
        assert {r["status"] for r in rows(db, "SELECT status FROM signups")} == {"pending"}
        fake.clear_faults()
        wait_out_the_lease(db)
        result = subprocess.run([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
    finally:
        controller.stop()
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| outbox: undelivered=0 | OK" in result.stdout
    assert len(fake.members) == MC_CHILD_N and all(m["creations"] == 1 for m in fake.members.values())
    assert {r["status"] for r in rows(db, "SELECT status FROM signups")} == {"synced"}
    assert [b"Also in this run" in m.data for m in handler.messages] == [True]
    assert rows(db, "SELECT status FROM messages WHERE id = ?", (pk,))[0]["status"] == "delivered"


def test_make_sync_killed_mid_smtp_prints_the_truth_after(outbox_target):
    """Killed while the server holds the DATA of message 2: the next run's summary
    and exit code, and each message once."""
    from forms.outbox import Outbox

    db = outbox_target
    box = Outbox(db)
    for i in range(3):
        box.add_message(f"V{i}", f"v{i}@example.com", f"Note {i}", False, "/contact/", "192.0.2.1")
    box.close()
    blocking = RecordingHandler(block_on=2)
    controller = smtp_server(blocking)
    try:
        child = subprocess.Popen([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT,
                                 env=base_env(db, **smtp_env(controller, SMTP_TIMEOUT="30"), **lease_for(db)),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert blocking.blocked.wait(15)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        child.stderr.close()
    finally:
        controller.stop()
    listing = subprocess.run([sys.executable, "-m", "forms.outbox_cli"], cwd=PROJECT_ROOT,
                             env=base_env(db), capture_output=True, text=True, timeout=60)
    assert "undelivered=2 (messages: waiting=1 sending=1)" in listing.stdout, listing.stdout
    wait_out_the_lease(db)
    handler = RecordingHandler()
    controller = smtp_server(handler)
    try:
        result = subprocess.run([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT,
                                env=base_env(db, **smtp_env(controller), **lease_for(db)), capture_output=True,
                                text=True, timeout=60)
    finally:
        controller.stop()
    assert result.returncode == 0 and "messages sent=2" in result.stdout
    assert "| outbox: undelivered=0 | OK" in result.stdout
    got = sorted(m.data.split(b"> ")[-1].strip() for m in blocking.messages + handler.messages)
    assert got == [b"Note 0", b"Note 1", b"Note 2"]
