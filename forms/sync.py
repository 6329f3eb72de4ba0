"""`make sync`: one delivery run from the command line.

    python -m forms.sync [--dry-run] [--retry-failed] [--wait SECONDS]

Prints one summary line. Exit status: 0 all delivered (or nothing to do),
1 something failed or stays pending after an error, 2 bad configuration.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .delivery import run_delivery
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
    outbox = Outbox(settings.db_path)
    try:
        if args.retry_failed and not args.dry_run:
            print(f"requeued {outbox.retry_failed_messages()} failed message(s)")
        report = run_delivery(settings, outbox, dry_run=args.dry_run, wait=args.wait)
    finally:
        outbox.close()
    print(report.summary())
    for error in report.errors + report.signups.errors + report.messages.errors:
        print(f"  error: {error}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
