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
"""

from __future__ import annotations

import math
import time
from typing import Callable


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
