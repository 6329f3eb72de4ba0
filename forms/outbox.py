"""The outbox: every accepted submission, durably stored until delivered, in SQLite or PostgreSQL.

FORMS_DB is a file path (SQLite, the default: WAL mode with synchronous=NORMAL,
so a committed row survives a killed process) or a postgresql:// URL (several
service instances and workers on one database). forms.db hides the difference;
every query here is written once.

Timestamps are ISO-8601 UTC strings with microseconds
("2026-01-31T12:00:00.000000+00:00"), so they sort and compare as text.

Claims. A delivery run claims the items it will send (claimed_by = this
process's owner id, claimed_until = now + the lease), with SELECT ... FOR
UPDATE SKIP LOCKED on PostgreSQL, so concurrent runs on several hosts take
disjoint items; a claim left by a crashed worker is taken over once its lease
has run out. (On SQLite a run also holds the file lock of forms.delivery, so a
claim left behind is always a dead run's.)

Results that cannot be recorded. If the database goes away after a delivery
succeeded, its result (mark_delivered, mark_signups_synced, ...) is kept in
memory (`unrecorded`) and written by flush_unrecorded() at the start of the
next run, before anything is claimed, so the item is not sent again.

Adding a schema migration: append a new tuple of statements to MIGRATIONS.
Never edit or reorder an existing step. On open, the steps not yet applied run
in order, each in one transaction that also records its number (SQLite: PRAGMA
user_version; PostgreSQL: the schema_migrations table), so every database ends
at version len(MIGRATIONS). A statement that must differ per backend is a
forms.db.Dialects.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Union

from .db import DB_ERRORS, Dialects, open_db

log = logging.getLogger("forms.outbox")

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
    # 4: claims, so several workers share one outbox (see the module docstring)
    (
        "ALTER TABLE signups ADD COLUMN claimed_by TEXT",
        "ALTER TABLE signups ADD COLUMN claimed_until TEXT",
        "ALTER TABLE messages ADD COLUMN claimed_by TEXT",
        "ALTER TABLE messages ADD COLUMN claimed_until TEXT",
        "ALTER TABLE mails ADD COLUMN claimed_by TEXT",
        "ALTER TABLE mails ADD COLUMN claimed_until TEXT",
    ),
    # 5: the shared rate limit's counters (forms.ratelimit); unlogged on PostgreSQL:
    # counters lost in a server crash cost nothing, and no WAL is written per request
    (
        Dialects(
            sqlite="""CREATE TABLE rate_hits (key TEXT NOT NULL, win INTEGER NOT NULL,
                          hits INTEGER NOT NULL, PRIMARY KEY (key, win))""",
            postgresql="""CREATE UNLOGGED TABLE rate_hits (key TEXT COLLATE "C" NOT NULL,
                          win BIGINT NOT NULL, hits INTEGER NOT NULL, PRIMARY KEY (key, win))""",
        ),
    ),
]

# The tables whose rows delivery runs claim (migration 4).
CLAIMED_TABLES = ("signups", "messages", "mails")
# Seconds a claim is held before another worker may take it over (FORMS_CLAIM_LEASE).
DEFAULT_LEASE = 300.0


def owner_id() -> str:
    """Who holds a claim: host, process and a random part (a restarted pid is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

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


# What a signup writes, and how a repeat signup of the same address merges into its row:
# shared by add_signup() and the group-committed writes of forms.outbox_writer.
SIGNUP_INSERT_COLUMNS = "email, name, consent, consent_text, source, ip, created_at, updated_at"
SIGNUP_MERGE = """ON CONFLICT (email) DO UPDATE SET
    name = CASE WHEN excluded.name != '' THEN excluded.name ELSE signups.name END,
    consent_text = CASE WHEN excluded.consent != 0 THEN excluded.consent_text
                        ELSE signups.consent_text END,
    consent = CASE WHEN excluded.consent > signups.consent THEN excluded.consent
                   ELSE signups.consent END,
    source = excluded.source,
    ip = excluded.ip,
    updated_at = excluded.updated_at,
    status = 'pending',
    attempts = 0,
    last_error = NULL,
    next_attempt_at = NULL"""
MESSAGE_INSERT_COLUMNS = "name, email, message, subscribe, source, ip, created_at, message_id"


def signup_values(email: str, name: str, consent: bool, consent_text: str, source: str,
                  ip: str) -> tuple:
    """One signup's values for SIGNUP_INSERT_COLUMNS, stamped now."""
    now = iso(utcnow())
    return (email, name, int(bool(consent)), consent_text, source, ip, now, now)


def message_values(name: str, email: str, message: str, subscribe: bool, source: str, ip: str,
                   *, message_id_domain: str = "forms.invalid") -> tuple:
    """One contact message's values for MESSAGE_INSERT_COLUMNS; its Message-ID is fixed
    now, once, for every resend."""
    message_id = f"<{uuid.uuid4().hex}@{message_id_domain}>"
    return (name, email, message, int(bool(subscribe)), source, ip, iso(utcnow()), message_id)


def _limit(limit: int | None) -> str:
    return "" if limit is None else f" LIMIT {int(limit)}"


def _results(method):
    """A delivery result: if the database is away, kept in memory and recorded later."""

    def record(self, *args, **kwargs):
        outbox = getattr(self, "outbox", self)  # an Outbox, or a queue kept in one (MailQueue)
        return outbox.keep_result(method.__name__, functools.partial(method, self, *args, **kwargs))

    record.__name__ = method.__name__
    record.__doc__ = method.__doc__
    record.__wrapped__ = method
    return record


class Outbox:
    """The outbox on SQLite or PostgreSQL (see forms.db). Thread-safe."""

    def __init__(self, target: str | os.PathLike, *, pool_size: int = 10, timeout: float = 3.0,
                 lease: float = DEFAULT_LEASE, owner: str | None = None) -> None:
        self.db = open_db(target if isinstance(target, str) and "://" in target else Path(target),
                          pool_size=pool_size, timeout=timeout)
        self.path = self.db.path  # None on PostgreSQL
        self.target = target if self.path is None else self.path  # what FORMS_DB names
        self.lease = lease
        self.owner = owner or owner_id()
        self.unrecorded: list[tuple[str, tuple, dict]] = []
        self._renewed = time.monotonic()  # when this process's claims' lease was last pushed
        # an upsert may run twice: retried on a fresh connection if one breaks under it
        self._idempotent = {"idempotent": True} if self.db.kind == "postgresql" else {}
        try:
            self.db.migrate(MIGRATIONS)
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def from_settings(cls, settings) -> "Outbox":
        return cls(settings.db, pool_size=settings.db_pool_size, timeout=settings.db_timeout,
                   lease=settings.claim_lease)

    # -- connections and schema ---------------------------------------------

    def _conn(self):
        """The database, for stores that keep their SQL elsewhere (forms.queues, forms.person):
        db.execute(sql, params) with `?` placeholders on either backend."""
        return self.db

    @property
    def kind(self) -> str:
        return self.db.kind

    @property
    def schema_version(self) -> int:
        return self.db.schema_version

    def close(self) -> None:
        self.db.close()

    def ping(self) -> None:
        """Raises one of forms.db.DB_ERRORS if the database cannot be reached."""
        self.db.execute("SELECT 1").fetchone()

    def lease_end(self, now: datetime | None = None) -> str:
        return iso((now or utcnow()) + timedelta(seconds=self.lease))

    def keep_result(self, name: str, write):
        """write() now, or, if the database is away, keep it for flush_unrecorded()."""
        if self.unrecorded:  # keep the order: earlier results first
            self.unrecorded.append((name, write))
            return None
        try:
            return write()
        except DB_ERRORS as exc:
            log.warning("outbox unreachable, %s kept in memory until it is back: %s: %s",
                        name, type(exc).__name__, exc)
            self.unrecorded.append((name, write))
            return None

    def flush_unrecorded(self) -> int:
        """Record the results kept in memory while the database was away; returns how many.
        Raises (and keeps the rest) if it is still away."""
        done = 0
        while self.unrecorded:
            _, write = self.unrecorded[0]
            write()
            self.unrecorded.pop(0)
            done += 1
        if done:
            log.info("outbox is back: recorded %d delivery result(s) kept in memory", done)
        return done

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
        self.db.execute(
            f"INSERT INTO signups ({SIGNUP_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            + SIGNUP_MERGE,
            signup_values(email, name, consent, consent_text, source, ip),
            **self._idempotent,
        )

    def pending_signups(
        self, limit: int | None = None, now: datetime | None = None, *, ignore_backoff: bool = False
    ) -> list[Signup]:
        """Signups waiting for sync whose retry time (if any) has come, oldest first.
        ignore_backoff: every pending signup, retry time or not (a person's `make sync`).
        Reads only; a delivery run uses claim_signups()."""
        rows = self.db.execute(
            f"""SELECT {_SIGNUP_COLUMNS} FROM signups
                WHERE status = 'pending' AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?)
                ORDER BY id{_limit(limit)}""",
            (bool(ignore_backoff), iso(now or utcnow())),
        ).fetchall()
        return [_signup(r) for r in rows]

    def claim_signups(
        self, limit: int | None = None, now: datetime | None = None, *, ignore_backoff: bool = False
    ) -> list[Signup]:
        """Like pending_signups(), but claims them for this process for the lease; signups
        another live run has claimed are skipped (SKIP LOCKED, then the lease)."""
        now = now or utcnow()
        stamp = iso(now)
        rows = self.db.execute(
            f"""UPDATE signups SET claimed_by = ?, claimed_until = ?
                WHERE id IN (SELECT id FROM signups
                    WHERE status = 'pending'
                      AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?)
                      AND {self.claimable()}
                    ORDER BY id{_limit(limit)}{self.db.skip_locked})
                RETURNING {_SIGNUP_COLUMNS}""",
            (self.owner, self.lease_end(now), bool(ignore_backoff), stamp, stamp),
        ).fetchall()
        return sorted((_signup(r) for r in rows), key=lambda s: s.id)

    def claimable(self) -> str:
        """SQL: no live claim by another process. On SQLite the delivery file lock
        already proves that every other claim is a dead run's."""
        if self.db.kind == "sqlite":
            return "(? IS NOT NULL)"  # always true; keeps the parameters aligned
        return "(claimed_until IS NULL OR claimed_until <= ?)"

    def release_claims(self) -> None:
        """Drop this process's claims left by an earlier run that stopped half-way (an
        error, not a death): they are due again now, not after the lease. Called at the
        start of a run, after flush_unrecorded(), so nothing delivered is released."""
        for table in CLAIMED_TABLES:
            self.db.execute(f"UPDATE {table} SET claimed_by = NULL, claimed_until = NULL "
                            "WHERE claimed_by = ?", (self.owner,))

    def keep_claims(self) -> None:
        """Called before each item a run sends: renews this process's claims once a third
        of the lease has passed since the last renewal, so a long batch keeps what it
        claimed and no other worker takes over items still waiting in it."""
        if time.monotonic() - self._renewed >= self.lease / 3:
            self.renew_claims()

    def renew_claims(self) -> None:
        """Push this process's claims' lease forward (a long run calls it between rounds)."""
        self._renewed = time.monotonic()
        until = self.lease_end()
        for table in CLAIMED_TABLES:
            self.db.execute(f"UPDATE {table} SET claimed_until = ? WHERE claimed_by = ?",
                            (until, self.owner))

    @_results
    def mark_signups_synced(self, ids: Iterable[SignupRef]) -> int:
        """Mark signups synced; returns how many rows changed.

        Pass Signup objects (or (id, updated_at) pairs) as read from
        pending_signups(): a row re-submitted since then keeps 'pending', so
        its newer data is synced on the next run. Bare ids mark unconditionally.
        Either way this process's claim on them ends.
        """
        now = iso(utcnow())
        changed = 0
        with self.db.transaction():
            for ref in list(ids):
                if isinstance(ref, Signup):
                    key, updated_at = ref.id, ref.updated_at
                elif isinstance(ref, tuple):
                    key, updated_at = ref
                else:
                    key, updated_at = int(ref), None
                changed += self.db.execute(
                    """UPDATE signups SET status = 'synced', synced_at = ?, last_error = NULL,
                              next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL
                       WHERE id = ? AND status = 'pending'
                         AND (CAST(? AS TEXT) IS NULL OR updated_at = ?)""",
                    (now, key, updated_at, updated_at),
                ).rowcount
                self.db.execute(
                    "UPDATE signups SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE id = ? AND claimed_by = ?", (key, self.owner))
        return changed

    @_results
    def mark_signup_failed(self, id: int, reason: str) -> None:
        """A permanent failure (e.g. the audience rejects the address): not retried."""
        self.db.execute(
            """UPDATE signups SET status = 'failed', attempts = attempts + 1, last_error = ?,
                      next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL
               WHERE id = ?""",
            (reason, id),
        )

    @_results
    def defer_signup(self, id: int, error: str, retry_at: datetime) -> None:
        """A transient failure: count the attempt, stay pending until retry_at."""
        self.db.execute(
            """UPDATE signups SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                      claimed_by = NULL, claimed_until = NULL
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
        return self.db.execute(
            f"INSERT INTO messages ({MESSAGE_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            message_values(name, email, message, subscribe, source, ip,
                           message_id_domain=message_id_domain),
        ).fetchone()[0]

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
        with self.db.transaction():
            message_pk = self.add_message(
                name, email, message, subscribe, source, ip, message_id_domain=message_id_domain
            )
            if subscribe:
                self.add_signup(email, name, True, consent_text, source, ip)
        return message_pk

    def claim_due_messages(
        self, limit: int | None = None, now: datetime | None = None, *, ignore_backoff: bool = False
    ) -> list[Message]:
        """Claims the messages to send now: pending ones whose retry time has come (all
        pending ones with ignore_backoff), plus any left in 'sending' by a run that died
        (on PostgreSQL once its lease has run out). Messages another live run has
        claimed are skipped."""
        now = now or utcnow()
        stamp = iso(now)
        self._renewed = time.monotonic()
        rows = self.db.execute(
            f"""UPDATE messages SET claimed_by = ?, claimed_until = ?
                WHERE id IN (SELECT id FROM messages
                    WHERE (status = 'sending'
                           OR (status = 'pending'
                               AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?)))
                      AND {self.claimable()}
                    ORDER BY id{_limit(limit)}{self.db.skip_locked})
                RETURNING {_MESSAGE_COLUMNS}""",
            (self.owner, self.lease_end(now), bool(ignore_backoff), stamp, stamp),
        ).fetchall()
        return sorted((_message(r) for r in rows), key=lambda m: m.id)

    def due_messages(self, now: datetime | None = None, *, ignore_backoff: bool = False
                     ) -> list[Message]:
        """What claim_due_messages() would take, read only (a dry run)."""
        rows = self.db.execute(
            f"""SELECT {_MESSAGE_COLUMNS} FROM messages
                WHERE status = 'sending'
                   OR (status = 'pending'
                       AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?))
                ORDER BY id""",
            (bool(ignore_backoff), iso(now or utcnow())),
        ).fetchall()
        return [_message(r) for r in rows]

    def mark_sending(self, id: int) -> None:
        """Committed right before the SMTP transaction: from here a crash may duplicate,
        never lose. Renews this process's claim for the lease."""
        self.db.execute(
            """UPDATE messages SET status = 'sending', attempts = attempts + 1,
                      claimed_by = ?, claimed_until = ? WHERE id = ?""",
            (self.owner, self.lease_end(), id),
        )

    @_results
    def mark_delivered(self, id: int, smtp_reply: str = "") -> None:
        self.db.execute(
            """UPDATE messages SET status = 'delivered', delivered_at = ?, smtp_reply = ?,
                      last_error = NULL, next_attempt_at = NULL,
                      claimed_by = NULL, claimed_until = NULL WHERE id = ?""",
            (iso(utcnow()), smtp_reply, id),
        )

    @_results
    def mark_message_failed(self, id: int, reason: str, smtp_reply: str = "") -> None:
        """A permanent failure (5xx): kept with the server's reply, not retried."""
        self.db.execute(
            """UPDATE messages SET status = 'failed', last_error = ?, smtp_reply = ?,
                      next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL
               WHERE id = ?""",
            (reason, smtp_reply, id),
        )

    @_results
    def defer_message(
        self, id: int, error: str, retry_at: datetime, *, count_attempt: bool = False
    ) -> None:
        """A transient failure: back to pending until retry_at.

        mark_sending() already counted the attempt; pass count_attempt=True for
        a try that failed before it (e.g. the SMTP server was unreachable).
        """
        self.db.execute(
            """UPDATE messages SET status = 'pending', last_error = ?, next_attempt_at = ?,
                      attempts = attempts + ?, claimed_by = NULL, claimed_until = NULL
               WHERE id = ?""",
            (error, iso(retry_at), int(count_attempt), id),
        )

    def retry_failed_messages(self) -> int:
        """Put every failed message back in the queue (after fixing, say, a
        refused sender address); returns how many."""
        return self.db.execute(
            """UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = NULL
               WHERE status = 'failed'"""
        ).rowcount

    def delete_delivered_older_than(self, cutoff: datetime) -> int:
        """Retention: drop delivered messages delivered before cutoff; returns the count."""
        return self.db.execute(
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
        for table in ("signups", "messages", "mails", "comments"):
            for status, n in self.db.execute(
                f"SELECT status, count(*) FROM {table} GROUP BY status"
            ):
                result[f"{table}_{status}"] = n
        return result

    def _row(self, sql: str, params: tuple) -> dict | None:
        cursor = self.db.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return {d[0]: v for d, v in zip(cursor.description, row)}


def _signup(r) -> Signup:
    id, email, name, consent, source, ip, created, updated, attempts = r
    return Signup(id, email, name, bool(consent), source, ip, created, updated, attempts)


def _message(r) -> Message:
    return Message(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], r[9], r[10])


if __name__ == "__main__":  # `python -m forms.outbox ...` is `make outbox`
    import sys

    from .outbox_cli import main

    sys.exit(main())
