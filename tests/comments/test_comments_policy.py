"""Moderation policies, the rebuild hook, the export, build modes (no source,
zero-server, a source that cannot be read), retention and person data."""

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from forms.comments.store import CommentStore
from forms.mail_queue import MailQueue
from forms.outbox import Outbox, iso, utcnow
from tests.comments.conftest import make_stack
from tests.site.conftest import ROOT

SLUG = "measuring-what-matters-in-small-team-marketing"


class Hook(http.server.BaseHTTPRequestHandler):
    calls = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        Hook.calls.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hook():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/build_hooks/abc"
    server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, hook):
    yield from make_stack(tmp_path_factory, "policy", COMMENTS_MODERATION="first",
                          COMMENTS_REBUILD_HOOK=hook)


def wait(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_first_policy_and_rebuild_hook(stack):
    path = stack.article_path(SLUG)
    send = lambda body: stack.client.post_json("/api/comments", {
        "post": path, "name": "Robin", "email": "robin@example.com", "body": body})
    first = send("My first comment here.")
    assert first.json["status"] == "pending"
    assert Hook.calls == []
    assert stack.comments_cli("approve", str(first.json["id"])).returncode == 0
    assert wait(lambda: len(Hook.calls) == 1)
    assert Hook.calls[0] == {"event_type": "comments-changed", "client_payload": {"post": path}}
    # An address with an approved comment goes live at once; moderators still hear of it.
    second = send("And a second one.")
    assert second.json["status"] == "published" and "published" in second.json["message"]
    assert wait(lambda: len(Hook.calls) == 2)
    stack.wait_mail(4, subject="New comment by Robin", timeout=10)
    live = [m for m in stack.mails(subject="New comment by Robin") if "is already live" in m.get_content()]
    assert live and "Approve:" not in live[0].get_content() and "Spam:" in live[0].get_content()
    # A stranger still waits.
    assert stack.client.post_json("/api/comments", {"post": path, "name": "New", "email": "new@example.com",
                                                    "body": "Hello"}).json["status"] == "pending"

    # The export: approved only, no addresses or IPs; filter by post; CORS for the page's script.
    reply = stack.client.request("GET", f"/api/comments/export?post={path}")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    exported = reply.json["comments"]
    assert [c["name"] for c in exported] == ["Robin", "Robin"]
    assert not any(k in c for c in exported for k in ("email", "ip"))
    assert "robin@example.com" not in reply.body.decode()

    # The progressive script shows the comments approved since the build.
    page = stack.page(True)
    page.goto(stack.site + path)
    assert page.evaluate("document.documentElement.dataset.comments") is None  # not before it is needed
    page.locator("#comments").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('#comments li.comment').length == 2")
    # Without it, the page is as built: none yet.
    page = stack.page(False)
    page.goto(stack.site + path)
    assert page.locator("#comments li.comment").count() == 0

    # Health counts comments and comment mails.
    counts = stack.forms.health()["outbox"]
    assert counts["comments_approved"] == 2 and counts["comments_pending"] == 1
    assert wait(lambda: stack.forms.health()["outbox"]["mails_pending"] == 0)
    assert stack.forms.health()["outbox"]["mails_delivered"] >= 6


def test_build_modes(stack, tmp_path):
    path = stack.article_path(SLUG)
    # The export URL as COMMENTS_SOURCE.
    stack.build(comments_source=stack.forms.url + "/api/comments/export", output=tmp_path / "a")
    soup = BeautifulSoup((tmp_path / "a" / path.strip("/") / "index.html").read_text(), "lxml")
    assert len(soup.select("#comments li.comment")) == 2
    # Zero-server mode (no forms service; a development build would post to its own /api):
    # comments render, no form, no script.
    stack.build(forms_url="", output=tmp_path / "b", extra=["FORMS_SAME_ORIGIN=false"])
    html = (tmp_path / "b" / path.strip("/") / "index.html").read_text()
    soup = BeautifulSoup(html, "lxml")
    assert len(soup.select("#comments li.comment")) == 2
    assert soup.select_one("#comments form") is None and "comments.js" not in html
    assert soup.select_one(".comment-reply") is None
    # No COMMENTS_SOURCE: one warning, the build passes, no comments.
    result = stack.build(comments_source=False, output=tmp_path / "c")
    assert (result.stdout + result.stderr).count("COMMENTS_SOURCE is not set") == 1
    soup = BeautifulSoup((tmp_path / "c" / path.strip("/") / "index.html").read_text(), "lxml")
    assert soup.select("#comments li.comment") == [] and soup.select_one("#comments form")
    # A source that cannot be read fails the build, naming it.
    bad = subprocess.run([sys.executable, "-m", "tools.build", "pelicanconf.py", "--output", str(tmp_path / "d")],
                         cwd=ROOT, env={**os.environ, "COMMENTS_SOURCE": str(tmp_path / "missing.sqlite3")},
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "missing.sqlite3: no such outbox file" in bad.stdout + bad.stderr
    # The post list the service reads: open posts, closed ones marked.
    posts = json.loads((stack.root / "site" / "comments-posts.json").read_text())["posts"]
    assert posts[path]["open"] is True
    assert not any(p.startswith("/drafts/") for p in posts)


def test_retention_and_person_data(tmp_path):
    outbox = Outbox(tmp_path / "forms.sqlite3")
    store, queue = CommentStore(outbox), MailQueue(outbox)
    old = store.add(post="/p/", parent_id=None, name="Old", email="a@example.com", body="old",
                    body_html="<p>old</p>", avatar="", ip="203.0.113.99", status="approved", notify=False,
                    created_at=iso(utcnow() - timedelta(days=40)))
    new = store.add(post="/p/", parent_id=old, name="New", email="b@example.com", body="new",
                    body_html="<p>new</p>", avatar="", ip="2001:db8:aa:bb::1", status="approved", notify=False)
    assert store.get(new).ip == "2001:db8:aa::"
    assert store.drop_ips_before(utcnow() - timedelta(days=30)) == 1
    assert store.get(old).ip == "" and store.get(new).ip == "2001:db8:aa::"
    queue.add("comment-published", "a@example.com", "s", "b")
    assert [r["name"] for r in store.export("A@example.com ")] == ["Old"]
    assert len(queue.export("a@example.com")) == 1
    assert store.erase("a@example.com") == 1 and queue.erase("a@example.com") == 1
    assert store.get(old) is None and store.get(new).parent_id is None
    assert store.export("a@example.com") == [] and queue.export("a@example.com") == []
    outbox.close()
