"""The erasure ledger: salted hashes of erased addresses, so erasure outlives backups.

`make person ARGS="erase EMAIL"` records HMAC-SHA256(salt, address) and the
time here, in its own SQLite file (FORMS_ERASURE_LEDGER, default
erasures.sqlite3 beside the outbox) or its own PostgreSQL database
(FORMS_ERASURE_LEDGER=postgresql://..., for several hosts), never the address itself. When an old
outbox backup is restored, its rows for that person come back; then

* every delivery run drops undelivered rows of erased addresses before it
  sends anything (scrub_outbox), so no sync re-adds the person to Mailchimp or
  mails their old message, and
* `make person ARGS=scrub` removes their rows from every store.

Only rows from before the erasure are scrubbed: a person who signs up again
afterwards has given new consent, and that new row is kept.

The salt is FORMS_ERASURE_SALT when set (a secret; keep it outside the
backups), else a random one made on first use and kept in the ledger. Keep
the ledger out of the outbox's restore path; it holds no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from pathlib import Path

from .db import is_postgres_url, open_db
from .outbox import Outbox, iso, utcnow

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS erasures (
        address_hash TEXT PRIMARY KEY,
        erased_at TEXT NOT NULL,
        removed TEXT NOT NULL DEFAULT '{}'
    )""",
)


class Ledger:
    """A SQLite file, or (FORMS_ERASURE_LEDGER=postgresql://...) a PostgreSQL database
    that is not the outbox's, so several hosts share it and restoring the outbox's
    backup does not roll it back."""

    def __init__(self, path: Path | str, salt: str = ""):
        if is_postgres_url(path):
            self.path = None
            self.conn = open_db(path)
            self.conn.migrate([SCHEMA])
        else:
            self.path = Path(path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
            self.conn.execute("PRAGMA busy_timeout = 10000")
            for statement in SCHEMA:
                self.conn.execute(statement)
        self.salt = salt or self._stored_salt()

    def _stored_salt(self) -> str:
        self.conn.execute("INSERT INTO meta VALUES ('salt', ?) ON CONFLICT (key) DO NOTHING",
                          (secrets.token_hex(32),))
        return self.conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def address_hash(self, email: str) -> str:
        return hmac.new(self.salt.encode(), email.strip().lower().encode("utf-8"),
                        hashlib.sha256).hexdigest()

    def record(self, email: str, removed: dict) -> str:
        """Remember (or refresh) an erasure; returns the hash recorded."""
        h = self.address_hash(email)
        self.conn.execute(
            """INSERT INTO erasures (address_hash, erased_at, removed) VALUES (?, ?, ?)
               ON CONFLICT (address_hash) DO UPDATE SET erased_at = excluded.erased_at,
                   removed = excluded.removed""",
            (h, iso(utcnow()), json.dumps(removed, sort_keys=True)),
        )
        return h

    def erased_at(self, email: str) -> str | None:
        row = self.conn.execute("SELECT erased_at FROM erasures WHERE address_hash = ?",
                                (self.address_hash(email),)).fetchone()
        return row[0] if row else None

    def __len__(self) -> int:
        return self.conn.execute("SELECT count(*) FROM erasures").fetchone()[0]


def open_ledger(settings, *, create: bool = False) -> Ledger | None:
    """The ledger, or None when there is none yet (and create is False)."""
    path = settings.ledger_path
    if is_postgres_url(path):
        return Ledger(path, settings.erasure_salt)
    if not create and not path.exists():
        return None
    return Ledger(path, settings.erasure_salt)


def scrub_outbox(settings, outbox: Outbox, *, only_undelivered: bool = False) -> dict[str, int]:
    """Delete outbox rows of erased addresses dated before their erasure; {queue: rows}."""
    from .queues import QUEUES

    ledger = open_ledger(settings)
    if ledger is None:
        return {}
    try:
        if not len(ledger):
            return {}
        removed: dict[str, int] = {}
        conn = outbox._conn()
        for q in QUEUES:
            where = f"WHERE status != '{q.delivered}'" if only_undelivered else ""
            doomed = []
            for pk, email, since in conn.execute(
                f"SELECT id, {q.email}, {q.since} FROM {q.table} {where}"
            ).fetchall():
                erased = ledger.erased_at(email or "")
                if erased and (since or "") <= erased:
                    doomed.append(pk)
            if doomed:
                conn.executemany(f"DELETE FROM {q.table} WHERE id = ?", [(pk,) for pk in doomed])
                removed[q.name] = len(doomed)
        return removed
    finally:
        ledger.close()
