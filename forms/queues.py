"""The outbox's delivery queues, and the one truthful account of what is not yet delivered.

Every summary (`make sync`, the worker's log line, `make publish`'s sync,
`GET /api/health`, `make outbox`) is built from backlog(), which reads every
queue in QUEUES. An item is *undelivered* until its queue marks it delivered:

    waiting    pending and due now (never tried, or its retry time has come)
    sending    claimed by a run that may have been killed; the next run resends it
    deferred   pending after a transient error, waiting for next_attempt_at
    failed     refused for good; stays until requeued (`make outbox ARGS="requeue ..."`)

Adding a queue (a table with the columns id, status, attempts, last_error,
next_attempt_at and a timestamp column) is one entry in QUEUES.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from .outbox import Outbox, iso, utcnow


@dataclass(frozen=True)
class Queue:
    name: str  # as shown in summaries and taken by `make outbox --queue`
    table: str
    delivered: str  # the status meaning "done" ('synced', 'delivered')
    since: str = "created_at"  # when the item started waiting
    delivered_at: str = ""  # column with the delivery time ('' if none)
    describe: str = "''"  # SQL expression: a short label for listings (the address)
    email: str = "email"  # column with the person's address (erasure scrubs by it)
    reason: str = "last_error"  # SQL expression: why the last attempt failed
    # Days a delivered item is kept before `make outbox ARGS=purge` deletes it; None: never.
    retention_days: Callable[[object], int | None] = lambda settings: None


QUEUES: list[Queue] = [
    Queue("signups", "signups", delivered="synced", since="updated_at", delivered_at="synced_at",
          describe="email"),
    Queue("messages", "messages", delivered="delivered", delivered_at="delivered_at",
          describe="name || ' <' || email || '>'",
          reason="last_error || coalesce(': ' || nullif(smtp_reply, ''), '')",
          retention_days=lambda s: getattr(s, "contact_retention_days", 0) or None),
    # Comment mails (forms.mail_queue): moderators, commenters, reply notifications.
    Queue("comment-mails", "mails", delivered="delivered", delivered_at="delivered_at",
          describe="kind || ' to ' || recipient", email="recipient",
          reason="last_error || coalesce(': ' || nullif(smtp_reply, ''), '')",
          retention_days=lambda s: getattr(s, "contact_retention_days", 0) or None),
]


def queue(name: str) -> Queue:
    for q in QUEUES:
        if q.name == name:
            return q
    raise KeyError(f"unknown queue {name!r}; one of: {', '.join(q.name for q in QUEUES)}")


def _state_sql(now: str) -> str:
    """SQL CASE giving each undelivered row its state (see the module docstring)."""
    return (
        "CASE WHEN status = 'failed' THEN 'failed' "
        "WHEN status = 'sending' THEN 'sending' "
        f"WHEN next_attempt_at IS NOT NULL AND next_attempt_at > '{now}' THEN 'deferred' "
        "ELSE 'waiting' END"
    )


@dataclass
class QueueBacklog:
    name: str
    waiting: int = 0
    sending: int = 0
    deferred: int = 0
    failed: int = 0
    errored: int = 0  # undelivered items whose last attempt ended in an error
    oldest: str | None = None  # since-timestamp of the oldest undelivered item
    oldest_id: int | None = None
    next_attempt: str | None = None  # earliest retry time of a deferred item

    @property
    def undelivered(self) -> int:
        return self.waiting + self.sending + self.deferred + self.failed


@dataclass
class Backlog:
    now: datetime
    queues: list[QueueBacklog] = field(default_factory=list)

    @property
    def undelivered(self) -> int:
        return sum(q.undelivered for q in self.queues)

    @property
    def errored(self) -> int:
        return sum(q.errored for q in self.queues)

    @property
    def oldest(self) -> QueueBacklog | None:
        dated = [q for q in self.queues if q.oldest]
        return min(dated, key=lambda q: q.oldest) if dated else None

    @property
    def oldest_age(self) -> float | None:
        """Seconds the oldest undelivered item has waited."""
        q = self.oldest
        return None if q is None else (self.now - datetime.fromisoformat(q.oldest)).total_seconds()

    @property
    def next_attempt(self) -> str | None:
        times = [q.next_attempt for q in self.queues if q.next_attempt]
        return min(times) if times else None

    def summary(self) -> str:
        """One line, e.g. 'undelivered=2 (messages: deferred=1 failed=1) oldest=5m02s
        (messages #1) next_attempt=2026-01-31T12:05:00Z (in 58s)'."""
        if not self.undelivered:
            return "undelivered=0"
        parts = []
        for q in self.queues:
            if q.undelivered:
                states = " ".join(f"{s}={getattr(q, s)}" for s in ("waiting", "sending", "deferred", "failed")
                                  if getattr(q, s))
                parts.append(f"{q.name}: {states}")
        text = f"undelivered={self.undelivered} ({'; '.join(parts)})"
        oldest = self.oldest
        if oldest is not None:
            text += f" oldest={duration(self.oldest_age)} ({oldest.name} #{oldest.oldest_id})"
        nxt = self.next_attempt
        if nxt:
            wait = (datetime.fromisoformat(nxt) - self.now).total_seconds()
            text += f" next_attempt={short_time(nxt)} (in {duration(max(wait, 0))})"
        return text

    def as_dict(self) -> dict:
        return {
            "undelivered": self.undelivered,
            "with_errors": self.errored,
            "oldest_age_seconds": None if self.oldest_age is None else round(self.oldest_age, 1),
            "oldest": None if self.oldest is None else {"queue": self.oldest.name,
                                                        "since": self.oldest.oldest},
            "next_attempt": self.next_attempt,
            "queues": {q.name: {"undelivered": q.undelivered, "waiting": q.waiting,
                                "sending": q.sending, "deferred": q.deferred, "failed": q.failed,
                                "oldest": q.oldest, "next_attempt": q.next_attempt}
                       for q in self.queues},
        }


def backlog(outbox: Outbox, now: datetime | None = None) -> Backlog:
    """Every queue's undelivered items by state, the oldest one and the next retry time."""
    now = now or utcnow()
    stamp = iso(now)
    result = Backlog(now=now)
    conn = outbox._conn()
    for q in QUEUES:
        qb = QueueBacklog(q.name)
        where = f"status != '{q.delivered}'"
        for state, n, errored in conn.execute(
            f"SELECT {_state_sql(stamp)} AS state, count(*), count(last_error) FROM {q.table} "
            f"WHERE {where} GROUP BY state"
        ):
            setattr(qb, state, n)
            qb.errored += errored
        row = conn.execute(
            f"SELECT {q.since}, id FROM {q.table} WHERE {where} ORDER BY {q.since}, id LIMIT 1"
        ).fetchone()
        if row:
            qb.oldest, qb.oldest_id = row
        qb.next_attempt = conn.execute(
            f"SELECT min(next_attempt_at) FROM {q.table} WHERE status = 'pending' "
            "AND next_attempt_at > ?", (stamp,)
        ).fetchone()[0]
        result.queues.append(qb)
    return result


def items(outbox: Outbox, *, include_delivered: bool = False, queue_name: str | None = None,
          now: datetime | None = None) -> list[dict]:
    """Rows for `make outbox`: queue, id, state, who, since, attempts, next attempt, reason."""
    stamp = iso(now or utcnow())
    out = []
    conn = outbox._conn()
    for q in QUEUES:
        if queue_name and q.name != queue_name:
            continue
        where = "" if include_delivered else f"WHERE status != '{q.delivered}'"
        state = f"CASE WHEN status = '{q.delivered}' THEN 'delivered' ELSE {_state_sql(stamp)} END"
        for row in conn.execute(
            f"SELECT id, {state}, {q.describe}, {q.since}, attempts, next_attempt_at, {q.reason} "
            f"FROM {q.table} {where} ORDER BY {q.since}, id"
        ):
            out.append(dict(zip(("id", "state", "who", "since", "attempts", "next_attempt",
                                 "reason"), row), queue=q.name))
    out.sort(key=lambda r: (r["since"] or "", r["queue"], r["id"]))
    return out


def requeue(outbox: Outbox, queue_name: str | None = None, item_id: int | None = None) -> int:
    """Failed or deferred items back to 'waiting' with fresh retries; returns how many."""
    changed = 0
    for q in QUEUES:
        if queue_name and q.name != queue_name:
            continue
        sql = (f"UPDATE {q.table} SET status = 'pending', attempts = 0, next_attempt_at = NULL, "
               "last_error = NULL "
               f"WHERE status IN ('failed', 'pending')"
               " AND (status = 'failed' OR next_attempt_at IS NOT NULL)")
        params: tuple = ()
        if item_id is not None:
            sql += " AND id = ?"
            params = (item_id,)
        changed += outbox._conn().execute(sql, params).rowcount
    return changed


def purge_delivered(outbox: Outbox, settings, now: datetime | None = None) -> dict[str, int]:
    """Delete delivered items older than their queue's retention; {queue: count}."""
    from datetime import timedelta

    now = now or utcnow()
    purged = {}
    for q in QUEUES:
        days = q.retention_days(settings)
        if not days or not q.delivered_at:
            continue
        cutoff = iso(now - timedelta(days=days))
        purged[q.name] = outbox._conn().execute(
            f"DELETE FROM {q.table} WHERE status = ? AND {q.delivered_at} < ?",
            (q.delivered, cutoff),
        ).rowcount
    return purged


def duration(seconds: float | None) -> str:
    """12s, 5m02s, 3h04m, 2d03h."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def short_time(stamp: str) -> str:
    """'2026-01-31T12:05:00Z' from an outbox timestamp."""
    return datetime.fromisoformat(stamp).strftime("%Y-%m-%dT%H:%M:%SZ")
