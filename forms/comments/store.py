"""The comments table in the outbox: storing, moderating, exporting and erasing comments.

Rows live in the same SQLite file as signups and messages (migration 2 in
forms/outbox.py), so a comment and its moderators' mails are committed in one
transaction before the visitor gets an answer.

IP addresses are stored truncated (IPv4 /24, IPv6 /48) and blanked after
COMMENTS_IP_RETENTION_DAYS by the delivery run.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..outbox import Outbox, iso, utcnow


@dataclass(frozen=True)
class Comment:
    id: int
    post: str
    parent_id: int | None
    name: str
    email: str
    url: str
    body: str
    body_html: str
    avatar: str
    status: str
    notify: str
    origin: str
    created_at: str
    ip: str


_COLUMNS = ("id, post, parent_id, name, email, url, body, body_html, avatar, status, notify, "
            "origin, created_at, ip")
_SPACE = re.compile(r"\s+")


def truncate_ip(ip: str) -> str:
    """192.0.2.77 -> 192.0.2.0; 2001:db8:1:2::3 -> 2001:db8:1::; junk -> ''."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def body_hash(text: str) -> str:
    """Duplicates: the same words, whatever the spacing and case."""
    return hashlib.sha256(_SPACE.sub(" ", text).strip().lower().encode()).hexdigest()


class CommentStore:
    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def _conn(self) -> sqlite3.Connection:
        return self.outbox._conn()

    # -- writing ------------------------------------------------------------

    def add(self, *, post: str, parent_id: int | None, name: str, email: str, body: str,
            body_html: str, avatar: str, ip: str, status: str, notify: bool,
            url: str = "", origin: str = "form", import_ref: str | None = None,
            created_at: str | None = None, hash_source: str | None = None) -> int:
        now = iso(utcnow())
        return self._conn().execute(
            f"""INSERT INTO comments (post, parent_id, name, email, url, body, body_html,
                       body_hash, avatar, ip, status, notify, origin, import_ref, created_at,
                       moderated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            (post, parent_id, name, email, url, body, body_html,
             body_hash(hash_source if hash_source is not None else body), avatar,
             truncate_ip(ip), status, "requested" if notify else "off", origin, import_ref,
             created_at or now, None if status == "pending" else now),
        ).fetchone()[0]

    def set_status(self, id: int, status: str, *, only_from: str | None = None) -> bool:
        """Moderate; with only_from, only a comment currently in that status changes."""
        return self._conn().execute(
            """UPDATE comments SET status = ?, moderated_at = ?
               WHERE id = ? AND (? IS NULL OR status = ?)""",
            (status, iso(utcnow()), id, only_from, only_from),
        ).rowcount == 1

    def set_notify(self, id: int, state: str) -> None:
        self._conn().execute("UPDATE comments SET notify = ? WHERE id = ?", (state, id))

    def delete(self, id: int) -> bool:
        """Gone for good: its replies move up to its parent, so threads stay whole."""
        conn = self._conn()
        row = conn.execute("SELECT parent_id FROM comments WHERE id = ?", (id,)).fetchone()
        if row is None:
            return False
        conn.execute("UPDATE comments SET parent_id = ? WHERE parent_id = ?", (row[0], id))
        conn.execute("DELETE FROM comments WHERE id = ?", (id,))
        return True

    def use_token(self, nonce: str, action: str, comment_id: int) -> bool:
        """Record a single-use link as used; False if it was used before."""
        # ON CONFLICT, not a caught IntegrityError: on PostgreSQL an error would end the
        # caller's transaction
        return self._conn().execute(
            "INSERT INTO comment_tokens (nonce, action, comment_id, used_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (nonce) DO NOTHING",
            (nonce, action, comment_id, iso(utcnow()))).rowcount == 1

    def drop_ips_before(self, cutoff: datetime) -> int:
        return self._conn().execute(
            "UPDATE comments SET ip = '' WHERE ip != '' AND created_at < ?", (iso(cutoff),)
        ).rowcount

    # -- reading ------------------------------------------------------------

    def get(self, id: int) -> Comment | None:
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM comments WHERE id = ?", (id,)).fetchone()
        return Comment(*row) if row else None

    def by_import_ref(self, ref: str) -> Comment | None:
        row = self._conn().execute(
            f"SELECT {_COLUMNS} FROM comments WHERE import_ref = ?", (ref,)).fetchone()
        return Comment(*row) if row else None

    def list(self, status: str | None = "pending") -> list[Comment]:
        rows = self._conn().execute(
            f"SELECT {_COLUMNS} FROM comments WHERE (? IS NULL OR status = ?) ORDER BY id",
            (status, status)).fetchall()
        return [Comment(*r) for r in rows]

    def has_approved(self, email: str) -> bool:
        return self._conn().execute(
            "SELECT 1 FROM comments WHERE email = ? AND status = 'approved' LIMIT 1", (email,)
        ).fetchone() is not None

    def recent_count(self, *, ip: str = "", email: str = "", within: timedelta) -> int:
        since = iso(utcnow() - within)
        if email:
            sql, key = "SELECT count(*) FROM comments WHERE email = ? AND created_at >= ?", email
        else:
            sql, key = "SELECT count(*) FROM comments WHERE ip = ? AND created_at >= ?", truncate_ip(ip)
        return self._conn().execute(sql, (key, since)).fetchone()[0]

    def is_duplicate(self, post: str, email: str, body: str) -> bool:
        """The same words already on this post, or already sent by this address anywhere."""
        return self._conn().execute(
            """SELECT 1 FROM comments WHERE body_hash = ? AND status != 'rejected'
                      AND (post = ? OR email = ?) LIMIT 1""",
            (body_hash(body), post, email)).fetchone() is not None

    # -- export (GET /api/comments/export and COMMENTS_SOURCE=<outbox path>) --

    def approved(self, post: str | None = None, since: str | None = None) -> list[dict]:
        return export_rows(self._conn(), post, since)

    # -- person data (make person export|erase: forms.person.STORES) ---------

    def export(self, email: str) -> list[dict]:
        cursor = self._conn().execute(
            "SELECT * FROM comments WHERE email = ? ORDER BY id", (email.strip().lower(),))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]

    def erase(self, email: str, before: str | None = None) -> int:
        """Delete every comment by `email` (with before, an ISO time: only those made no
        later), replies moving up; returns how many."""
        ids = [r["id"] for r in self.export(email) if before is None or r["created_at"] <= before]
        for id in ids:
            self.delete(id)
        return len(ids)

    def addresses(self) -> list[str]:
        return [r[0] for r in self._conn().execute(
            "SELECT DISTINCT email FROM comments WHERE email != ''")]


def export_rows(conn: sqlite3.Connection, post: str | None = None, since: str | None = None) -> list[dict]:
    """Approved comments without addresses or IPs, oldest first: what the build renders.
    `since` (ISO-8601) keeps those approved after it."""
    rows = conn.execute(
        """SELECT id, post, parent_id, name, url, body_html, avatar, created_at,
                  coalesce(moderated_at, created_at)
           FROM comments WHERE status = 'approved' AND (? IS NULL OR post = ?)
                AND (? IS NULL OR coalesce(moderated_at, created_at) > ?)
           ORDER BY created_at, id""",
        (post, post, since, since)).fetchall()
    return [
        {"id": r[0], "post": r[1], "parent": r[2], "name": r[3], "url": r[4], "html": r[5],
         "avatar": r[6], "created_at": r[7], "approved_at": r[8]}
        for r in rows
    ]
