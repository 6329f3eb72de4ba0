"""Optional Akismet, server side only, against a fake comment-check endpoint on
loopback that answers as Akismet documents it ("true"/"false" as the body)."""

import http.server
import os
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs

import pytest
from bs4 import BeautifulSoup

from tests.comments.conftest import make_stack
from tests.site.conftest import ROOT

SLUG = "pricing-pages-where-marketing-hands-off-to-sales"
KEY = "akismet-key-123abc"


class FakeAkismet(http.server.BaseHTTPRequestHandler):
    requests = []
    down = False

    def do_POST(self):
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        FakeAkismet.requests.append((self.path, fields))
        if FakeAkismet.down:
            self.send_response(503)
            self.end_headers()
            return
        verdict = b"true" if "viagra" in fields.get("comment_content", "") else b"false"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(verdict)))
        self.end_headers()
        self.wfile.write(verdict)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def akismet():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeAkismet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/1.1/comment-check"
    server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, akismet):
    yield from make_stack(tmp_path_factory, "akismet", COMMENTS_AKISMET_KEY=KEY,
                          COMMENTS_AKISMET_URL=akismet, COMMENTS_MODERATORS="mod@example.org")


def test_akismet_sorts_spam_and_never_loses_a_comment(stack):
    path = stack.article_path(SLUG)
    post = lambda body, who: stack.client.post_json(
        "/api/comments", {"post": path, "name": who, "email": f"{who}@example.com", "body": body},
        {"User-Agent": "Mozilla/5.0 test"})
    spam = post("cheap viagra here", "bot")
    ham = post("A thoughtful remark.", "human")
    assert spam.status == ham.status == 200
    assert spam.json["message"] == ham.json["message"]  # the spammer is not told
    statuses = {r["name"]: r["status"] for r in stack.rows("SELECT name, status FROM comments")}
    assert statuses == {"bot": "spam", "human": "pending"}
    path_sent, fields = FakeAkismet.requests[0]
    assert fields["api_key"] == KEY and fields["user_ip"] == "127.0.0.1"
    assert fields["comment_author_email"] == "bot@example.com" and fields["user_agent"] == "Mozilla/5.0 test"
    assert fields["permalink"] == stack.site + path
    # Moderators hear of the comment that needs them, not of the spam.
    stack.wait_mail(1, subject="New comment by human")
    time.sleep(0.6)
    assert stack.mails(subject="New comment by bot") == []
    # Akismet down: the comment is kept, waiting for a moderator; the key never reaches the log.
    FakeAkismet.down = True
    assert post("Another remark while Akismet is down.", "patient").status == 200
    assert stack.rows("SELECT status FROM comments WHERE name = 'patient'")[0]["status"] == "pending"
    assert KEY not in stack.forms.log()


def test_privacy_page_discloses_akismet_only_when_on(stack, tmp_path):
    def privacy(akismet):
        out = tmp_path / f"site{akismet}"
        env = {**os.environ, "SITEURL": "", "COMMENTS_AKISMET": akismet}
        result = subprocess.run([sys.executable, "-m", "tools.build", "pelicanconf.py", "--output", str(out)],
                                cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return BeautifulSoup((out / "privacy" / "index.html").read_text(), "lxml").get_text(" ")

    assert "Akismet" in privacy("1")
    text = privacy("0")
    assert "Akismet" not in text and "no spam-filtering service" in text
