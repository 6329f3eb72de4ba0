"""A sync SIGKILLed mid-flight, then run again: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from forms.mailchimp_sync import sync_signups

from .helpers import FAST_RETRY, add, statuses

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys
from forms.mailchimp_client import MailchimpConfig
from forms.mailchimp_sync import sync_signups
from forms.outbox import Outbox
db, root, key, list_id = sys.argv[1:5]
print("starting", flush=True)
sync_signups(Outbox(db), MailchimpConfig(api_key=key, list_id=list_id, api_root=root))
print("finished", flush=True)
"""

N = 1600  # four member batches, two tags


def in_flight(fake, kind):
    return [c for c in fake.calls if c.kind == kind and c.ended is None]


@pytest.mark.parametrize(
    "phase, path",
    [
        ("batch_subscribe", r"^/3\.0/lists/[^/]+$"),  # killed while creating members
        ("segment_members", r"/segments/\d+$"),  # killed while tagging them
    ],
)
def test_killed_sync_resumes_without_loss_or_duplicates(fake, config, outbox, tmp_path, phase, path):
    for i in range(N):
        # Some with a name: on resume, existing members with a name get a PUT.
        add(outbox, f"k{i}@example.org", f"K{i}" if i % 8 == 7 else "", f"/posts/{i % 2}/")
    fake.seed_member("k7@example.org", "unsubscribed", name="Seven")
    # Requests of this phase take effect at once, then their reply hangs: the
    # child is killed while Mailchimp has done work the outbox has not recorded.
    fake.add_delay(30.0, method="POST", path=path, after=True)

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(outbox.path), fake.api_root, fake.api_key, fake.list_id],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert fake.wait_for(lambda f: len(in_flight(f, phase)) >= 2, timeout=30), (
            child.poll(), child.stderr.read() if child.poll() is not None else "")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert len(fake.members) > 1  # Mailchimp did get work done before the kill
    assert set(statuses(outbox).values()) == {"pending"}  # ... but nothing was recorded

    fake.clear_faults()
    report = sync_signups(outbox, config, retry=FAST_RETRY)
    assert report.ok, report.failures
    assert report.sent + report.updated == N

    assert len(fake.members) == N  # no one lost, no one twice
    assert sorted(fake.segment_names()) == ["source:/posts/0/", "source:/posts/1/"]
    for i in range(N):
        m = fake.member(f"k{i}@example.org")
        assert m is not None and [t["name"] for t in m["tags"]] == [f"source:/posts/{i % 2}/"]
    seven = fake.member("k7@example.org")
    assert seven["status_history"] == ["unsubscribed"] and seven["merge_fields"]["FNAME"] == "K7"
    others = {m["status"] for m in fake.members.values() if m["email_address"] != "k7@example.org"}
    assert others == {"pending"}
    assert set(statuses(outbox).values()) == {"synced"}
