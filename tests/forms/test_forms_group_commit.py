"""Group commit on PostgreSQL (forms.group_commit, forms.outbox_writer, the batched rate
limit), the service starting while its database is away, and the comment endpoints
keeping the event loop free while PostgreSQL is slow; all on the real server the tests
start (tests/support/postgres.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import psycopg
import pytest

from forms.outbox import Outbox
from forms.outbox_writer import OutboxWriter, passes
from forms.ratelimit import BatchedRateLimiter
from tests.support.postgres import PostgresServer, skip_unless_installed
from tests.support.servers import Client, FormsServer, base_env, rows

# (name, consent, consent text, source) of one address, in the order the requests come
SAME_ADDRESS = [("", False, "", "/a/"), ("Ada", False, "", "/b/"), ("", True, "Email me", "/c/"),
                ("Ada L.", False, "", "/d/"), ("", False, "", "/e/"), ("Grace", True, "Weekly", "/f/"),
                ("", False, "", "/g/")]
COMPARED = ("email", "name", "consent", "consent_text", "source", "ip", "status", "attempts")


def _writer_round(url, items):
    """Every item submitted before the writer's task runs: one round."""
    async def main():
        box = Outbox(url)  # the schema, as the service's prepare step makes it
        box.close()
        writer = OutboxWriter(url)
        await asyncio.gather(*(item(writer) for item in items))
        rounds = writer.batcher.rounds
        await writer.close()
        return rounds
    return asyncio.run(main())


def test_one_round_merges_an_address_as_one_request_after_another(postgres):
    assert [len(p) for p in passes([("a",), ("b",), ("a",), ("a",), ("c",), ("b",)])] == [3, 2, 1]
    batched, one_by_one = postgres.create_database(), postgres.create_database()
    others = [(f"o{n}@example.com", f"O{n}", n % 2 == 0, "Email me", "/o/") for n in range(20)]

    def item(email, name, consent, text, source):
        return lambda writer: writer.add_signup(email, name, consent, text, source, "192.0.2.1")

    items = [item("same@example.com", *fields) for fields in SAME_ADDRESS]
    items += [item(*fields) for fields in others]
    items.insert(3, lambda w: w.add_contact(name="Cy", email="same@example.com", message="Hi",
                                            source="/h/", ip="192.0.2.1", subscribe=True,
                                            consent_text="From the contact form"))
    assert _writer_round(batched, items) == 1

    box = Outbox(one_by_one)
    for n, (name, consent, text, source) in enumerate(SAME_ADDRESS):
        if n == 3:
            box.add_contact(name="Cy", email="same@example.com", message="Hi", source="/h/",
                            ip="192.0.2.1", subscribe=True, consent_text="From the contact form")
        box.add_signup("same@example.com", name, consent, text, source, "192.0.2.1")
    for fields in others:
        box.add_signup(*fields, "192.0.2.1")
    box.close()

    def table(url):
        return sorted(tuple(r[c] for c in COMPARED) for r in rows(url, "SELECT * FROM signups"))

    assert table(batched) == table(one_by_one)
    [same] = rows(batched, "SELECT * FROM signups WHERE email = 'same@example.com'")
    assert (same["name"], same["consent"], same["consent_text"], same["source"]) == (
        "Grace", 1, "Weekly", "/g/")
    [message] = rows(batched, "SELECT * FROM messages")
    assert message["message"] == "Hi" and message["message_id"].endswith("@forms.invalid>")


def test_batched_rate_limit_counts_each_hit_across_instances(postgres):
    url = postgres.create_database()
    Outbox(url).close()

    async def main():
        one, two = BatchedRateLimiter(url, 5), BatchedRateLimiter(url, 5)
        first = await asyncio.gather(*(one.hit("198.51.100.7") for _ in range(4)),
                                     one.hit("198.51.100.8"))
        second = await asyncio.gather(*(two.hit("198.51.100.7") for _ in range(3)))
        rounds = (one.batcher.rounds, two.batcher.rounds)
        await one.close()
        await two.close()
        return first, second, rounds

    first, second, rounds = asyncio.run(main())
    assert rounds == (1, 1)
    assert first == [0.0] * 5  # four hits of one client, one of another
    assert second[0] == 0.0 and all(w >= 1 for w in second[1:])  # the 5th is allowed, not more


def test_writes_from_many_clients_are_acknowledged_after_commit(postgres, tmp_path):
    url = postgres.create_database()
    server = FormsServer(base_env(url), tmp_path / "server.log").start()
    try:
        statuses: list[int] = []

        def post(n):
            reply = Client(server.url).post_json("/api/subscribe", {
                "email": f"c{n}@example.com", "name": "C", "consent": True})
            statuses.append(reply.status)
            if reply.status == 200:  # acknowledged: committed, visible from outside
                assert rows(url, "SELECT id FROM signups WHERE email = ?", (f"c{n}@example.com",))

        threads = [threading.Thread(target=post, args=(n,)) for n in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 60
        assert len(rows(url, "SELECT id FROM signups")) == 60
        assert "Traceback" not in server.log()
    finally:
        server.stop()


@pytest.fixture
def pg_own():
    """A server of this test's own: it is stopped and started on purpose."""
    skip_unless_installed()
    server = PostgresServer().start()
    yield server
    server.stop()


def test_starts_while_the_database_is_away_and_recovers(pg_own, tmp_path):
    url = pg_own.create_database()
    pg_own.stop_server()
    server = FormsServer(base_env(url, FORMS_DB_TIMEOUT="1", FORMS_WORKER="1",
                                  FORMS_WORKER_INTERVAL="0.3", FORMS_RATE_LIMIT="50"),
                         tmp_path / "server.log").start()
    client = Client(server.url)
    try:
        health = server.health()
        assert health["_status"] == 503 and health["ok"] is False
        for path in ("/api/subscribe", "/api/contact"):
            reply = client.post_json(path, {"email": "early@example.com", "name": "E",
                                            "consent": True, "message": "hello"})
            assert reply.status == 503 and int(reply.headers["Retry-After"]) > 0
            assert reply.json["codes"] == {"form": "server-error"}
        pg_own.start_server()
        deadline = time.monotonic() + 20
        while True:
            reply = client.post_json("/api/subscribe", {"email": "later@example.com",
                                                        "name": "L", "consent": True})
            if reply.status == 200 or time.monotonic() > deadline:
                break
            assert reply.status == 503
            time.sleep(0.2)
        assert reply.status == 200
        assert client.post_json("/api/contact", {"name": "L", "email": "later@example.com",
                                                 "message": "back"}).status == 200
        assert server.health()["_status"] == 200
        assert [r["email"] for r in rows(url, "SELECT email FROM signups")] == ["later@example.com"]
        assert [r["message"] for r in rows(url, "SELECT message FROM messages")] == ["back"]
        log = server.log()
        assert "outbox unreachable at start-up" in log and "Traceback" not in log
    finally:
        server.stop()


def test_comment_endpoints_do_not_block_the_event_loop(postgres, tmp_path):
    url = postgres.create_database()
    posts = tmp_path / "comments-posts.json"
    posts.write_text(json.dumps({"posts": {"/p/": {"title": "P", "open": True}}}))
    server = FormsServer(base_env(url, COMMENTS_POSTS=str(posts), FORMS_SECRET="s" * 32,
                                  COMMENTS_MODERATION="none"), tmp_path / "server.log").start()
    client = Client(server.url)
    comment = {"post": "/p/", "name": "Ada", "email": "ada@example.com", "body": "Hello"}
    try:
        assert client.post_json("/api/comments", comment).status == 200  # opens the store
        replies = {}
        with psycopg.connect(url) as lock:
            # the comments table locked: every comment call waits in PostgreSQL
            lock.execute("LOCK TABLE comments IN ACCESS EXCLUSIVE MODE")
            calls = [("post", lambda: client.post_json("/api/comments",
                                                       {**comment, "body": "Again"})),
                     ("export", lambda: client.request("GET", "/api/comments/export"))]
            threads = [threading.Thread(target=lambda k=k, f=f: replies.__setitem__(k, f()))
                       for k, f in calls]
            for t in threads:
                t.start()
            time.sleep(0.5)
            assert not replies, "the comment calls did not wait for the lock"
            started = time.monotonic()
            # the event loop still answers what needs no database
            assert client.request("OPTIONS", "/api/subscribe",
                                  headers={"Origin": "https://elsewhere.example"}).status == 403
            assert client.post_json("/api/subscribe", {"email": "x@example.com",
                                                       "website": "bot"}).status == 200
            assert time.monotonic() - started < 1.0
            assert not replies
            lock.rollback()  # releases the lock
        for t in threads:
            t.join(10)
        assert replies["post"].status == 200 and replies["export"].status == 200
        assert "<p>Hello</p>" in [c["html"] for c in replies["export"].json["comments"]]
        assert len(rows(url, "SELECT id FROM comments")) == 2
    finally:
        server.stop()
