"""Signups reach Mailchimp (the fake server) through the same delivery run: worker and make sync."""

from __future__ import annotations

import subprocess
import sys
import time

from forms.outbox import Outbox
from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401  (fixture)
from tests.support.servers import PROJECT_ROOT, base_env, rows


def mailchimp_env(fake) -> dict[str, str]:
    return {"MAILCHIMP_API_KEY": fake.api_key, "MAILCHIMP_LIST_ID": fake.list_id,
            "MAILCHIMP_API_ROOT": fake.api_root}


def test_worker_syncs_a_signup_without_manual_sync(outbox_target, start_server,
                                                   fake_mailchimp):  # noqa: F811
    server, client = start_server(db=outbox_target, FORMS_WORKER="1", FORMS_WORKER_INTERVAL="60",
                                  **mailchimp_env(fake_mailchimp))
    reply = client.post_json("/api/subscribe", {"email": "Worker@Example.com", "name": "Wo",
                                                "consent": True, "source": "/posts/x/"})
    assert reply.status == 200
    assert fake_mailchimp.wait_for(lambda f: f.member("worker@example.com") is not None, 5), \
        server.log()
    deadline = time.monotonic() + 5
    while server.health()["outbox"]["signups_synced"] != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.health()["outbox"]["signups_synced"] == 1
    assert fake_mailchimp.api_key not in server.log()


def test_make_sync_syncs_signups_and_reports_failures(outbox_target, fake_mailchimp):  # noqa: F811
    db = outbox_target
    box = Outbox(db)
    box.add_signup("one@example.com", "One", True, "Email me", "/a/", "192.0.2.1")
    box.add_signup("two@example.com", "", True, "Email me", "/b/", "192.0.2.2")
    box.close()
    env = base_env(db, **mailchimp_env(fake_mailchimp))
    run = lambda e: subprocess.run([sys.executable, "-m", "forms.sync"], cwd=PROJECT_ROOT, env=e,
                                   capture_output=True, text=True, timeout=60)
    result = run(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "signups sent=2" in result.stdout
    assert fake_mailchimp.member("one@example.com") and fake_mailchimp.member("two@example.com")
    assert {r["status"] for r in rows(db, "SELECT status FROM signups")} == {"synced"}

    box = Outbox(db)
    box.add_signup("three@example.com", "", True, "Email me", "/c/", "192.0.2.3")
    box.close()
    wrong_key = {**env, "MAILCHIMP_API_KEY": "ffffffffffffffffffffffffffffffff-us7"}
    result = run(wrong_key)
    assert result.returncode == 1
    assert "ffffffffffffffff" not in result.stdout + result.stderr
    assert rows(db, "SELECT status FROM signups WHERE email = 'three@example.com'")[0]["status"] \
        == "pending"


def run_on_a_terminal(args, env, timeout=60):
    """Run `python -m forms.sync ARGS` with a pseudo-terminal as stdout and stderr."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # A new pseudo-terminal is 0 columns wide; give it a real screen's size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "forms.sync", *args], cwd=PROJECT_ROOT,
                               env=env, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


def test_make_sync_draws_a_progress_bar_on_a_terminal(outbox_target, fake_mailchimp):  # noqa: F811
    db = outbox_target
    box = Outbox(db)
    for n in range(30):
        box.add_signup(f"reader{n}@example.com", "", True, "Email me", "/p/", "192.0.2.9")
    box.close()
    status, screen = run_on_a_terminal([], base_env(db, **mailchimp_env(fake_mailchimp)))
    assert status == 0, screen
    assert "Mailchimp:" in screen and "step" in screen and "%|" in screen
    assert "signups sent=30" in screen


def test_dry_run_lists_what_would_be_sent_and_sends_nothing(outbox_target, fake_mailchimp):  # noqa: F811
    db = outbox_target
    box = Outbox(db)
    box.add_signup("dry@example.com", "Dry", True, "Email me", "/d/", "192.0.2.4")
    box.close()
    result = subprocess.run([sys.executable, "-m", "forms.sync", "--dry-run"], cwd=PROJECT_ROOT,
                            env=base_env(db, **mailchimp_env(fake_mailchimp)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "dry@example.com  FNAME='Dry'  tag=source:/d/" in result.stdout
    assert fake_mailchimp.member("dry@example.com") is None
    assert rows(db, "SELECT status FROM signups")[0]["status"] == "pending"
