"""The outbox: every accepted submission, durably stored in SQLite until delivered.

The file is opened in WAL mode with synchronous=NORMAL, so a committed row
survives a killed process (only an OS crash/power loss can drop the last few
commits). Each thread gets its own connection; the web app uses one connection
on its event-loop thread, the delivery worker another in its thread.

Timestamps are ISO-8601 UTC strings with microseconds
("2026-01-31T12:00:00.000000+00:00"), so they sort and compare as text.

Adding a schema migration: append a new tuple of SQL statements to MIGRATIONS.
Never edit or reorder an existing step. On open, steps whose index is >=
PRAGMA user_version are applied in order, each in one transaction that also
bumps user_version, so every database ends at version len(MIGRATIONS).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Union

MIGRATIONS: list[tuple[str, ...]] = [
    # 1: signups and contact messages
    (
        """CREATE TABLE signups (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            consent INTEGER NOT NULL DEFAULT 0,
            consent_text TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            ip TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'synced', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            synced_at TEXT
        )""",
        "CREATE INDEX signups_due ON signups (status, next_attempt_at)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            message TEXT NOT NULL,
            subscribe INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT '',
            ip TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            delivered_at TEXT,
            smtp_reply TEXT,
            message_id TEXT NOT NULL UNIQUE
        )""",
        "CREATE INDEX messages_due ON messages (status, next_attempt_at)",
    ),
    # 2: find a person's messages by address (make person)
    ("CREATE INDEX messages_email ON messages (email)",),
    # 3: comments (forms/comments/store.py), the links used once, and queued mails
    # (forms/mail_queue.py): moderator mails, commenter mails, reply notifications
    (
        """CREATE TABLE comments (
            id INTEGER PRIMARY KEY,
            post TEXT NOT NULL,
            parent_id INTEGER,
            name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            body_html TEXT NOT NULL,
            body_hash TEXT NOT NULL,
            avatar TEXT NOT NULL DEFAULT '',
            ip TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
            notify TEXT NOT NULL DEFAULT 'off'
                CHECK (notify IN ('off', 'requested', 'confirmed', 'unsubscribed')),
            origin TEXT NOT NULL DEFAULT 'form',
            import_ref TEXT UNIQUE,
            created_at TEXT NOT NULL,
            moderated_at TEXT
        )""",
        "CREATE INDEX comments_post ON comments (post, status)",
        "CREATE INDEX comments_email ON comments (email, status)",
        "CREATE INDEX comments_ip ON comments (ip, created_at)",
        """CREATE TABLE comment_tokens (
            nonce TEXT PRIMARY KEY,
            action TEXT NOT NULL,
            comment_id INTEGER,
            used_at TEXT NOT NULL
        )""",
        """CREATE TABLE mails (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            headers TEXT NOT NULL DEFAULT '{}',
            comment_id INTEGER,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            delivered_at TEXT,
            smtp_reply TEXT,
            message_id TEXT NOT NULL UNIQUE
        )""",
        "CREATE INDEX mails_due ON mails (status, next_attempt_at)",
    ),
]

SIGNUP_STATUSES = ("pending", "synced", "failed")
MESSAGE_STATUSES = ("pending", "sending", "delivered", "failed")
MAIL_STATUSES = MESSAGE_STATUSES
COMMENT_STATUSES = ("pending", "approved", "rejected", "spam")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """The one text format of every timestamp in the outbox."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Signup:
    id: int
    email: str
    name: str
    consent: bool
    source: str
    ip: str
    created_at: str
    updated_at: str
    attempts: int


@dataclass(frozen=True)
class Message:
    id: int
    name: str
    email: str
    message: str
    subscribe: bool
    source: str
    ip: str
    created_at: str
    status: str
    attempts: int
    message_id: str


SignupRef = Union[int, Signup, tuple[int, str]]

_SIGNUP_COLUMNS = "id, email, name, consent, source, ip, created_at, updated_at, attempts"
_MESSAGE_COLUMNS = (
    "id, name, email, message, subscribe, source, ip, created_at, status, attempts, message_id"
)


class Outbox:
    """The SQLite outbox. Thread-safe by giving each thread its own connection."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._migrate(self._conn())

    # -- connections and schema ---------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: autocommit; multi-statement work uses BEGIN IMMEDIATE.
            # check_same_thread=False only so close() may close every thread's connection.
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=10.0, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")  # another process may be migrating too
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    # -- signups ------------------------------------------------------------

    def add_signup(
        self,
        email: str,
        name: str,
        consent: bool,
        consent_text: str,
        source: str,
        ip: str,
    ) -> None:
        """Insert, or update the one row for this (already normalized) email.

        A repeat signup goes back to 'pending' with fresh retries. An empty
        name does not erase a known one, and consent once given stays given
        (with its wording) -- a later box without a checkbox is not a withdrawal.
        """
        now = iso(utcnow())
        self._conn().execute(
            """INSERT INTO signups
                   (email, name, consent, consent_text, source, ip, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (email) DO UPDATE SET
                   name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END,
                   consent_text = CASE WHEN excluded.consent THEN excluded.consent_text
                                       ELSE consent_text END,
                   consent = max(consent, excluded.consent),
                   source = excluded.source,
                   ip = excluded.ip,
                   updated_at = excluded.updated_at,
                   status = 'pending',
                   attempts = 0,
                   last_error = NULL,
                   next_attempt_at = NULL""",
            (email, name, int(bool(consent)), consent_text, source, ip, now, now),
        )

    def pending_signups(
        self, limit: int | None = None, now: datetime | None = None, *, ignore_backoff: bool = False
    ) -> list[Signup]:
        """Signups waiting for sync whose retry time (if any) has come, oldest first.
        ignore_backoff: every pending signup, retry time or not (a person's `make sync`)."""
        rows = self._conn().execute(
            f"""SELECT {_SIGNUP_COLUMNS} FROM signups
                WHERE status = 'pending' AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?)
                ORDER BY id LIMIT ?""",
            (int(ignore_backoff), iso(now or utcnow()), -1 if limit is None else limit),
        ).fetchall()
        return [
            Signup(id, email, name, bool(consent), source, ip, created, updated, attempts)
            for id, email, name, consent, source, ip, created, updated, attempts in rows
        ]

    def mark_signups_synced(self, ids: Iterable[SignupRef]) -> int:
        """Mark signups synced; returns how many rows changed.

        Pass Signup objects (or (id, updated_at) pairs) as read from
        pending_signups(): a row re-submitted since then keeps 'pending', so
        its newer data is synced on the next run. Bare ids mark unconditionally.
        """
        now = iso(utcnow())
        changed = 0
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for ref in ids:
                if isinstance(ref, Signup):
                    key, updated_at = ref.id, ref.updated_at
                elif isinstance(ref, tuple):
                    key, updated_at = ref
                else:
                    key, updated_at = int(ref), None
                changed += conn.execute(
                    """UPDATE signups SET status = 'synced', synced_at = ?, last_error = NULL,
                              next_attempt_at = NULL
                       WHERE id = ? AND status = 'pending' AND (? IS NULL OR updated_at = ?)""",
                    (now, key, updated_at, updated_at),
                ).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return changed

    def mark_signup_failed(self, id: int, reason: str) -> None:
        """A permanent failure (e.g. the audience rejects the address): not retried."""
        self._conn().execute(
            """UPDATE signups SET status = 'failed', attempts = attempts + 1, last_error = ?,
                      next_attempt_at = NULL WHERE id = ?""",
            (reason, id),
        )

    def defer_signup(self, id: int, error: str, retry_at: datetime) -> None:
        """A transient failure: count the attempt, stay pending until retry_at."""
        self._conn().execute(
            """UPDATE signups SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
               WHERE id = ? AND status = 'pending'""",
            (error, iso(retry_at), id),
        )

    def signup_row(self, email: str) -> dict | None:
        """The full row for one normalized email (for tools and tests)."""
        return self._row("SELECT * FROM signups WHERE email = ?", (email,))

    # -- contact messages ---------------------------------------------------

    def add_message(
        self,
        name: str,
        email: str,
        message: str,
        subscribe: bool,
        source: str,
        ip: str,
        *,
        message_id_domain: str = "forms.invalid",
    ) -> int:
        """Store a contact message; its Message-ID is fixed now, once, for every resend."""
        message_id = f"<{uuid.uuid4().hex}@{message_id_domain}>"
        cursor = self._conn().execute(
            """INSERT INTO messages
                   (name, email, message, subscribe, source, ip, created_at, message_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (name, email, message, int(bool(subscribe)), source, ip, iso(utcnow()), message_id),
        )
        return cursor.lastrowid

    def add_contact(
        self,
        *,
        name: str,
        email: str,
        message: str,
        source: str,
        ip: str,
        subscribe: bool,
        consent_text: str,
        message_id_domain: str = "forms.invalid",
    ) -> int:
        """A contact message and, if asked, its signup -- in one transaction."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            message_pk = self.add_message(
                name, email, message, subscribe, source, ip, message_id_domain=message_id_domain
            )
            if subscribe:
                self.add_signup(email, name, True, consent_text, source, ip)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return message_pk

    def claim_due_messages(
        self, limit: int | None = None, now: datetime | None = None, *, ignore_backoff: bool = False
    ) -> list[Message]:
        """Messages to send now: pending ones whose retry time has come (all pending
        ones with ignore_backoff), plus any left in 'sending' by a run that was killed.

        Only call this while holding the delivery lock (forms.delivery), which
        guarantees no other live run owns a 'sending' row.
        """
        rows = self._conn().execute(
            f"""SELECT {_MESSAGE_COLUMNS} FROM messages
                WHERE status = 'sending'
                   OR (status = 'pending'
                       AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?))
                ORDER BY id LIMIT ?""",
            (int(ignore_backoff), iso(now or utcnow()), -1 if limit is None else limit),
        ).fetchall()
        return [
            Message(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], r[9], r[10])
            for r in rows
        ]

    def mark_sending(self, id: int) -> None:
        """Committed right before the SMTP transaction: from here a crash may duplicate, never lose."""
        self._conn().execute(
            "UPDATE messages SET status = 'sending', attempts = attempts + 1 WHERE id = ?", (id,)
        )

    def mark_delivered(self, id: int, smtp_reply: str = "") -> None:
        self._conn().execute(
            """UPDATE messages SET status = 'delivered', delivered_at = ?, smtp_reply = ?,
                      last_error = NULL, next_attempt_at = NULL WHERE id = ?""",
            (iso(utcnow()), smtp_reply, id),
        )

    def mark_message_failed(self, id: int, reason: str, smtp_reply: str = "") -> None:
        """A permanent failure (5xx): kept with the server's reply, not retried."""
        self._conn().execute(
            """UPDATE messages SET status = 'failed', last_error = ?, smtp_reply = ?,
                      next_attempt_at = NULL WHERE id = ?""",
            (reason, smtp_reply, id),
        )

    def defer_message(
        self, id: int, error: str, retry_at: datetime, *, count_attempt: bool = False
    ) -> None:
        """A transient failure: back to pending until retry_at.

        mark_sending() already counted the attempt; pass count_attempt=True for
        a try that failed before it (e.g. the SMTP server was unreachable).
        """
        self._conn().execute(
            """UPDATE messages SET status = 'pending', last_error = ?, next_attempt_at = ?,
                      attempts = attempts + ? WHERE id = ?""",
            (error, iso(retry_at), int(count_attempt), id),
        )

    def retry_failed_messages(self) -> int:
        """Put every failed message back in the queue (after fixing, say, a
        refused sender address); returns how many."""
        return self._conn().execute(
            """UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = NULL
               WHERE status = 'failed'"""
        ).rowcount

    def delete_delivered_older_than(self, cutoff: datetime) -> int:
        """Retention: drop delivered messages delivered before cutoff; returns the count."""
        return self._conn().execute(
            "DELETE FROM messages WHERE status = 'delivered' AND delivered_at < ?",
            (iso(cutoff),),
        ).rowcount

    def message_row(self, id: int) -> dict | None:
        """The full row of one message (for tools and tests)."""
        return self._row("SELECT * FROM messages WHERE id = ?", (id,))

    # -- overview -----------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """{'signups_pending': n, ..., 'messages_delivered': n, ..., 'mails_pending': n,
        ..., 'comments_approved': n, ...}"""
        result = {f"signups_{s}": 0 for s in SIGNUP_STATUSES}
        result.update({f"messages_{s}": 0 for s in MESSAGE_STATUSES})
        result.update({f"mails_{s}": 0 for s in MAIL_STATUSES})
        result.update({f"comments_{s}": 0 for s in COMMENT_STATUSES})
        conn = self._conn()
        for table in ("signups", "messages", "mails", "comments"):
            for status, n in conn.execute(
                f"SELECT status, count(*) FROM {table} GROUP BY status"
            ):
                result[f"{table}_{status}"] = n
        return result

    def _row(self, sql: str, params: tuple) -> dict | None:
        cursor = self._conn().execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return {d[0]: v for d, v in zip(cursor.description, row)}


if __name__ == "__main__":  # `python -m forms.outbox ...` is `make outbox`
    import sys

    from .outbox_cli import main

    sys.exit(main())
