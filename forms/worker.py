"""The background worker: runs delivery in a thread, on a timer and right after each submission.

It waits out each item's backoff (with jitter), unlike a person's `make sync`.
Its log line is the delivery summary, backlog included; it is written after a
run that did something, when the backlog changes, and at least every
LOG_EVERY seconds while anything is undelivered. While it holds delivery
results the database could not take (it went away), it retries every second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from .db import DB_ERRORS
from .delivery import run_delivery
from .outbox import Outbox
from .settings import Settings

log = logging.getLogger("forms.worker")

# Under a burst of submissions, runs start at most this often (seconds); each
# run takes everything pending, so batching costs no delivery, only CPU.
MIN_GAP = 0.5
LOG_EVERY = 300.0


class Worker:
    """Every FORMS_WORKER_INTERVAL seconds, and as soon as notify() is called,
    one delivery run in a thread (never on the event loop), one at a time.
    A notify() during a run causes one more run right after it."""

    def __init__(self, settings: Settings, outbox: Outbox | Callable[[], Outbox]):
        """outbox: the Outbox, or a function returning it (forms.app: it raises DB_ERRORS
        while a PostgreSQL outbox could not be opened yet; the run is then skipped)."""
        self.settings = settings
        self._outbox = outbox
        self._opened: Outbox | None = None
        self.runs = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._last_state: tuple | None = None
        self._last_logged = 0.0

    @property
    def outbox(self) -> Outbox | None:
        if isinstance(self._outbox, Outbox):
            return self._outbox
        try:
            return self._outbox()
        except DB_ERRORS:
            return None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="forms-worker")

    def notify(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Finishes the run in progress, if any, then returns."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            await asyncio.to_thread(self._run_once)
            # Results held in memory while the database was away, or an outbox not
            # opened yet: try again soon.
            outbox = self._opened
            interval = (min(1.0, self.settings.worker_interval)
                        if outbox is None or outbox.unrecorded else self.settings.worker_interval)
            try:
                await asyncio.wait_for(self._wake.wait(), interval)
            except asyncio.TimeoutError:
                pass
            if not self._stopping:
                await asyncio.sleep(max(0.0, started + MIN_GAP - loop.time()))
            self._wake.clear()

    def _run_once(self) -> None:
        outbox = self._opened = self.outbox
        if outbox is None:  # the database is still away: nothing can be claimed
            self.runs += 1
            return
        try:
            report = run_delivery(self.settings, outbox)
        except Exception as exc:  # keep the worker alive; never print secrets
            log.error("delivery run crashed: %s", self.settings.redact(f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self.runs += 1
        if report.busy:
            log.debug("delivery run skipped: another run holds the lock")
            return
        s, m, b = report.signups, report.messages, report.backlog
        state = None if b is None else tuple(
            (q.name, q.waiting, q.sending, q.deferred, q.failed) for q in b.queues)
        now = time.monotonic()
        did_something = (s.sent or s.updated or s.failed or m.sent or m.failed or m.deferred or report.errors
                        or report.mails.sent or report.mails.failed or report.mails.deferred)
        overdue = b is not None and b.undelivered and now - self._last_logged >= LOG_EVERY
        if did_something or state != self._last_state or overdue:
            level = logging.INFO if report.ok else logging.WARNING
            log.log(level, "%s", report.summary())
            self._last_logged = now
        self._last_state = state
