"""One delivery run: outbox signups to Mailchimp, contact messages and comment mails
(forms.mail_queue) to SMTP, retention.

The service's background worker and `make sync` (forms.sync) both call
run_delivery(); the worker waits out each item's backoff, a person's
`make sync` passes ignore_backoff=True and tries everything pending now.
Every report ends with the outbox's backlog (forms.queues): every item not yet
delivered, deferred and failed ones included, the oldest one's age and the
next retry time, so no summary can say "OK" over a stranded item.

On SQLite, runs never overlap, even across processes: a run holds an
exclusive lock on the file `<FORMS_DB>.lock` (flock, released by the kernel if
the process dies), which is also what lets a run safely retry a message left
in 'sending' by a killed run. On PostgreSQL, runs on any number of hosts go on
side by side: each claims its items (forms.outbox: SKIP LOCKED and a lease),
so no item is taken by two live runs.

Each run first records the results an earlier run could not write because the
database was away (Outbox.flush_unrecorded), before it claims anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterator

from . import mailchimp_sync
from .mail_queue import MailQueue
from .outbox import Outbox, utcnow
from .queues import Backlog, backlog, purge_delivered
from .settings import Settings
from .smtp_delivery import MessageReport, deliver_mails, deliver_messages

log = logging.getLogger("forms.delivery")


@dataclass
class SignupReport:
    sent: int = 0
    updated: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)
    ok: bool | None = None  # the sync's own verdict, when it gives one


@dataclass
class DeliveryReport:
    signups: SignupReport = field(default_factory=SignupReport)
    messages: MessageReport = field(default_factory=MessageReport)
    mails: MessageReport = field(default_factory=MessageReport)  # comment mails
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # "mailchimp not configured", ...
    busy: bool = False  # another run held the lock; nothing was done
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)  # run-level errors (a crashed step)
    totals: dict[str, int] = field(default_factory=dict)  # outbox counts after the run
    backlog: Backlog | None = None  # what is still undelivered after the run

    @property
    def ok(self) -> bool:
        """False if this run failed anything, or anything in the outbox is still
        undelivered because of an error (deferred or failed, in this run or before)."""
        s, m, q = self.signups, self.messages, self.mails
        if self.errors or s.failed or m.failed or q.failed or s.ok is False:
            return False
        if (s.errors and s.pending) or m.deferred or q.deferred:
            return False
        if self.backlog is not None and self.backlog.errored and not self.dry_run:
            return False
        return not self.busy

    def summary(self) -> str:
        s, m = self.signups, self.messages
        parts = [
            "dry run:" if self.dry_run else "delivery:",
            f"signups sent={s.sent} updated={s.updated} failed={s.failed} pending={s.pending};",
            f"messages sent={m.sent} failed={m.failed} deferred={m.deferred} pending={m.pending};",
            f"mails sent={self.mails.sent} failed={self.mails.failed} "
            f"deferred={self.mails.deferred} pending={self.mails.pending};",
            f"deleted={self.deleted}",
        ]
        if self.skipped:
            parts.append("(" + "; ".join(self.skipped) + ")")
        if self.busy:
            parts.append("(another delivery run is in progress)")
        if self.backlog is not None:  # failures of earlier runs stay visible until requeued
            parts.append("| outbox: " + self.backlog.summary() + " |")
        parts.append("OK" if self.ok else "FAILED")
        return " ".join(parts)


@contextlib.contextmanager
def delivery_lock(outbox: Outbox, wait: float = 0.0) -> Iterator[bool]:
    """Yields True with the lock held, or False if another run kept it for `wait` seconds.
    On PostgreSQL always True at once: claims keep concurrent runs apart."""
    if outbox.path is None:
        yield True
        return
    path = outbox.path.with_name(outbox.path.name + ".lock")
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_delivery(
    settings: Settings, outbox: Outbox, *, dry_run: bool = False, wait: float = 0.0,
    progress=None, ignore_backoff: bool = False,
) -> DeliveryReport:
    report = DeliveryReport(dry_run=dry_run)
    with delivery_lock(outbox, wait) as held:
        if not held:
            report.busy = True
            report.backlog = backlog(outbox)
            return report
        if not dry_run:
            outbox.flush_unrecorded()  # raises while the database is still away: nothing claimed
            outbox.release_claims()
            # An erased person's rows brought back by a restored backup never leave.
            from .erasure import scrub_outbox

            scrub_outbox(settings, outbox, only_undelivered=True)
        _sync_signups(settings, outbox, report, dry_run, progress, ignore_backoff)
        _send_messages(settings, outbox, report, dry_run, ignore_backoff)
        _send_mails(settings, outbox, report, dry_run, ignore_backoff)
        if not dry_run:
            report.deleted = sum(purge_delivered(outbox, settings).values())
        if not dry_run and settings.comments_ip_retention_days > 0:
            from .comments.store import CommentStore

            cutoff = utcnow() - timedelta(days=settings.comments_ip_retention_days)
            CommentStore(outbox).drop_ips_before(cutoff)
        report.totals = outbox.counts()
        report.backlog = backlog(outbox)
    return report


def _sync_signups(settings: Settings, outbox: Outbox, report: DeliveryReport, dry_run: bool,
                  progress=None, ignore_backoff: bool = False) -> None:
    if not settings.mailchimp_enabled:
        waiting = outbox.counts()["signups_pending"]
        report.skipped.append(f"mailchimp not configured, {waiting} signup(s) waiting")
        return
    try:
        result = mailchimp_sync.sync_signups(outbox, settings, dry_run=dry_run, progress=progress,
                                             ignore_backoff=ignore_backoff)
    except Exception as exc:  # one failing step must not stop the contact mail
        error = settings.redact(f"mailchimp sync crashed: {type(exc).__name__}: {exc}")
        report.errors.append(error)
        log.error("%s", error)
        return
    report.signups = _signup_report(result)


def _send_messages(settings: Settings, outbox: Outbox, report: DeliveryReport, dry_run: bool,
                   ignore_backoff: bool = False) -> None:
    if not settings.smtp_enabled:
        waiting = outbox.counts()["messages_pending"]
        report.skipped.append(f"smtp not configured, {waiting} message(s) waiting")
        return
    try:
        report.messages = deliver_messages(settings, outbox, dry_run=dry_run,
                                           ignore_backoff=ignore_backoff)
    except Exception as exc:
        error = settings.redact(f"contact mail crashed: {type(exc).__name__}: {exc}")
        report.errors.append(error)
        log.error("%s", error)


def _send_mails(settings: Settings, outbox: Outbox, report: DeliveryReport, dry_run: bool,
                ignore_backoff: bool = False) -> None:
    queue = MailQueue(outbox)
    if not settings.mail_enabled:
        waiting = outbox.counts()["mails_pending"]
        if waiting:
            report.skipped.append(f"smtp not configured, {waiting} comment mail(s) waiting")
        return
    try:
        report.mails = deliver_mails(settings, queue, dry_run=dry_run, ignore_backoff=ignore_backoff)
    except Exception as exc:
        error = settings.redact(f"comment mail crashed: {type(exc).__name__}: {exc}")
        report.errors.append(error)
        log.error("%s", error)


def _signup_report(result: Any) -> SignupReport:
    """Reads the Mailchimp sync's result, whether an object with counters or a dict."""
    if isinstance(result, SignupReport):
        return result

    def get(*names: str) -> Any:
        for name in names:
            value = result.get(name) if isinstance(result, dict) else getattr(result, name, None)
            if value is not None:
                return value
        return 0

    def number(*names: str) -> int:
        value = get(*names)
        return len(value) if isinstance(value, (list, tuple, set, dict)) else int(value or 0)

    errors = [str(e) for e in (get("errors") or get("failures") or [])]
    error = get("error")  # a run that could not proceed (e.g. a wrong API key)
    if isinstance(error, str) and error:
        errors.insert(0, error)
    verdict = get("ok")
    return SignupReport(
        sent=number("sent", "added", "subscribed", "created"),
        updated=number("updated"),
        failed=number("failed"),
        pending=number("pending") or number("would_send"),
        errors=errors,
        ok=verdict if isinstance(verdict, bool) else None,
    )
