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


def test_the_build_reads_approved_comments_from_a_postgres_outbox(postgres):
    """COMMENTS_SOURCE=postgresql://... (the service's FORMS_DB): what the export gives."""
    from plugins.comments.source import CommentsSourceError, describe, load
    from tests.support.servers import free_port

    url = postgres.create_database()
    assert load(url) == {}  # a database without the outbox's tables: no comments
    outbox = Outbox(url)
    store = CommentStore(outbox)
    with outbox.db.transaction():
        first = store.add(post="/posts/a/", parent_id=None, name="Ada", email="ada@example.com",
                          body="Hello", body_html="<p>Hello</p>", avatar="", ip="192.0.2.1",
                          status="approved", notify=False)
        store.add(post="/posts/a/", parent_id=first, name="Bob", email="bob@example.com",
                  body="Wait", body_html="<p>Wait</p>", avatar="", ip="192.0.2.3",
                  status="pending", notify=False)
        reply = store.add(post="/posts/a/", parent_id=first, name="Grace", email="g@example.com",
                          body="Hi", body_html="<p>Hi</p>", avatar="", ip="192.0.2.2",
                          status="approved", notify=False)
    outbox.close()
    found = load(url)
    assert list(found) == ["/posts/a/"]
    assert [(c["id"], c["parent"], c["html"]) for c in found["/posts/a/"]] == [
        (first, None, "<p>Hello</p>"), (reply, first, "<p>Hi</p>")]
    assert not any("email" in c or "ip" in c for c in found["/posts/a/"])
    # a server that cannot be reached: an error that names it, never its password
    away = f"postgresql://forms:s3cret-pw@127.0.0.1:{free_port()}/outbox"
    try:
        load(away)
    except CommentsSourceError as exc:
        assert "s3cret-pw" not in str(exc) and "cannot read the outbox" in str(exc)
    else:
        raise AssertionError("an unreachable outbox was read")
    assert "s3cret-pw" not in describe(away) and describe(away).startswith("postgresql://forms:")
