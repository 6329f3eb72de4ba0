"""The comments store and its mail queue on the PostgreSQL outbox: the same SQL as on
SQLite, single-use links in a transaction, and comment mails claimed by one worker only."""

import threading

from forms.comments.store import CommentStore
from forms.mail_queue import MailQueue
from forms.outbox import Outbox


def test_comment_store_and_tokens_on_both_backends(outbox_target):
    outbox = Outbox(outbox_target)
    store = CommentStore(outbox)
    with outbox.db.transaction():
        first = store.add(post="/posts/a/", parent_id=None, name="Ada", email="ada@example.com",
                          body="Hello", body_html="<p>Hello</p>", avatar="", ip="192.0.2.1",
                          status="pending", notify=True)
        reply = store.add(post="/posts/a/", parent_id=first, name="Grace", email="g@example.com",
                          body="Hi", body_html="<p>Hi</p>", avatar="", ip="192.0.2.2",
                          status="approved", notify=False)
    assert store.use_token("n1", "approve", first) is True
    outbox.db.execute("BEGIN IMMEDIATE")  # as forms.comments.moderation does
    assert store.use_token("n1", "approve", first) is False  # used once: refused, tx intact
    assert store.set_status(first, "approved", only_from="pending")
    outbox.db.execute("COMMIT")
    assert store.get(first).status == "approved"
    assert [c["id"] for c in store.approved("/posts/a/")] == [first, reply]
    assert store.is_duplicate("/posts/a/", "ada@example.com", "Hello")
    assert store.erase("ada@example.com") == 1 and store.get(reply).parent_id is None
    outbox.close()


def test_comment_mails_are_claimed_by_one_worker(postgres):
    """PostgreSQL only: on SQLite the delivery file lock keeps runs apart instead."""
    url = postgres.create_database()
    boxes = [Outbox(url) for _ in range(3)]
    queue = MailQueue(boxes[0], "example.org")
    for n in range(60):
        queue.add("comment-moderator", f"mod{n % 2}@example.org", f"New comment {n}", "text\n")
    got = {}
    start = threading.Barrier(len(boxes))

    def claim(n):
        start.wait()
        got[n] = [m.id for m in MailQueue(boxes[n]).claim_due()]

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(boxes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for n in got for i in got[n]]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 60
    assert MailQueue(boxes[1]).claim_due() == []
    for box in boxes:
        box.close()
