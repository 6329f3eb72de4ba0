"""Per-client rate limit: a fixed one-minute window, in memory (SQLite) or shared in PostgreSQL.

RateLimiter counts in the process: enough for SQLite, where one process serves
one outbox. Its counts reset when the service restarts, and at a window edge a
client can get up to twice the limit in a short burst.

SharedRateLimiter counts in the outbox's PostgreSQL database (the unlogged
table rate_hits, one row per client and minute, one upsert per request), so
every instance behind the proxy sees the same count: two instances do not
double a client's allowance. The window is wall-clock minutes, the same on
every host. Old windows are deleted now and then by whichever instance sees a
new minute first.

BatchedRateLimiter is SharedRateLimiter's count (the same table, windows and
answers) for the service's event loop: the hits of concurrent requests are
counted in one statement per round (forms.group_commit), each key once with
the number of its hits, and each request gets the count it would have had one
after the other. The table is unlogged, so a round waits for no fsync.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Awaitable, Callable, Sequence


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._window = -1
        self._hits: dict[str, int] = {}

    def hit(self, key: str) -> float:
        """Count one request; returns 0 if allowed, else seconds until it may retry."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        window = int(now // 60)
        if window != self._window:
            # A new window forgets every client at once, which also bounds memory.
            self._window = window
            self._hits.clear()
        count = self._hits.get(key, 0) + 1
        self._hits[key] = count
        if count <= self.per_minute:
            return 0.0
        return max(1.0, math.ceil((window + 1) * 60 - now))


class SharedRateLimiter:
    """The same contract as RateLimiter, counted in the database (blocking: call it
    off the event loop). Raises forms.db.DB_ERRORS when the database is away."""

    def __init__(self, db, per_minute: int, clock: Callable[[], float] = time.time):
        self.db = db
        self.per_minute = per_minute
        self.clock = clock
        self._swept = -1

    def hit(self, key: str) -> float:
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        window = int(now // 60)
        if window != self._swept:
            self._swept = window
            self.db.execute("DELETE FROM rate_hits WHERE win < ?", (window,))
        count = self.db.execute(
            """INSERT INTO rate_hits (key, win, hits) VALUES (?, ?, 1)
               ON CONFLICT (key, win) DO UPDATE SET hits = rate_hits.hits + 1
               RETURNING hits""",
            (key, window),
        ).fetchone()[0]
        if count <= self.per_minute:
            return 0.0
        return max(1.0, math.ceil((window + 1) * 60 - now))


_ROUND_SQL = """INSERT INTO rate_hits (key, win, hits)
                SELECT * FROM unnest(%s::text[], %s::bigint[], %s::int[])
                ON CONFLICT (key, win) DO UPDATE SET hits = rate_hits.hits + excluded.hits
                RETURNING key, win, hits"""


class BatchedRateLimiter:
    """async hit(key): the contract of RateLimiter.hit. Raises forms.db.DB_ERRORS when
    the database is away."""

    def __init__(self, url: str, per_minute: int, *, timeout: float = 3.0,
                 prepare: Callable[[], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.time):
        from .group_commit import Batcher  # psycopg: only with a PostgreSQL outbox

        self.per_minute = per_minute
        self.clock = clock
        self._swept = -1
        # counting a round twice after a lost connection only makes the limit stricter
        self.batcher = Batcher("rate-limit", url, self._round, timeout=timeout,
                               idempotent=True, prepare=prepare)

    async def hit(self, key: str) -> float:
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        window = int(now // 60)
        count = await self.batcher.submit((key, window))
        if count <= self.per_minute:
            return 0.0
        return max(1.0, math.ceil((window + 1) * 60 - now))

    async def _round(self, conn, items: Sequence[tuple[str, int]]) -> list[int]:
        totals = Counter(items)
        keys = sorted(totals)  # one lock order for every instance
        newest = max(win for _, win in keys)
        async with conn.pipeline():
            if newest != self._swept:
                await conn.execute("DELETE FROM rate_hits WHERE win < %s", (newest,))
            cursor = await conn.execute(_ROUND_SQL, ([k for k, _ in keys], [w for _, w in keys],
                                                     [totals[k] for k in keys]))
            rows = await cursor.fetchall()
        self._swept = newest
        final = {(key, win): hits for key, win, hits in rows}
        seen: Counter = Counter()
        counts = []
        for item in items:  # the n-th hit of a key in this round counts as it would alone
            seen[item] += 1
            counts.append(final[item] - totals[item] + seen[item])
        return counts

    async def close(self) -> None:
        await self.batcher.close()
