"""Per-client rate limit: a fixed one-minute window counted in memory.

Good enough for one process: the counts reset when the service restarts, and
at a window edge a client can get up to twice the limit in a short burst.
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
