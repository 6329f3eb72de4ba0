"""`make person` (forms.person) covers comments and comment mails: export shows them,
erase deletes them (replies move up), calls the rebuild hook, and a restored backup
is scrubbed again."""

import http.server
import json
import shutil
import subprocess
import sys
import threading

from forms.comments.store import CommentStore
from forms.mail_queue import MailQueue
from forms.outbox import Outbox
from tests.support.servers import PROJECT_ROOT, base_env, rows

ERIN = "erin@example.com"


class Hook(http.server.BaseHTTPRequestHandler):
    calls = []

    def do_POST(self):
        Hook.calls.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "forms.person", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True)


def add(store, name, email, body, parent=None, status="approved"):
    return store.add(post="/2026/03/p/", parent_id=parent, name=name, email=email, body=body,
                     body_html=f"<p>{body}</p>", avatar="", ip="198.51.100.7", status=status, notify=False)


def test_person_export_and_erase_cover_comments(tmp_path):
    db = tmp_path / "outbox.sqlite3"
    outbox = Outbox(db)
    store, queue = CommentStore(outbox), MailQueue(outbox)
    first = add(store, "Erin", ERIN, "Erin's first thoughts")
    reply = add(store, "Otto", "otto@example.com", "Otto answers", parent=first)
    add(store, "Erin", ERIN, "Erin, still waiting", status="pending")
    queue.add("comment-published", ERIN, "Your comment is published", "Erin's first thoughts\n")
    outbox.close()
    backup = tmp_path / "backup.sqlite3"
    shutil.copy(db, backup)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = base_env(db, FORMS_ERASURE_LEDGER=str(tmp_path / "ledger.sqlite3"),
                   COMMENTS_REBUILD_HOOK=f"http://127.0.0.1:{server.server_address[1]}/hook")
    try:
        exported = run(env, "export", ERIN)
        assert exported.returncode == 0, exported.stderr
        stores = json.loads(exported.stdout)["stores"]
        assert [c["body"] for c in stores["comments"]] == ["Erin's first thoughts", "Erin, still waiting"]
        assert [m["subject"] for m in stores["comment-mails"]] == ["Your comment is published"]

        erased = run(env, "erase", ERIN)
        assert erased.returncode == 0, erased.stderr
        assert Hook.calls == [{"event_type": "comments-changed", "client_payload": {"post": "/2026/03/p/"}}]
        assert rows(db, "SELECT id, parent_id FROM comments") == [{"id": reply, "parent_id": None}]
        assert rows(db, "SELECT id FROM mails") == []
        for path in db.parent.glob(db.name + "*"):
            assert ERIN.encode() not in path.read_bytes() and b"first thoughts" not in path.read_bytes()

        # A restored backup brings Erin back; scrub removes her again.
        shutil.copy(backup, db)
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"outbox.sqlite3{suffix}").unlink(missing_ok=True)
        assert len(rows(db, "SELECT id FROM comments WHERE email = ?", (ERIN,))) == 2
        scrubbed = run(env, "scrub")
        assert scrubbed.returncode == 0, scrubbed.stderr
        assert rows(db, "SELECT id FROM comments WHERE email = ?", (ERIN,)) == []
        assert rows(db, "SELECT id FROM mails") == []
    finally:
        server.shutdown()
