"""`make sync`: one delivery run from the command line.

    python -m forms.sync [--dry-run] [--retry-failed] [--wait SECONDS]

A person runs this after fixing a cause, so it ignores backoff: every pending
item is tried now, deferred ones included (the service's worker keeps its
backoff and jitter). Prints one summary line that ends with the outbox's
backlog: every item still undelivered (deferred and failed ones included),
the oldest one's age and the next retry time. On a terminal, a progress bar
while signups go to Mailchimp; with --dry-run, each signup and message that
would be sent.
Exit status: 0 nothing undelivered because of an error (items waiting only
because Mailchimp or SMTP is not configured do not count), 1 something failed
or anything in the outbox is deferred or failed, 2 bad configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys

from tqdm import tqdm

from .db import DB_ERRORS
from .delivery import run_delivery
from .mail_queue import MailQueue
from .outbox import Outbox
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forms.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="report what would be sent, send nothing")
    parser.add_argument(
        "--retry-failed", action="store_true",
        help="first put contact messages that failed for good back in the queue",
    )
    parser.add_argument(
        "--wait", type=float, default=120.0,
        help="seconds to wait for a delivery run already in progress (default 120)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"forms.sync: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        outbox = Outbox.from_settings(settings)
    except DB_ERRORS as exc:
        print(f"forms.sync: the outbox database cannot be reached: "
              f"{settings.redact(str(exc)).strip()}", file=sys.stderr)
        return 1
    try:
        if args.retry_failed and not args.dry_run:
            print(f"requeued {outbox.retry_failed_messages()} failed message(s)")
            print(f"requeued {MailQueue(outbox).retry_failed()} failed comment mail(s)")
        if args.dry_run:
            _show_what_would_be_sent(settings, outbox)
        with _progress_bar(enabled=sys.stderr.isatty() and not args.dry_run) as progress:
            report = run_delivery(settings, outbox, dry_run=args.dry_run, wait=args.wait,
                                  progress=progress, ignore_backoff=True)
    finally:
        outbox.close()
    print(report.summary())
    for error in report.errors + report.signups.errors + report.messages.errors:
        print(f"  error: {error}", file=sys.stderr)
    return 0 if report.ok else 1


def _show_what_would_be_sent(settings: Settings, outbox: Outbox) -> None:
    signups = outbox.pending_signups(ignore_backoff=True)
    where = "Mailchimp" if settings.mailchimp_enabled else "Mailchimp (not configured)"
    print(f"would send {len(signups)} signup(s) to {where}:")
    for signup in signups:
        print(f"  {signup.email}  FNAME={signup.name!r}  tag=source:{signup.source}")
    messages = outbox.due_messages(ignore_backoff=True)
    print(f"would email {len(messages)} contact message(s) to {settings.contact_to or '(CONTACT_TO not set)'}:")
    for message in messages:
        print(f"  from {message.name} <{message.email}>, {len(message.message)} characters")


@contextlib.contextmanager
def _progress_bar(enabled: bool):
    """A tqdm bar fed by the sync's progress(done, total) callback."""
    if not enabled:
        yield None
        return
    bar = tqdm(total=0, unit="step", desc="Mailchimp", file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield progress
    finally:
        bar.close()


if __name__ == "__main__":
    sys.exit(main())
