"""CORS, rate limiting, health, and the promise that nothing submitted is lost."""

from __future__ import annotations

import time

from tests.support.servers import rows

SITE = "https://blog.example.com"
SIGNUP = {"email": "reader@example.com", "consent": "on"}


# -- CORS ---------------------------------------------------------------------

def test_allowed_origin_gets_cors_header(shared):
    _, client = shared
    reply = client.post_json("/api/subscribe", {**SIGNUP, "email": "cors@example.com"},
                             {"Origin": SITE})
    assert reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in reply.headers["Vary"]


def test_allowed_origin_gets_cors_header_on_errors_too(shared):
    _, client = shared
    reply = client.post_json("/api/subscribe", {"email": "bad"}, {"Origin": SITE})
    assert reply.status == 422
    assert reply.headers["Access-Control-Allow-Origin"] == SITE


def test_other_origin_is_refused(shared):
    server, client = shared
    for origin in ("https://evil.example", "https://blog.example.com.evil.example",
                   "http://blog.example.com", "null"):
        reply = client.post_json("/api/subscribe", {**SIGNUP, "email": "evil@example.com"},
                                 {"Origin": origin})
        assert reply.status == 403, origin
        assert reply.json == {"ok": False, "errors": {"origin": reply.json["errors"]["origin"]},
                              "codes": {"origin": "origin-not-allowed"}}
        assert "Access-Control-Allow-Origin" not in reply.headers
    reply = client.form("/api/subscribe", {**SIGNUP, "email": "evil@example.com"},
                        {"Origin": "https://evil.example"})
    assert reply.status == 303
    assert reply.location == f"{SITE}/form-error/?form=subscribe&error=origin-not-allowed#origin-not-allowed"
    assert not rows(server.db, "SELECT * FROM signups WHERE email = 'evil@example.com'")


def test_same_origin_and_no_origin_are_allowed(shared):
    server, client = shared
    own = f"http://127.0.0.1:{server.port}"
    reply = client.post_json("/api/subscribe", {**SIGNUP, "email": "same@example.com"},
                             {"Origin": own})
    assert reply.status == 200
    assert "Access-Control-Allow-Origin" not in reply.headers
    reply = client.post_json("/api/subscribe", {**SIGNUP, "email": "none@example.com"})
    assert reply.status == 200


def test_preflight(shared):
    _, client = shared
    headers = {"Origin": SITE, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type, accept"}
    for path in ("/api/subscribe", "/api/contact"):
        reply = client.request("OPTIONS", path, headers=headers)
        assert reply.status == 204
        assert reply.headers["Access-Control-Allow-Origin"] == SITE
        assert "POST" in reply.headers["Access-Control-Allow-Methods"]
        allowed = reply.headers["Access-Control-Allow-Headers"].lower()
        assert "content-type" in allowed and "accept" in allowed
    reply = client.request("OPTIONS", "/api/subscribe",
                           headers={**headers, "Origin": "https://evil.example"})
    assert reply.status == 403
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_default_is_same_origin_only(start_server, outbox_target):
    _, client = start_server(db=outbox_target)
    reply = client.post_json("/api/subscribe", SIGNUP, {"Origin": SITE})
    assert reply.status == 403
    reply = client.request("OPTIONS", "/api/subscribe", headers={"Origin": SITE})
    assert reply.status == 403


# -- rate limit -------------------------------------------------------------

def test_rate_limit(start_server, outbox_target):
    server, client = start_server(db=outbox_target, FORMS_RATE_LIMIT="3")
    for n in range(3):
        assert client.post_json("/api/subscribe", {**SIGNUP, "email": f"r{n}@example.com"}).status == 200
    reply = client.post_json("/api/subscribe", {**SIGNUP, "email": "r3@example.com"})
    assert reply.status == 429
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    assert reply.json["codes"] == {"form": "rate-limited"}
    reply = client.form("/api/contact", {"name": "A", "email": "a@example.com", "message": "hi"})
    assert reply.status == 303
    assert reply.location == "/form-error/?form=contact&error=rate-limited#rate-limited"
    assert client.request("GET", "/api/health").status == 200  # health is not limited
    assert not rows(server.db, "SELECT * FROM signups WHERE email = 'r3@example.com'")


def test_rate_limit_is_per_client_behind_a_trusted_proxy(start_server, outbox_target):
    server, client = start_server(db=outbox_target, FORMS_RATE_LIMIT="1", FORMS_TRUST_PROXY="1")
    first = {"X-Forwarded-For": "203.0.113.7"}
    second = {"X-Forwarded-For": "spoofed, 198.51.100.9"}
    assert client.post_json("/api/subscribe", SIGNUP, first).status == 200
    assert client.post_json("/api/subscribe", SIGNUP, first).status == 429
    assert client.post_json("/api/subscribe", SIGNUP, second).status == 200
    [row] = rows(server.db, "SELECT ip FROM signups")
    assert row["ip"] == "198.51.100.9"


def test_rate_limit_off(start_server, outbox_target):
    _, client = start_server(db=outbox_target, FORMS_RATE_LIMIT="0")
    for n in range(30):
        assert client.post_json("/api/subscribe", SIGNUP).status == 200


# -- storage ------------------------------------------------------------------

def test_health_reports_counts(shared):
    server, client = shared
    reply = client.request("GET", "/api/health")
    assert reply.status == 200
    assert reply.json["ok"] is True
    counts = reply.json["outbox"]
    assert set(counts) >= {"signups_pending", "signups_synced", "signups_failed",
                           "messages_pending", "messages_sending", "messages_delivered",
                           "messages_failed"}


def test_repeat_signup_updates_the_one_row(start_server, outbox_target):
    server, client = start_server(db=outbox_target, SUBSCRIBE_CONSENT_REQUIRED="0")
    client.post_json("/api/subscribe", {"email": "Same@Example.com", "name": "First",
                                        "consent": True, "consent_text": "Email me",
                                        "source": "/a/"})
    [before] = rows(server.db, "SELECT * FROM signups")
    time.sleep(0.01)
    reply = client.form("/api/subscribe", {"email": "same@example.COM", "name": "Second",
                                           "source": "/b/"}, {"X-Forwarded-For": "x"})
    assert reply.status == 303
    [after] = rows(server.db, "SELECT * FROM signups")
    assert after["id"] == before["id"]
    assert after["email"] == "same@example.com"
    assert after["name"] == "Second" and after["source"] == "/b/"
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]
    assert after["status"] == "pending"
    # consent once given is kept, with its wording, by a box without a checkbox
    assert after["consent"] == 1 and after["consent_text"] == "Email me"
    client.form("/api/subscribe", {"email": "same@example.com", "name": ""})
    [again] = rows(server.db, "SELECT * FROM signups")
    assert again["name"] == "Second"  # an empty name does not erase a known one


def test_row_is_committed_before_the_response(start_server, outbox_target):
    server, client = start_server(db=outbox_target)
    for n in range(20):
        reply = client.post_json("/api/contact", {"name": "N", "email": f"c{n}@example.com",
                                                  "message": f"message {n}"})
        assert reply.status == 200
        assert rows(server.db, "SELECT id FROM messages WHERE email = ?", (f"c{n}@example.com",))


def test_kill_9_right_after_2xx_keeps_the_row(start_server, outbox_target):
    server, client = start_server(db=outbox_target)
    reply = client.post_json("/api/subscribe", {**SIGNUP, "email": "durable@example.com"})
    assert reply.status == 200
    reply = client.form("/api/contact", {"name": "D", "email": "durable@example.com",
                                         "message": "keep me"})
    assert reply.status == 303
    server.kill()
    assert rows(server.db, "SELECT * FROM signups WHERE email = 'durable@example.com'")
    assert rows(server.db, "SELECT * FROM messages WHERE message = 'keep me'")
    # and a restarted service on the same outbox still has them
    again, client = start_server(db=server.db)
    counts = again.health()["outbox"]
    assert counts["signups_pending"] == 1 and counts["messages_pending"] == 1
