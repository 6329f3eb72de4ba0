"""The WordPress theme-test-data comments (GPL-2.0), in the JSON `make import-wordpress`
writes, loaded into the store: counts, threading, cleaned HTML, idempotence, rendering."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from forms.comments.store import CommentStore
from forms.comments.wordpress import load, read_export
from forms.outbox import Outbox
from plugins.comments.thread import build_tree
from tests.site.conftest import ROOT
from tests.support.servers import base_env

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "comments" / "wordpress-comments.json"
TEMPLATE_POST = "/2012/01/03/template-comments/"


@pytest.fixture
def store(tmp_path):
    outbox = Outbox(tmp_path / "forms.sqlite3")
    yield CommentStore(outbox)
    outbox.close()


def test_fixture_is_the_real_export():
    data = json.loads(FIXTURE.read_text())
    counts = Counter((c["status"], c["type"]) for c in data["comments"])
    assert len(data["comments"]) == 33
    assert counts == {("approved", "comment"): 26, ("pending", "comment"): 3,
                      ("approved", "pingback"): 2, ("approved", "trackback"): 2}


def test_import_counts_threading_and_cleaning(store):
    data = read_export(FIXTURE)
    report = load(store, data, "secret")
    assert report.imported == {"approved": 26, "pending": 3}
    assert len(report.pings) == 4 and all(p.startswith(("pingback", "trackback")) for p in report.pings)
    assert report.errors == []
    rows = store.list(None)
    assert len(rows) == 29

    # Threading is kept: every imported reply points at its WordPress parent's new id.
    refs = dict(store.outbox._conn().execute("SELECT import_ref, id FROM comments"))
    by_wp = {int(ref.rsplit(":", 1)[1]): store.get(id) for ref, id in refs.items()}
    for item in data["comments"]:
        if item["type"] != "comment":
            continue
        ours = by_wp[item["wp_id"]]
        if item["parent_wp_id"]:
            assert ours.parent_id == by_wp[item["parent_wp_id"]].id
        else:
            assert ours.parent_id is None
    # The Template: Comments post nests 10 levels deep in WordPress.
    template = [c for c in rows if c.post == TEMPLATE_POST]
    depth = {}
    for c in template:
        depth[c.id] = depth[c.parent_id] + 1 if c.parent_id else 0
    assert max(depth.values()) >= 9

    # HTML cleaned: headings, tables, images and styles gone, text kept.
    for c in rows:
        lowered = c.body_html.lower()
        for tag in ("<h1", "<table", "<img", "<script", "<iframe", "style=", "class="):
            assert tag not in lowered
    headings = [c for c in rows if "Header one" in c.body_html][0]
    assert "<strong>Headings</strong>" in headings.body_html and "<blockquote>" in headings.body_html

    # Emails are kept for moderation and erasure, never exported.
    exported = store.approved(TEMPLATE_POST)
    assert exported and all("email" not in row for row in exported)
    assert len(store.approved()) == 26

    # Rendering nests two levels and flattens the rest under their thread.
    tree, flat = build_tree(exported, 2)
    assert len(flat) == len(exported)

    def levels(nodes, level=0):
        for node in nodes:
            yield level
            yield from levels(node["children"], level + 1)

    assert max(levels(tree)) == 2
    assert sum(1 for c in flat if c["flattened"]) > 0

    # Loading twice adds nothing.
    again = load(store, data, "secret")
    assert again.imported == {"approved": 0, "pending": 0} and again.already == 29


def test_spam_and_trash_dropped_and_orphans_move_up(store, tmp_path):
    data = read_export(FIXTURE)
    comments = data["comments"]
    # Mark a top-level comment with replies as spam, and another as trash.
    parent_ids = {c["parent_wp_id"] for c in comments}
    [spam] = [c for c in comments if c["wp_id"] in parent_ids and c["parent_wp_id"] == 0][:1]
    spam["status"] = "spam"
    trash = [c for c in comments if c["type"] == "comment" and c["status"] == "approved"
             and c["wp_id"] not in parent_ids][0]
    trash["status"] = "trash"
    report = load(store, data, "secret")
    assert report.dropped == {"spam": 1, "trash": 1}
    assert report.imported["approved"] + report.imported["pending"] == 27
    children = [c for c in comments if c["parent_wp_id"] == spam["wp_id"]]
    ref = lambda wp_id: store.by_import_ref(f"wp:{data['site']}:{wp_id}")
    assert ref(spam["wp_id"]) is None and ref(trash["wp_id"]) is None
    for child in children:
        assert ref(child["wp_id"]).parent_id is None  # moved up to top level


def test_make_comments_import_wordpress(tmp_path):
    db = tmp_path / "forms.sqlite3"
    result = subprocess.run([sys.executable, "-m", "forms.comments", "import-wordpress", str(FIXTURE)],
                            cwd=ROOT, env=base_env(db, FORMS_SECRET="s"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "imported approved=26 pending=3" in result.stdout
    assert result.stdout.count("not imported: ") == 4
    listing = subprocess.run([sys.executable, "-m", "forms.comments"], cwd=ROOT,
                             env=base_env(db, FORMS_SECRET="s"), capture_output=True, text=True)
    assert "3 pending comment(s)" in listing.stdout
    bad = subprocess.run([sys.executable, "-m", "forms.comments", "import-wordpress", str(tmp_path / "x.json")],
                         cwd=ROOT, env=base_env(db, FORMS_SECRET="s"), capture_output=True, text=True)
    assert bad.returncode == 1 and "x.json: no such file" in bad.stderr
