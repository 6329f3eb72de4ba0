"""Reading approved comments from COMMENTS_SOURCE: an export URL or an outbox file.

Returns {post path: [comment dict, ...]} with the export's fields (id, post,
parent, name, url, html, avatar, created_at). The build may import forms code
(never the reverse): an outbox file is read with forms.comments.store.export_rows.
"""

import json
import sqlite3
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

from forms.comments.store import export_rows


class CommentsSourceError(Exception):
    pass


def _from_url(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            data = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CommentsSourceError(f"cannot read the comments export: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
        raise CommentsSourceError("the export is not {\"comments\": [...]}")
    return data["comments"]


def _from_outbox(path):
    if not Path(path).is_file():
        raise CommentsSourceError("no such outbox file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'comments'").fetchone()
            return export_rows(conn) if exists else []
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CommentsSourceError(f"cannot read the outbox: {exc}") from None


def load(source):
    rows = _from_url(source) if source.startswith(("http://", "https://")) else _from_outbox(source)
    by_post = defaultdict(list)
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("post"), str) and isinstance(row.get("id"), int):
            by_post[row["post"]].append(row)
    return dict(by_post)
