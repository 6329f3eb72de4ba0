"""Comment mails go through `make sync` (forms.sync) and the worker's SMTP delivery:
retried on 4xx, failed on 5xx, never sent twice."""

import email
import email.policy
import subprocess
import sys

import pytest

from forms.mail_queue import MailQueue
from forms.outbox import Outbox
from tests.site.conftest import ROOT
from tests.support.servers import RecordingHandler, base_env, execute, smtp_env, smtp_server


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = smtp_server(handler)
    yield handler, controller
    controller.stop()


def sync(db, controller, *args):
    env = base_env(db, **smtp_env(controller, COMMENTS_FROM="comments@example.org"))
    return subprocess.run([sys.executable, "-m", "forms.sync", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def test_make_sync_sends_comment_mails_once(smtp, outbox_target):
    handler, controller = smtp
    db = outbox_target
    outbox = Outbox(db)
    queue = MailQueue(outbox, "example.org")
    queue.add("comment-reply", "ada@example.com", "Grace replied", "Hello Ada\n",
              headers={"List-Unsubscribe": "<https://forms.example/api/comments/action?t=x>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    outbox.close()
    first = sync(db, controller)
    assert first.returncode == 0, first.stderr
    assert "mails sent=1 failed=0" in first.stdout
    again = sync(db, controller)
    assert again.returncode == 0 and "mails sent=0" in again.stdout
    [received] = handler.messages
    assert received.mail_from == "comments@example.org" and received.rcpt_tos == ["ada@example.com"]
    mail = email.message_from_bytes(received.data, policy=email.policy.default)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["From"] == "Test Blog <comments@example.org>" and mail["Subject"] == "Grace replied"


def test_refused_and_deferred_comment_mails(smtp, outbox_target):
    handler, controller = smtp
    db = outbox_target
    outbox = Outbox(db)
    MailQueue(outbox).add("comment-moderator", "mod@example.org", "New comment", "text\n")
    outbox.close()
    handler.reply = "451 4.3.0 try later"
    deferred = sync(db, controller)
    assert deferred.returncode == 1 and "mails sent=0 failed=0 deferred=1" in deferred.stdout
    handler.reply = "554 5.7.1 no"
    # Deferred items wait for their retry time; make it now.
    execute(db, "UPDATE mails SET next_attempt_at = NULL")
    failed = sync(db, controller)
    assert failed.returncode == 1 and "failed=1" in failed.stdout
    handler.reply = None
    requeued = sync(db, controller, "--retry-failed")
    assert "requeued 1 failed comment mail(s)" in requeued.stdout and "mails sent=1" in requeued.stdout
    assert len(handler.messages) == 1
