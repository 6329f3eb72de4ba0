"""`make outbox`: read the outbox, requeue what failed or waits out a backoff, purge old deliveries.

    python -m forms.outbox_cli [list] [--all] [--queue NAME] [--json]
    python -m forms.outbox_cli requeue QUEUE ID      one item back to 'waiting', fresh retries
    python -m forms.outbox_cli requeue --all [--queue NAME]
    python -m forms.outbox_cli purge                 delete delivered items past their retention
    python -m forms.outbox_cli copy-from-sqlite FILE  copy a SQLite outbox into FORMS_DB (PostgreSQL);
                                                     rerunning it copies nothing twice

`list` shows every undelivered item (waiting, sending, deferred, failed) with
its age, attempts, next attempt and the reason of its last failure; --all
adds delivered ones. The first line is the same backlog summary `make sync`
prints. Exit status of `list`: 0 nothing undelivered after an error, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys

from .db import DB_ERRORS
from .outbox import Outbox, utcnow
from .queues import QUEUES, backlog, duration, items, purge_delivered, requeue, short_time
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make outbox ARGS=...", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    names = [q.name for q in QUEUES]
    show = sub.add_parser("list", help="undelivered items with their reasons")
    for p in (parser, show):
        p.add_argument("--all", action="store_true", help="delivered items too")
        p.add_argument("--queue", choices=names)
        p.add_argument("--json", action="store_true", help="one JSON document")
    again = sub.add_parser("requeue", help="failed or deferred items back in the queue")
    again.add_argument("queue", nargs="?", choices=names)
    again.add_argument("id", nargs="?", type=int)
    again.add_argument("--all", action="store_true", dest="every")
    sub.add_parser("purge", help="delete delivered items past retention")
    copy = sub.add_parser("copy-from-sqlite", help="copy a SQLite outbox into the PostgreSQL one")
    copy.add_argument("file", help="the SQLite outbox file (read only)")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"make outbox: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        outbox = Outbox.from_settings(settings)
    except DB_ERRORS as exc:
        print(f"make outbox: the outbox database cannot be reached: "
              f"{settings.redact(str(exc)).strip()}", file=sys.stderr)
        return 2
    try:
        if args.command == "copy-from-sqlite":
            return _copy(outbox, args.file)
        if args.command == "requeue":
            if args.every == (args.id is not None):
                parser.error("requeue takes QUEUE ID, or --all [QUEUE]")
            n = requeue(outbox, args.queue, args.id)
            what = f"{args.queue} #{args.id}" if args.id is not None else (args.queue or "all queues")
            print(f"requeued {n} item(s) ({what}); `make sync` delivers them now")
            return 0 if n or args.every else 1
        if args.command == "purge":
            purged = purge_delivered(outbox, settings)
            print("purged " + (", ".join(f"{k}={v}" for k, v in purged.items()) or "nothing")
                  + " (delivered items past retention)")
            return 0
        return _list(outbox, include_delivered=args.all, queue_name=args.queue, as_json=args.json)
    finally:
        outbox.close()


def _copy(outbox: Outbox, file: str) -> int:
    from pathlib import Path

    from .copy_outbox import copy_from_sqlite

    try:
        results = copy_from_sqlite(Path(file), outbox)
    except (ValueError, FileNotFoundError) as exc:
        print(f"make outbox: {exc}", file=sys.stderr)
        return 2
    for r in results:
        print(f"{r.table}: {r.read} read, {r.copied} copied, {r.skipped} already there")
    return 0


def _list(outbox: Outbox, *, include_delivered: bool, queue_name: str | None, as_json: bool) -> int:
    now = utcnow()
    state = backlog(outbox, now)
    rows = items(outbox, include_delivered=include_delivered, queue_name=queue_name, now=now)
    if as_json:
        print(json.dumps({"backlog": state.as_dict(), "items": rows}, indent=2, ensure_ascii=False))
        return 1 if state.errored else 0
    print("outbox: " + state.summary())
    if rows:
        print(f"{'queue':<9} {'id':>5}  {'state':<9} {'age':>7} {'tries':>5}  {'next attempt':<20}  who / reason")
    for r in rows:
        age = duration((now - _parse(r["since"])).total_seconds()) if r["since"] else "-"
        nxt = short_time(r["next_attempt"]) if r["next_attempt"] and r["state"] == "deferred" else ""
        print(f"{r['queue']:<9} {r['id']:>5}  {r['state']:<9} {age:>7} {r['attempts']:>5}  {nxt:<20}  {r['who']}")
        if r["reason"] and r["state"] != "delivered":
            print(f"{'':>53}reason: {r['reason']}")
    return 1 if state.errored else 0


def _parse(stamp: str):
    from datetime import datetime

    return datetime.fromisoformat(stamp)


if __name__ == "__main__":
    sys.exit(main())
