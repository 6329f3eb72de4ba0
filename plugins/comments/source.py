"""Reading approved comments from COMMENTS_SOURCE: an export URL, an outbox file, or a
PostgreSQL outbox (the service's FORMS_DB=postgresql://... URL).

Returns {post path: [comment dict, ...]} with the export's fields (id, post,
parent, name, url, html, avatar, created_at). The build may import forms code
(never the reverse): an outbox, file or database, is read with
forms.comments.store.export_rows. A PostgreSQL URL's password never appears in
a message (describe()).
"""

import json
import sqlite3
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

# forms.db loads the PostgreSQL driver, which a build without a comments
# source never needs: each reader imports what it uses.


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
    from forms.comments.store import export_rows

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


def _from_postgres(url):
    from forms.comments.store import export_rows
    from forms.db import DB_ERRORS, open_db

    try:
        db = open_db(url, pool_size=1, timeout=5.0)
    except DB_ERRORS as exc:
        raise CommentsSourceError(f"cannot read the outbox: {_redact(exc, url)}") from None
    try:
        if not db.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'comments' "
                          "AND table_schema = current_schema()").fetchall():
            return []
        return export_rows(db)
    except DB_ERRORS as exc:
        raise CommentsSourceError(f"cannot read the outbox: {_redact(exc, url)}") from None
    finally:
        db.close()


def _redact(exc, url):
    from forms.db import redacted_url

    text = f"{type(exc).__name__}: {exc}".replace(url, redacted_url(url))
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def describe(source):
    """The source as it may be printed: a database URL without its password."""
    from forms.db import is_postgres_url, redacted_url

    return redacted_url(source) if is_postgres_url(source) else source


def load(source):
    from forms.db import is_postgres_url

    if source.startswith(("http://", "https://")):
        rows = _from_url(source)
    elif is_postgres_url(source):
        rows = _from_postgres(source)
    else:
        rows = _from_outbox(source)
    by_post = defaultdict(list)
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("post"), str) and isinstance(row.get("id"), int):
            by_post[row["post"]].append(row)
    return dict(by_post)
