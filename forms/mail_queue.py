"""Queued outgoing mails (the outbox's `mails` table): any mail the service
sends to someone other than the team inbox -- moderators' notices of new
comments, a commenter's links, reply notifications.

Retention and the backlog count come from its entry in forms.queues.QUEUES;
a person's mails from its entry in forms.person.STORES.

Each row holds the finished mail (recipient, subject, text, extra headers and
a Message-ID fixed when queued), so a retry sends the same bytes. The same SMTP
delivery that sends contact messages (forms.smtp_delivery.deliver_mails, run
by the worker and `make sync`) sends these, with the same crash-safety:
'sending' is committed just before the SMTP transaction, 'delivered' right
after the server accepts it. Runs claim the mails they send, as they claim
contact messages (forms.outbox: SKIP LOCKED and a lease on PostgreSQL), and a
result the database could not take is kept by the outbox until it is back.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from .outbox import Outbox, _results, iso, utcnow


@dataclass(frozen=True)
class QueuedMail:
    id: int
    kind: str
    recipient: str
    subject: str
    body: str
    headers: dict
    created_at: str
    attempts: int
    message_id: str


_COLUMNS = "id, kind, recipient, subject, body, headers, created_at, attempts, message_id"


class MailQueue:
    def __init__(self, outbox: Outbox, message_id_domain: str = "forms.invalid"):
        self.outbox = outbox
        self.domain = message_id_domain

    def _conn(self):
        return self.outbox._conn()

    def add(self, kind: str, recipient: str, subject: str, body: str, *,
            headers: dict | None = None, comment_id: int | None = None) -> int:
        """Queue one mail; call inside the caller's transaction when it belongs to one."""
        message_id = f"<{uuid.uuid4().hex}@{self.domain}>"
        return self._conn().execute(
            """INSERT INTO mails (kind, recipient, subject, body, headers, comment_id,
                                  created_at, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               RETURNING id""",
            (kind, recipient, subject, body, json.dumps(headers or {}), comment_id,
             iso(utcnow()), message_id),
        ).fetchone()[0]

    def claim_due(self, now: datetime | None = None, *, ignore_backoff: bool = False) -> list[QueuedMail]:
        """Claims the pending mails whose time has come (all pending ones with
        ignore_backoff), plus any left 'sending' by a run that died (on PostgreSQL once
        its lease has run out); mails another live run has claimed are skipped."""
        now = now or utcnow()
        stamp = iso(now)
        self.outbox.renew_claims()  # and the clock of keep_claims() starts now
        rows = self._conn().execute(
            f"""UPDATE mails SET claimed_by = ?, claimed_until = ?
                WHERE id IN (SELECT id FROM mails
                    WHERE (status = 'sending'
                           OR (status = 'pending'
                               AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?)))
                      AND {self.outbox.claimable()}
                    ORDER BY id{self.outbox.db.skip_locked})
                RETURNING {_COLUMNS}""",
            (self.outbox.owner, self.outbox.lease_end(now), bool(ignore_backoff), stamp, stamp),
        ).fetchall()
        return sorted((_mail(r) for r in rows), key=lambda m: m.id)

    def due(self, now: datetime | None = None, *, ignore_backoff: bool = False) -> list[QueuedMail]:
        """What claim_due() would take, read only (a dry run)."""
        rows = self._conn().execute(
            f"""SELECT {_COLUMNS} FROM mails
                WHERE status = 'sending'
                   OR (status = 'pending'
                       AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?))
                ORDER BY id""",
            (bool(ignore_backoff), iso(now or utcnow())),
        ).fetchall()
        return [_mail(r) for r in rows]

    def mark_sending(self, id: int) -> None:
        self._conn().execute(
            """UPDATE mails SET status = 'sending', attempts = attempts + 1,
                      claimed_by = ?, claimed_until = ? WHERE id = ?""",
            (self.outbox.owner, self.outbox.lease_end(), id))

    @_results
    def mark_delivered(self, id: int, smtp_reply: str = "") -> None:
        self._conn().execute(
            """UPDATE mails SET status = 'delivered', delivered_at = ?, smtp_reply = ?,
                      last_error = NULL, next_attempt_at = NULL,
                      claimed_by = NULL, claimed_until = NULL WHERE id = ?""",
            (iso(utcnow()), smtp_reply, id))

    @_results
    def mark_failed(self, id: int, reason: str, smtp_reply: str = "") -> None:
        self._conn().execute(
            """UPDATE mails SET status = 'failed', last_error = ?, smtp_reply = ?,
                      next_attempt_at = NULL, claimed_by = NULL, claimed_until = NULL
               WHERE id = ?""", (reason, smtp_reply, id))

    @_results
    def defer(self, id: int, error: str, retry_at: datetime, *, count_attempt: bool = False) -> None:
        self._conn().execute(
            """UPDATE mails SET status = 'pending', last_error = ?, next_attempt_at = ?,
                      attempts = attempts + ?, claimed_by = NULL, claimed_until = NULL
               WHERE id = ?""",
            (error, iso(retry_at), int(count_attempt), id))

    def retry_failed(self) -> int:
        return self._conn().execute(
            """UPDATE mails SET status = 'pending', attempts = 0, next_attempt_at = NULL
               WHERE status = 'failed'""").rowcount

    def rows(self, kind: str | None = None) -> list[dict]:
        """Every queued mail (for tools and tests)."""
        cursor = self._conn().execute(
            "SELECT * FROM mails WHERE (? IS NULL OR kind = ?) ORDER BY id", (kind, kind))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    # -- person data (make person export|erase, forms.person) -------------

    def export(self, email: str) -> list[dict]:
        return [r for r in self.rows() if r["recipient"].lower() == email.strip().lower()]

    def erase(self, email: str, before: str | None = None) -> int:
        """Delete the mails to `email` (with before, an ISO time: only those queued no later)."""
        return self._conn().execute(
            """DELETE FROM mails WHERE lower(recipient) = lower(?)
                      AND (? IS NULL OR created_at <= ?)""",
            (email.strip(), before, before)).rowcount

    def addresses(self) -> list[str]:
        return [r[0] for r in self._conn().execute("SELECT DISTINCT lower(recipient) FROM mails")]


def _mail(r) -> QueuedMail:
    return QueuedMail(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8])
