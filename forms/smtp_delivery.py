"""Contact messages from the outbox to the team inbox, over SMTP (standard library only).

Each message is a plain-text email From CONTACT_FROM To CONTACT_TO with the
visitor in Reply-To; the visitor's words are quoted in the body as data and
never reach a header except through the email package's header machinery.

Crash safety. A row is marked 'sending' (committed) just before its SMTP
transaction and 'delivered' right after the server accepts it. A run that is
killed between the two leaves the row in 'sending'; the next run sends it
again. So a message is never lost, and can be duplicated only if the process
dies in the moment after the server accepted the message and before the outbox
recorded it. Both copies carry the same Message-ID (fixed when the message was
stored), so mail clients and the receiving server can recognise the resend.

Failures: connection problems, timeouts and 4xx replies defer the message
(exponential backoff, 1 minute doubling up to 1 hour, with +-20% jitter so
retries after an outage do not arrive all at once; it stays pending). A
person's `make sync` passes ignore_backoff=True and tries every pending
message at once; the worker waits out the backoff.
A 5xx reply to the message's own transaction marks it failed, with the reply.
A 5xx while connecting or logging in is a configuration problem, not the
message's: those messages are deferred too.
"""

from __future__ import annotations

import logging
import random
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Callable

from .mail_queue import MailQueue, QueuedMail
from .outbox import Message, Outbox, utcnow
from .settings import Settings

log = logging.getLogger("forms.smtp")

# 7bit: non-ASCII text is quoted-printable/base64, so no server needs 8BITMIME.
# refold_source="none": the one header we write ready-folded (Reply-To) is left as is.
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")
_PHRASE_SPECIALS = re.compile(r'[][\\()<>@,:;".]|=\?')
BACKOFF_BASE = 60
BACKOFF_CAP = 3600


@dataclass
class MessageReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    pending: int = 0  # due but not attempted (dry run, or a run cut short)
    errors: list[str] = field(default_factory=list)


class _Transient(Exception):
    """Retry later: the message stays pending."""


class _Permanent(Exception):
    """Never retry: the message is marked failed."""

    def __init__(self, reason: str, reply: str):
        super().__init__(reason)
        self.reply = reply


def backoff(attempts: int, jitter: float = 0.2) -> timedelta:
    """Delay before the next try after `attempts` failed tries: 1, 2, 4 ... 60 minutes,
    each spread by +-jitter."""
    base = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return timedelta(seconds=base * (1 + jitter * (2 * random.random() - 1)))


def compose(settings: Settings, msg: Message) -> EmailMessage:
    """The email for one outbox message; the same bytes every time it is sent."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = settings.contact_from or settings.contact_to
    mail["To"] = settings.contact_to
    mail.set_raw("Reply-To", reply_to(msg.name, msg.email))
    mail.set_raw("Subject", folded("Subject", f"[{settings.sitename}] Contact form: {msg.name}"))
    mail["Date"] = format_datetime(datetime.fromisoformat(msg.created_at))
    mail["Message-ID"] = msg.message_id
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(body(msg))
    return mail


def folded(header: str, text: str) -> str:
    """An unstructured header's value (Subject), encoded and folded with every space intact.

    Not through the email policy's own folder: when Python (3.11) folds a long
    non-ASCII header, it turns a space between two words into the whitespace
    between two encoded-words, which RFC 2047 tells mail clients to drop
    ("💖 💘" arrives as "💖💘"). email.header.Header keeps the spaces inside
    the encoded-words. ASCII text containing "=?" is encoded too, so a client
    never decodes a visitor's text as an encoded-word."""
    charset = "us-ascii" if text.isascii() and "=?" not in text else "utf-8"
    return Header(text, charset, maxlinelen=76, header_name=header).encode(linesep="\r\n")


def reply_to(name: str, addr: str) -> str:
    """The Reply-To header's value, folded, with the visitor's name intact (see folded()).
    An ASCII name with specials (or "=?") becomes a quoted-string."""
    if not name:
        return addr
    if name.isascii():
        if _PHRASE_SPECIALS.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    encoded = Header(name, "utf-8", maxlinelen=76, header_name="Reply-To").encode(linesep="\r\n")
    return f"{encoded}\r\n <{addr}>"


def body(msg: Message) -> str:
    # Split on LF only (validation made it the one line end): splitlines() would also
    # break at form feeds, U+2028 and the like, and the text would not arrive intact.
    quoted = "\n".join(f"> {line}" if line else ">" for line in msg.message.split("\n"))
    return (
        "A visitor sent this message through the contact form.\n"
        "Reply to this email to answer them.\n"
        "\n"
        f"Name:      {msg.name}\n"
        f"Email:     {msg.email}\n"
        f"Page:      {msg.source or '-'}\n"
        f"Received:  {msg.created_at}\n"
        f"Subscribe: {'yes' if msg.subscribe else 'no'}\n"
        "\n"
        f"{quoted}\n"
    )


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _connect(settings: Settings) -> smtplib.SMTP:
    """An authenticated session, or _Transient: every failure here is the setup's, not a message's."""
    try:
        if settings.smtp_ssl:  # implicit TLS ("SMTPS", port 465)
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                    timeout=settings.smtp_timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                                timeout=settings.smtp_timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise _Transient(f"cannot connect to {settings.smtp_host}:{settings.smtp_port}: {exc}")
    try:
        smtp.ehlo()
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
    except smtplib.SMTPAuthenticationError as exc:
        smtp.close()
        # The reply text, never the credentials.
        raise _Transient(f"SMTP login refused: {_reply(exc.smtp_code, exc.smtp_error)}")
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise _Transient(f"SMTP session setup failed: {type(exc).__name__}: {exc}")
    return smtp


def _send_one(smtp: smtplib.SMTP, settings: Settings, mail: EmailMessage,
              sender: str | None = None, recipient: str | None = None) -> str:
    """One SMTP transaction. Returns the server's acceptance reply."""
    sender = sender or settings.contact_from or settings.contact_to
    try:
        for code, reply in (
            smtp.mail(sender),
            smtp.rcpt(recipient or settings.contact_to),
        ):
            if code not in (250, 251):
                _refused(smtp, code, reply)
        code, reply = smtp.data(mail.as_bytes(policy=MAIL_POLICY))
        if code != 250:
            _refused(smtp, code, reply)
    except smtplib.SMTPDataError as exc:  # data() raises for a non-354 reply to DATA
        _refused(smtp, exc.smtp_code, exc.smtp_error)
    return _reply(code, reply)


def _refused(smtp: smtplib.SMTP, code: int, reply: bytes | str):
    text = _reply(code, reply)
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass
    if 500 <= code < 600:
        raise _Permanent("rejected by the SMTP server", text)
    raise _Transient(f"SMTP server deferred: {text}")


@dataclass(frozen=True)
class _Marks:
    """How one queue records each step of a delivery: (id) for sending, (id, reply)
    for delivered, (id, reason, reply="") for failed, (id, error, retry_at,
    count_attempt=False) for deferred, and keep_claims() to renew the lease."""
    sending: Callable[[int], None]
    delivered: Callable[..., None]
    failed: Callable[..., None]
    defer: Callable[..., None]
    keep_claims: Callable[[], None]


def _send_due(settings: Settings, due: list, report: MessageReport, marks: _Marks, *,
              compose: Callable[[object], EmailMessage], envelope: Callable[[object], tuple],
              label: str) -> MessageReport:
    """Send the items a run has claimed, over one SMTP connection, marking each one."""
    try:
        smtp = _connect(settings)
    except _Transient as exc:
        error = settings.redact(str(exc))
        log.warning("%s: %s; %d deferred", label, error, len(due))
        report.errors.append(error)
        for item in due:
            marks.defer(item.id, error, utcnow() + backoff(item.attempts + 1), count_attempt=True)
            report.deferred += 1
        return report
    try:
        for index, item in enumerate(due):
            try:
                mail = compose(item)
            except (ValueError, TypeError) as exc:  # an address the header machinery refuses
                marks.failed(item.id, f"cannot compose: {exc}")
                report.failed += 1
                continue
            marks.keep_claims()
            marks.sending(item.id)
            try:
                reply = _send_one(smtp, settings, mail, *envelope(item))
            except _Permanent as exc:
                marks.failed(item.id, str(exc), exc.reply)
                log.warning("%s %d failed: %s", label, item.id, exc.reply)
                report.failed += 1
            except _Transient as exc:
                error = settings.redact(str(exc))
                marks.defer(item.id, error, utcnow() + backoff(item.attempts + 1))
                report.errors.append(error)
                report.deferred += 1
            except (OSError, smtplib.SMTPException) as exc:
                # The connection broke mid-transaction: we cannot know whether the
                # server kept the mail, so it is retried (same Message-ID).
                error = settings.redact(f"SMTP connection lost: {type(exc).__name__}: {exc}")
                marks.defer(item.id, error, utcnow() + backoff(item.attempts + 1))
                report.errors.append(error)
                report.deferred += 1
                report.pending += len(due) - index - 1  # the rest: next run, new connection
                log.warning("%s: %s", label, error)
                return report
            else:
                marks.delivered(item.id, reply)
                report.sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException, socket.timeout):
            smtp.close()
    return report


def deliver_messages(
    settings: Settings, outbox: Outbox, *, dry_run: bool = False, now: datetime | None = None,
    ignore_backoff: bool = False,
) -> MessageReport:
    """Send every due contact message once (every pending one with ignore_backoff) that
    this run could claim (forms.outbox). On SQLite, call with the delivery lock held."""
    report = MessageReport()
    if dry_run:  # read only: a dry run claims nothing
        report.pending = len(outbox.due_messages(now=now, ignore_backoff=ignore_backoff))
        return report
    due = outbox.claim_due_messages(now=now, ignore_backoff=ignore_backoff)
    if not due:
        return report
    marks = _Marks(outbox.mark_sending, outbox.mark_delivered, outbox.mark_message_failed,
                   outbox.defer_message, outbox.keep_claims)
    return _send_due(settings, due, report, marks, compose=lambda msg: compose(settings, msg),
                     envelope=lambda msg: (), label="contact mail")


# -- queued mails (forms.mail_queue): comment moderation and notifications ----


def compose_queued(settings: Settings, item: QueuedMail) -> EmailMessage:
    """A queued mail as sent; the same bytes on every retry."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail.set_raw("From", reply_to(settings.sitename, settings.mail_from))
    mail["To"] = item.recipient
    # Subjects hold commenters' names: folded like the contact mail's, spaces intact.
    mail.set_raw("Subject", folded("Subject", item.subject))
    mail["Date"] = format_datetime(datetime.fromisoformat(item.created_at))
    mail["Message-ID"] = item.message_id
    mail["Auto-Submitted"] = "auto-generated"
    for name, value in item.headers.items():
        mail[name] = value
    mail.set_content(item.body)
    return mail


def deliver_mails(settings: Settings, queue: MailQueue, *, dry_run: bool = False,
                  ignore_backoff: bool = False) -> MessageReport:
    """Send every due queued mail once that this run could claim (forms.mail_queue).
    On SQLite, call with the delivery lock held."""
    report = MessageReport()
    if dry_run:  # read only: a dry run claims nothing
        report.pending = len(queue.due(ignore_backoff=ignore_backoff))
        return report
    due = queue.claim_due(ignore_backoff=ignore_backoff)
    if not due:
        return report
    marks = _Marks(queue.mark_sending, queue.mark_delivered, queue.mark_failed, queue.defer,
                   queue.outbox.keep_claims)
    return _send_due(settings, due, report, marks, compose=lambda item: compose_queued(settings, item),
                     envelope=lambda item: (settings.mail_from, item.recipient), label="queued mail")
