"""The signups and contact messages of concurrent requests, group-committed on PostgreSQL.

    writer = OutboxWriter(url, timeout=3.0, prepare=ensure_schema)
    await writer.add_signup(email, name, consent, consent_text, source, ip)
    await writer.add_contact(name=..., email=..., message=..., source=..., ip=...,
                             subscribe=..., consent_text=..., message_id_domain=...)
    await writer.close()

Each call returns once its row is committed. The rows and the merge are those
of Outbox.add_signup / Outbox.add_contact (forms.outbox shares the columns,
the values and the ON CONFLICT clause); what differs is that a round of
requests (forms.group_commit) is written in one transaction: its messages as
one multi-row insert, its signups as one multi-row upsert, both from arrays
(unnest), so the statements keep one text and are prepared once.

An address signed up twice in one round: one ON CONFLICT statement cannot
touch a row twice, so the round's signups are split into passes, the n-th
signup of an address going into the n-th pass, run in order in the same
transaction; the row ends as if the requests had come one after the other.
Within a pass the rows are sorted by address, so two instances writing the
same addresses lock them in the same order (no deadlock).
"""

from __future__ import annotations

from collections import Counter
from typing import Awaitable, Callable, Sequence

from .group_commit import Batcher
from .outbox import (MESSAGE_INSERT_COLUMNS, SIGNUP_INSERT_COLUMNS, SIGNUP_MERGE, message_values,
                     signup_values)

SIGNUPS_SQL = (
    f"INSERT INTO signups ({SIGNUP_INSERT_COLUMNS}) SELECT * FROM unnest("
    "%s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::text[], "
    f"%s::text[]) {SIGNUP_MERGE}"
)
MESSAGES_SQL = (
    f"INSERT INTO messages ({MESSAGE_INSERT_COLUMNS}) SELECT * FROM unnest("
    "%s::text[], %s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[], "
    "%s::text[])"
)


def passes(signups: Sequence[tuple]) -> list[list[tuple]]:
    """The signups split so that no address occurs twice in one pass, in arrival order."""
    seen: Counter = Counter()
    out: list[list[tuple]] = []
    for row in signups:
        n = seen[row[0]]
        seen[row[0]] += 1
        if n == len(out):
            out.append([])
        out[n].append(row)
    return [sorted(part, key=lambda r: r[0]) for part in out]


def _columns(rows: Sequence[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows)]


async def write_round(conn, items: Sequence[tuple]) -> list[None]:
    """items: (message values or None, signup values or None) per request."""
    messages = [m for m, _ in items if m is not None]
    signups = [s for _, s in items if s is not None]
    async with conn.pipeline():  # BEGIN, the statements and COMMIT in one round trip
        async with conn.transaction():
            if messages:
                await conn.execute(MESSAGES_SQL, _columns(messages))
            for part in passes(signups):
                await conn.execute(SIGNUPS_SQL, _columns(part))
    return [None] * len(items)


class OutboxWriter:
    def __init__(self, url: str, *, timeout: float = 3.0,
                 prepare: Callable[[], Awaitable[None]] | None = None):
        self.batcher = Batcher("outbox", url, write_round, timeout=timeout, prepare=prepare,
                               # upserts only: a round repeated after a lost connection
                               # leaves the same rows; a message would be stored twice
                               idempotent=lambda items: all(m is None for m, _ in items))

    async def add_signup(self, email: str, name: str, consent: bool, consent_text: str,
                         source: str, ip: str) -> None:
        await self.batcher.submit(
            (None, signup_values(email, name, consent, consent_text, source, ip)))

    async def add_contact(self, *, name: str, email: str, message: str, source: str, ip: str,
                          subscribe: bool, consent_text: str,
                          message_id_domain: str = "forms.invalid") -> None:
        """The message and, if asked, its signup: in the same transaction, as add_contact."""
        signup = signup_values(email, name, True, consent_text, source, ip) if subscribe else None
        await self.batcher.submit((message_values(name, email, message, subscribe, source, ip,
                                                  message_id_domain=message_id_domain), signup))

    async def close(self) -> None:
        await self.batcher.close()
