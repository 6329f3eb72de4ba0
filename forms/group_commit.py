"""Group commit on PostgreSQL: what concurrent requests write goes to the database in
rounds, one transaction (and one fsync) per round instead of one per request.

    batcher = Batcher("signups", url, run_round, timeout=3.0)
    result = await batcher.submit(item)     # returns once the round holding it committed
    await batcher.close()

A Batcher is one asyncio task on the service's event loop with one psycopg
AsyncConnection (no thread hop, no GIL hand-over per request). Requests put
their item on its queue and await a future; the task takes everything queued
(at most MAX_ROUND items), hands it to `run_round(conn, items)`, which sends
it in one pipeline (one network round trip), and answers every waiter. While
a round is in flight the next one gathers, so the rounds grow with the load
and the commits per second stay about what one connection can fsync.

A waiter is answered only after the round's COMMIT returned: an acknowledged
submission is on disk (synchronous_commit stays on). If the round fails,
every waiter of that round gets the error (the endpoints answer 503 with
Retry-After, as for a single write). A connection found broken is replaced
on the next round; a round that is safe to repeat (`idempotent`: upserts,
counters) is retried once on a fresh connection. While the server cannot be
reached, a reconnection is tried at most every RECONNECT_GAP seconds and the
rounds in between fail at once, so an outage answers 503 quickly instead of
piling up waiters.

Used for signups and contact messages (forms.app.OutboxWriter) and the shared
rate limit (forms.ratelimit.BatchedRateLimiter).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Sequence

import psycopg

log = logging.getLogger("forms.group_commit")

MAX_ROUND = 512  # items per round: bounds one statement's arrays and one round's latency
RECONNECT_GAP = 0.5  # seconds between connection attempts while the server is away
CHECK_IDLE = 1.0  # a connection idle longer than this is checked before a round


class Unavailable(psycopg.OperationalError):
    """The database could not be reached for this round (the last attempt failed)."""


RoundFn = Callable[[psycopg.AsyncConnection, Sequence[Any]], Awaitable[Sequence[Any]]]


class Batcher:
    def __init__(self, name: str, url: str, run_round: RoundFn, *, timeout: float = 3.0,
                 idempotent: bool | Callable[[Sequence[Any]], bool] = False, prepare: Callable[[], Awaitable[None]] | None = None):
        """run_round(conn, items) -> one result per item; idempotent: a bool, or a
        function of the round's items; prepare(): awaited before the first round
        (forms.app: the outbox opened and migrated)."""
        self.name = name
        self.url = url
        self.run_round = run_round
        self.timeout = timeout
        self.idempotent = idempotent
        self.prepare = prepare
        self.rounds = 0
        self.items = 0
        self._queue: list[tuple[Any, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closing = False
        self._conn: psycopg.AsyncConnection | None = None
        self._used = 0.0
        self._failed_at = -1e9
        self._failure: BaseException | None = None
        self._prepared = prepare is None

    async def submit(self, item: Any) -> Any:
        if self._closing:
            raise Unavailable(f"{self.name}: the service is stopping")
        future = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(),
                                                                name=f"group-commit-{self.name}")
        return await future

    async def close(self) -> None:
        """Finishes what is queued, then closes the connection."""
        if self.rounds:
            log.info("%s: %d item(s) written in %d round(s)", self.name, self.items, self.rounds)
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _loop(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            await asyncio.sleep(0)  # let the requests already read join this round
            batch, self._queue = self._queue[:MAX_ROUND], self._queue[MAX_ROUND:]
            live = [(item, fut) for item, fut in batch if not fut.done()]
            if not live:
                continue
            try:
                results = await self._round([item for item, _ in live])
            except Exception as exc:  # every waiter of the round hears it
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.rounds += 1
            self.items += len(live)
            for (_, fut), result in zip(live, results):
                if not fut.done():
                    fut.set_result(result)

    async def _round(self, items: list) -> Sequence[Any]:
        if not self._prepared:
            await self.prepare()
            self._prepared = True
        for attempt in range(2):
            conn = await self._connection()
            try:
                results = await self.run_round(conn, items)
                self._used = time.monotonic()
                return results
            except psycopg.OperationalError:
                if not conn.broken and not conn.closed:
                    raise  # the server answered with an error: not a lost connection
                await self._drop()
                safe = self.idempotent(items) if callable(self.idempotent) else self.idempotent
                if attempt or not safe:
                    raise
        raise AssertionError("unreachable")

    async def _connection(self) -> psycopg.AsyncConnection:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            if time.monotonic() - self._used <= CHECK_IDLE:
                return conn
            try:  # idle a while: the server may have restarted since
                await conn.execute("SELECT 1")
                return conn
            except psycopg.OperationalError:
                await self._drop()
        if time.monotonic() - self._failed_at < RECONNECT_GAP and self._failure is not None:
            raise Unavailable(f"{self.name}: the database is unreachable: {self._failure}")
        try:
            self._conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=max(1, int(self.timeout))),
                self.timeout + 1)
        except (psycopg.Error, OSError, asyncio.TimeoutError) as exc:
            self._failed_at, self._failure = time.monotonic(), exc
            raise Unavailable(f"{self.name}: the database is unreachable: "
                              f"{type(exc).__name__}") from None
        self._failure = None
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except psycopg.Error:
                pass
