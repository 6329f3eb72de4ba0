"""`make comments`: list pending comments and moderate them from a terminal.

    python -m forms.comments                         list pending comments
    python -m forms.comments list [all|approved|rejected|spam]
    python -m forms.comments approve|reject|spam|delete ID
    python -m forms.comments import-wordpress [FILE]  (default var/import/wordpress-comments.json)

approve/reject/spam do exactly what the mailed links do (mails, rebuild hook).
Exit status: 0 done, 1 nothing changed or bad input, 2 bad configuration.
"""

from __future__ import annotations

import argparse
import sys

from ..outbox import Outbox
from ..settings import PROJECT_ROOT, Settings
from .moderation import Comments
from .posts import PostIndex, PostsUnavailable, default_location
from .wordpress import ExportFileError, load, read_export

DEFAULT_WP_FILE = PROJECT_ROOT / "var" / "import" / "wordpress-comments.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make comments", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="list",
                        choices=["list", "approve", "reject", "spam", "delete", "import-wordpress"])
    parser.add_argument("arg", nargs="?")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"make comments: configuration error: {exc}", file=sys.stderr)
        return 2
    outbox = Outbox.from_settings(settings)
    try:
        comments = Comments(settings, outbox)
        comments.hook_in_background = False
        if args.command == "list":
            return _list(comments, args.arg or "pending")
        if args.command == "import-wordpress":
            return _import(comments, args.arg or str(DEFAULT_WP_FILE))
        if not (args.arg or "").isdigit():
            print(f"make comments: {args.command} needs a comment ID, e.g. "
                  f"make comments ARGS=\"{args.command} 12\"", file=sys.stderr)
            return 1
        index = PostIndex(default_location(settings))

        def title_of(post: str) -> str:
            try:
                return (index.get(post) or {}).get("title") or post
            except PostsUnavailable:
                return post

        outcome = comments.apply(args.command, int(args.arg), title_of)
        print(outcome.message)
        return 0 if outcome.ok else 1
    finally:
        outbox.close()


def _list(comments: Comments, status: str) -> int:
    rows = comments.store.list(None if status == "all" else status)
    print(f"{len(rows)} {status} comment(s)")
    for c in rows:
        text = " ".join((c.body or c.body_html).split())
        text = text if len(text) <= 70 else text[:69] + "…"
        reply = f" reply to {c.parent_id}" if c.parent_id else ""
        print(f"  {c.id:>5}  {c.created_at[:16]}  {c.post}{reply}")
        print(f"         {c.name} <{c.email}> [{c.status}]: {text}")
    return 0


def _import(comments: Comments, path: str) -> int:
    try:
        data = read_export(path)
    except ExportFileError as exc:
        print(f"make comments: {exc}", file=sys.stderr)
        return 1
    report = load(comments.store, data, comments.secret)
    print(report.summary())
    for ping in report.pings:
        print(f"  not imported: {ping}")
    for error in report.errors:
        print(f"  warning: {error}", file=sys.stderr)
    return 0
