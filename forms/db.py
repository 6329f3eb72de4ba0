"""The outbox's two database backends behind one small interface: SQLite (a file) or PostgreSQL (a URL).

    db = open_db("var/forms.sqlite3")               # SQLiteDB
    db = open_db("postgresql://u:p@host:5432/forms")  # PostgresDB (psycopg 3 + psycopg_pool)

Both offer the same few calls, so each store keeps one copy of its SQL:

    db.execute(sql, params) -> cursor-like (fetchone, fetchall, iteration, rowcount, description)
    db.executemany(sql, seq)
    with db.transaction(): ...      # one transaction on this thread; nesting joins it
    db.migrate(MIGRATIONS)          # numbered steps, the version recorded in the database
    db.kind                         # "sqlite" or "postgresql", for the few dialect choices

SQL is written once, in SQLite's spelling with `?` placeholders and portable
constructs (ON CONFLICT ... DO UPDATE, RETURNING, CAST(? AS TEXT) for a NULL
parameter, CASE instead of two-argument max()). PostgresDB turns `?` into
psycopg's `%s` (outside string literals), `? IS NULL` into
`CAST(%s AS TEXT) IS NULL` (PostgreSQL must know a parameter's type), and
runs each statement on a pooled connection; `BEGIN [IMMEDIATE]`, `COMMIT` and
`ROLLBACK` sent through execute() open and end a transaction on this thread
as on SQLite, so a store written for SQLite ports with few changes (what it
must still change: `RETURNING id` instead of lastrowid, booleans as bool). What truly differs is named where it is used: `db.skip_locked`
(" FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite, where a run holds the
whole database) and `Dialects(sqlite=..., postgresql=...)` for a migration step
that must differ (an UNLOGGED table).

Timestamps stay ISO-8601 text on both, and PostgreSQL text columns are created
with COLLATE "C", so they sort and compare byte for byte exactly as in SQLite.
Integer keys become identity columns.

Errors: DB_ERRORS is what either backend raises when the database cannot be
reached or refuses; callers answer 503 and keep nothing half-done.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

try:
    import psycopg
    import psycopg_pool
except ImportError:  # pragma: no cover - the SQLite backend needs neither
    psycopg = None
    psycopg_pool = None

DB_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,) + (
    (psycopg.Error,) if psycopg is not None else ())
# A UNIQUE or other constraint refused the row, on either backend.
INTEGRITY_ERRORS: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,) + (
    (psycopg.IntegrityError,) if psycopg is not None else ())


def is_postgres_url(target: Any) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redacted_url(url: str) -> str:
    """The URL with its password replaced, for messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


@dataclass(frozen=True)
class Dialects:
    """A migration statement that differs between the backends."""

    sqlite: str
    postgresql: str


Statement = "str | Dialects"


def open_db(target: Any, *, pool_size: int = 10, timeout: float = 3.0) -> "SQLiteDB | PostgresDB":
    if is_postgres_url(target):
        return PostgresDB(str(target), pool_size=pool_size, timeout=timeout)
    return SQLiteDB(Path(target))


# -- SQLite -------------------------------------------------------------------------------


class SQLiteDB:
    """One connection per thread; WAL, synchronous=NORMAL (a killed process loses no commit)."""

    kind = "sqlite"
    skip_locked = ""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: autocommit; transaction() issues BEGIN IMMEDIATE.
            # check_same_thread=False only so close() may close every thread's connection.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def execute(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        return self.conn().execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Sequence]) -> sqlite3.Cursor:
        return self.conn().executemany(sql, seq)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["SQLiteDB"]:
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            try:
                yield self
            finally:
                self._local.depth -= 1
            return
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield self
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._local.depth = 0

    def migrate(self, migrations: Sequence[Sequence[Statement]]) -> None:
        """Steps from PRAGMA user_version on, each step and its version bump in one transaction."""
        conn = self.conn()
        if conn.execute("PRAGMA user_version").fetchone()[0] >= len(migrations):
            return
        with self.transaction():  # BEGIN IMMEDIATE: another process may be migrating too
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, statements in enumerate(migrations[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement.sqlite if isinstance(statement, Dialects) else statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self.conn().execute("PRAGMA user_version").fetchone()[0]

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn().execute(f"PRAGMA table_info({table})")]

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()


# -- PostgreSQL ---------------------------------------------------------------------------


class Result:
    """A finished statement's rows, read eagerly so the connection goes back to the pool."""

    def __init__(self, rows: list, rowcount: int, description):
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.description = description

    def fetchone(self):
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def __iter__(self):
        return iter(self.fetchall())


@functools.lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """SQLite-style SQL for psycopg: `?` -> `%s`, a literal `%` -> `%%`, string literals kept."""
    out = []
    for i, part in enumerate(re.split(r"('(?:[^']|'')*')", sql)):
        if i % 2:  # inside '...'
            out.append(part.replace("%", "%%"))
        else:
            part = re.sub(r"\?(\s+IS\s+(?:NOT\s+)?NULL)", r"CAST(? AS TEXT)\1", part,
                          flags=re.IGNORECASE)
            out.append(part.replace("%", "%%").replace("?", "%s"))
    return "".join(out)


def pg_ddl(statement: Statement) -> str:
    """A migration statement in PostgreSQL's spelling."""
    if isinstance(statement, Dialects):
        return statement.postgresql
    sql = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                 statement)
    return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', sql)


MIGRATION_LOCK = 0x466F726D73  # pg_advisory_xact_lock key: one migrating process at a time


class PostgresDB:
    """A psycopg_pool pool of autocommit connections: each statement is its own
    transaction (one round trip) unless inside transaction().

    Lost connections: a connection idle for more than CHECK_IDLE seconds is checked
    on checkout (so one broken by a server restart is replaced before use); one that
    breaks under a statement is discarded and the statement retried once on a fresh
    connection when that is safe (a read, an idempotent write, or the BEGIN of a
    transaction). While the server is away, a checkout waits at most `timeout`
    seconds and raises: the caller answers 503."""

    CHECK_IDLE = 1.0

    kind = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    path = None

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 3.0):
        if psycopg is None:
            raise RuntimeError("FORMS_DB is a PostgreSQL URL but psycopg is not installed "
                               "(pip install -r forms/requirements.txt)")
        self.url = url
        self.timeout = timeout
        self._local = threading.local()
        self.pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=max(1, pool_size), timeout=timeout,
            check=self._check, reset=self._returned, open=False,
            name="forms-outbox",
            # give up a failed reconnection soon: the next checkout starts a fresh one, so the
            # pool is back within a second of the server (not after a long backoff)
            reconnect_timeout=max(2.0, timeout),
            kwargs={"connect_timeout": max(1, int(timeout)), "autocommit": True},
        )
        self.pool.open(wait=False)

    def __repr__(self) -> str:
        return f"PostgresDB({redacted_url(self.url)!r})"

    @classmethod
    def _check(cls, conn) -> None:
        if time.monotonic() - getattr(conn, "_forms_returned", 0.0) > cls.CHECK_IDLE:
            psycopg_pool.ConnectionPool.check_connection(conn)

    @staticmethod
    def _returned(conn) -> None:
        conn._forms_returned = time.monotonic()

    @contextlib.contextmanager
    def _connection(self):
        conn = getattr(self._local, "tx", None)
        if conn is not None:
            yield conn
            return
        with self.pool.connection() as conn:  # commits on success, rolls back on error
            yield conn

    def execute(self, sql: str, params: Sequence = (), *, idempotent: bool = False) -> Result:
        """idempotent: running it twice does no harm (an upsert), so it is retried on a
        fresh connection if the connection breaks; reads always are. Other writes are
        not (one may have committed before the connection broke): the caller answers 503."""
        verb = " ".join(sql.split()).upper()
        if verb in ("BEGIN", "BEGIN IMMEDIATE", "BEGIN TRANSACTION", "COMMIT", "ROLLBACK"):
            self._explicit(verb.split()[0])
            return Result([], -1, None)
        retry = idempotent or verb[:6] == "SELECT"
        for attempt in range(2):
            try:
                with self._connection() as conn:
                    cur = conn.execute(to_psycopg(sql), tuple(params))
                    rows = cur.fetchall() if cur.description else []
                    return Result(rows, cur.rowcount, cur.description)
            except psycopg.OperationalError as exc:
                if (not retry or attempt or getattr(self._local, "tx", None) is not None
                        or isinstance(exc, psycopg_pool.PoolTimeout)):
                    raise
        raise AssertionError("unreachable")

    def _explicit(self, verb: str) -> None:
        """BEGIN / COMMIT / ROLLBACK sent as statements (SQLite style)."""
        if verb == "BEGIN":
            if getattr(self._local, "tx", None) is not None:
                raise RuntimeError("BEGIN inside a transaction")
            conn = self.pool.getconn()
            try:
                conn.execute("BEGIN")
            except BaseException:
                self.pool.putconn(conn)
                raise
            self._local.tx = conn
            return
        conn = self._local.tx
        if conn is None:
            raise RuntimeError(f"{verb} without BEGIN")
        self._local.tx = None
        try:
            conn.execute(verb)
        finally:
            self.pool.putconn(conn)

    def executemany(self, sql: str, seq: Iterable[Sequence]) -> Result:
        with self.transaction(), self._connection() as conn:
            with conn.cursor() as cur:
                cur.executemany(to_psycopg(sql), [tuple(p) for p in seq])
                return Result([], cur.rowcount, None)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["PostgresDB"]:
        if getattr(self._local, "tx", None) is not None:
            yield self
            return
        for attempt in range(2):
            with self.pool.connection() as conn:
                try:
                    tx = conn.transaction()
                    tx.__enter__()  # BEGIN: if the connection is broken, nothing was done yet
                except psycopg.OperationalError:
                    if attempt:
                        raise
                    continue
                self._local.tx = conn
                try:
                    yield self
                except BaseException as exc:
                    if not tx.__exit__(type(exc), exc, exc.__traceback__):
                        raise
                else:
                    tx.__exit__(None, None, None)
                finally:
                    self._local.tx = None
                return

    def migrate(self, migrations: Sequence[Sequence[Statement]]) -> None:
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            self.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                                version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)""")
            version = self.schema_version
            for number, statements in enumerate(migrations[version:], start=version + 1):
                for statement in statements:
                    self.execute(pg_ddl(statement))
                self.execute("INSERT INTO schema_migrations VALUES (?, CAST(now() AS TEXT))",
                             (number,))

    @property
    def schema_version(self) -> int:
        return self.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]

    def columns(self, table: str) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position", (table,))]

    def close(self) -> None:
        self.pool.close()
