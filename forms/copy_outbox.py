"""Copy a SQLite outbox into the PostgreSQL outbox (`make outbox ARGS="copy-from-sqlite FILE"`).

Every row of every copied table goes across in one PostgreSQL transaction, or
none does. Each table has a natural key that is the same on both sides, and a
row whose key is already in PostgreSQL is skipped, so the command can be run
again (after an interrupted copy, or to pick up rows the old instance took
while it was being switched over) without duplicating anything:

    signups         email        (one row per address on both backends)
    messages        message_id   (fixed when the message was stored, unique)
    comments        id           (kept: replies, links and mails refer to it)
    comment_tokens  nonce        (single-use links already used)
    mails           message_id   (queued comment mails)

Ids are not carried over where nothing refers to them (PostgreSQL numbers its
own rows); comment ids are, and a comment id already taken in PostgreSQL by a
different comment stops the copy with a message instead of skipping a row.
Claims are dropped, so the new workers take up whatever was in flight. A
table another feature adds is one entry in TABLES. The SQLite file is only read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .outbox import Outbox

# table -> the column that identifies a row on both backends
TABLES: dict[str, str] = {"signups": "email", "messages": "message_id", "comments": "id",
                          "comment_tokens": "nonce", "mails": "message_id"}
DROPPED = {"claimed_by", "claimed_until"}
# For a table keyed by id: the columns that tell the same row from another one.
SAME_ROW = {"comments": ("created_at", "body_hash")}


@dataclass
class Copied:
    table: str
    read: int = 0
    copied: int = 0
    skipped: int = 0  # already in PostgreSQL (same key)


def copy_from_sqlite(source: Path, target: Outbox) -> list[Copied]:
    if target.kind != "postgresql":
        raise ValueError("the target outbox is not PostgreSQL: set FORMS_DB=postgresql://...")
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such SQLite outbox")
    Outbox(source).close()  # bring an old file to the current schema first
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        results = []
        have = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with target.db.transaction():
            for table, key in TABLES.items():
                if table in have:
                    results.append(_copy_table(src, target, table, key))
            for table, key in TABLES.items():
                if key == "id" and table in have:  # new rows get ids after the copied ones
                    target.db.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        return results
    finally:
        src.close()


def source_name(src: sqlite3.Connection) -> str:
    return src.execute("PRAGMA database_list").fetchone()[2] or "the SQLite outbox"


def _copy_table(src: sqlite3.Connection, target: Outbox, table: str, key: str) -> Copied:
    wanted = set(target.db.columns(table))
    cursor = src.execute(f"SELECT * FROM {table} ORDER BY rowid")
    names = [d[0] for d in cursor.description]
    dropped = DROPPED | ({"id"} if key != "id" else set())
    keep = [i for i, n in enumerate(names) if n in wanted and n not in dropped]
    cols = [names[i] for i in keep]
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
           f"ON CONFLICT ({key}) DO NOTHING")
    done = Copied(table)
    for row in cursor:
        done.read += 1
        if target.db.execute(sql, [row[i] for i in keep]).rowcount:
            done.copied += 1
            continue
        if table in SAME_ROW:
            same = SAME_ROW[table]
            there = target.db.execute(f"SELECT {', '.join(same)} FROM {table} WHERE id = ?",
                                      (row[names.index("id")],)).fetchone()
            if tuple(there) != tuple(row[names.index(c)] for c in same):
                raise ValueError(
                    f"{table} #{row[names.index('id')]} in PostgreSQL is another {table[:-1]} "
                    f"than in {source_name(src)}: nothing was copied. Copy before the "
                    "PostgreSQL instances take new ones, or into an empty database.")
        done.skipped += 1
    return done
