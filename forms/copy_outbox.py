"""Copy a SQLite outbox into the PostgreSQL outbox (`make outbox ARGS="copy-from-sqlite FILE"`).

Every row of every copied table goes across in one PostgreSQL transaction, or
none does. Each table has a natural key that is the same on both sides, and a
row whose key is already in PostgreSQL is skipped, so the command can be run
again (after an interrupted copy, or to pick up rows the old instance took
while it was being switched over) without duplicating anything:

    signups    email        (one row per address on both backends)
    messages   message_id   (fixed when the message was stored, unique)

Ids are not carried over (PostgreSQL numbers its own rows); claims are
dropped, so the new workers take up whatever was in flight. A table another
feature adds is one entry in TABLES. The SQLite file is only read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .outbox import Outbox

# table -> the column that identifies a row on both backends
TABLES: dict[str, str] = {"signups": "email", "messages": "message_id"}
DROPPED = {"id", "claimed_by", "claimed_until"}


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
        with target.db.transaction():
            for table, key in TABLES.items():
                results.append(_copy_table(src, target, table, key))
        return results
    finally:
        src.close()


def _copy_table(src: sqlite3.Connection, target: Outbox, table: str, key: str) -> Copied:
    wanted = set(target.db.columns(table))
    cursor = src.execute(f"SELECT * FROM {table} ORDER BY id")
    names = [d[0] for d in cursor.description]
    keep = [i for i, n in enumerate(names) if n in wanted and n not in DROPPED]
    cols = [names[i] for i in keep]
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
           f"ON CONFLICT ({key}) DO NOTHING")
    done = Copied(table)
    for row in cursor:
        done.read += 1
        if target.db.execute(sql, [row[i] for i in keep]).rowcount:
            done.copied += 1
        else:
            done.skipped += 1
    return done
