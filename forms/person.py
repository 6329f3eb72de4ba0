"""`make person`: everything held about one address, exported (GDPR art. 15) or erased (art. 17).

    python -m forms.person export EMAIL     JSON of every store's data about EMAIL
    python -m forms.person erase EMAIL      delete it everywhere, print what was removed
    python -m forms.person scrub            re-apply every recorded erasure (after restoring a backup)

The stores are the registry STORES: each has a name, export(ctx, email),
erase(ctx, email, before=None) and, for local stores, addresses(ctx) for
scrub (which calls erase with before=the erasure's time, so a signup made
after the erasure survives). Adding a store is one entry. Erase records a salted hash of the address in the erasure
ledger (forms.erasure) so a restored backup can be scrubbed again and no
later sync brings the person back.

Exit status: 0 done; 1 a store could not be reached (e.g. Mailchimp down:
run erase again); 2 bad arguments or configuration.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .erasure import open_ledger
from .mailchimp_client import MailchimpClient, MailchimpConfig, MailchimpError
from .mail_queue import MailQueue
from .outbox import Outbox, iso, utcnow
from .settings import Settings
from .validation import normalize_email


@dataclass
class Context:
    """What a store needs: the settings, the outbox, a Mailchimp client on demand."""

    settings: Settings
    outbox: Outbox
    _mailchimp: MailchimpClient | None = None

    def mailchimp(self) -> MailchimpClient | None:
        if not self.settings.mailchimp_enabled:
            return None
        if self._mailchimp is None:
            self._mailchimp = MailchimpClient(MailchimpConfig.from_settings(self.settings))
        return self._mailchimp

    def close(self) -> None:
        if self._mailchimp is not None:
            self._mailchimp.close()


class StoreUnavailable(Exception):
    """The store could not be read or changed now; the message says why (no secrets)."""


@dataclass(frozen=True)
class Store:
    name: str
    export: Callable[[Context, str], Any]  # JSON-able data about the address (None/[]: nothing)
    # erase(ctx, email, before=None) deletes it (with before, an ISO time: only what is dated
    # no later); returns what was removed (a count of rows, or a dict)
    erase: Callable[..., Any]
    addresses: Callable[[Context], Iterable[str]] | None = None  # every address held (scrub)
    note: str = ""  # said after erasing, e.g. what lies beyond our reach


# -- the outbox's tables ----------------------------------------------------------------


def _rows(ctx: Context, table: str, email: str) -> list[dict]:
    cursor = ctx.outbox._conn().execute(f"SELECT * FROM {table} WHERE email = ? ORDER BY id",
                                        (email,))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _deleter(table: str, since: str) -> Callable[..., int]:
    def erase(ctx: Context, email: str, before: str | None = None) -> int:
        return ctx.outbox._conn().execute(
            f"DELETE FROM {table} WHERE email = ? AND (CAST(? AS TEXT) IS NULL OR {since} <= ?)",
            (email, before, before)).rowcount
    return erase


def _all_addresses(table: str) -> Callable[[Context], Iterable[str]]:
    return lambda ctx: [r[0] for r in ctx.outbox._conn().execute(f"SELECT DISTINCT email FROM {table}")]


# -- comments (forms.comments) ---------------------------------------------------------


def _comments(ctx: Context):
    from .comments.store import CommentStore

    return CommentStore(ctx.outbox)


def _erase_comments(ctx: Context, email: str, before: str | None = None) -> int:
    """Delete them; when a published one goes, ask for a rebuild so the pages lose it too."""
    store = _comments(ctx)
    posts = {r["post"] for r in store.export(email)
             if r["status"] == "approved" and (before is None or r["created_at"] <= before)}
    removed = store.erase(email, before)
    if posts and ctx.settings.comments_rebuild_hook:
        from .comments.moderation import Comments

        hook = Comments(ctx.settings, ctx.outbox)
        for post in sorted(posts):
            hook.rebuild_post(post)
    return removed


# -- the Mailchimp audience --------------------------------------------------------------


def _mailchimp_export(ctx: Context, email: str) -> Any:
    client = ctx.mailchimp()
    if client is None:
        return {"not_checked": "Mailchimp is not configured (MAILCHIMP_API_KEY, MAILCHIMP_LIST_ID)"}
    try:
        member = client.get_member(email)
    except MailchimpError as exc:
        raise StoreUnavailable(str(exc)) from None
    if member is None:
        return None
    return {k: v for k, v in member.items() if k != "_links"}


def _mailchimp_erase(ctx: Context, email: str, before: str | None = None) -> Any:
    client = ctx.mailchimp()
    if client is None:
        return {"not_checked": "Mailchimp is not configured"}
    try:
        return {"deleted_permanently": client.delete_member_permanent(email)}
    except MailchimpError as exc:
        raise StoreUnavailable(str(exc)) from None


STORES: list[Store] = [
    Store("signups", lambda c, e: _rows(c, "signups", e), _deleter("signups", "updated_at"),
          _all_addresses("signups")),
    Store("messages", lambda c, e: _rows(c, "messages", e), _deleter("messages", "created_at"),
          _all_addresses("messages"),
          note="contact messages already delivered by email are in the team inbox "
               "(CONTACT_TO): delete them there too"),
    Store("mailchimp", _mailchimp_export, _mailchimp_erase),
    Store("comments", lambda c, e: _comments(c).export(e), lambda c, e, before=None: _erase_comments(c, e, before),
          lambda c: _comments(c).addresses(),
          note="published comments leave the static pages at the next build "
               "(COMMENTS_REBUILD_HOOK, when set, has been called)"),
    Store("comment-mails", lambda c, e: MailQueue(c.outbox).export(e),
          lambda c, e, before=None: MailQueue(c.outbox).erase(e, before),
          lambda c: MailQueue(c.outbox).addresses(),
          note="comment mails already delivered are in their recipients' inboxes"),
]


# -- the operations ---------------------------------------------------------------------------


@dataclass
class Outcome:
    data: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def export(ctx: Context, email: str) -> Outcome:
    out = Outcome()
    for store in STORES:
        try:
            out.data[store.name] = store.export(ctx, email)
        except StoreUnavailable as exc:
            out.errors[store.name] = str(exc)
    return out


def erase(ctx: Context, email: str) -> Outcome:
    """Every store forgets the address; the ledger remembers its salted hash."""
    out = Outcome()
    _secure_delete(ctx.outbox)
    for store in STORES:
        try:
            out.data[store.name] = store.erase(ctx, email)
        except StoreUnavailable as exc:
            out.errors[store.name] = str(exc)
    _forget_on_disk(ctx.outbox)
    ledger = open_ledger(ctx.settings, create=True)
    try:
        ledger.record(email, {k: v for k, v in out.data.items()})
    finally:
        ledger.close()
    return out


def scrub(ctx: Context) -> dict[str, int]:
    """Erase again, in every local store, what a restored backup brought back of erased
    addresses (rows dated up to each erasure); {store: rows}."""
    removed: dict[str, int] = {}
    ledger = open_ledger(ctx.settings)
    if ledger is None:
        return removed
    _secure_delete(ctx.outbox)
    try:
        for store in STORES:
            if store.addresses is None:
                continue
            for email in list(store.addresses(ctx)):
                erased = ledger.erased_at(email)
                if erased:
                    n = _count(store.erase(ctx, email, before=erased))
                    if n:
                        removed[store.name] = removed.get(store.name, 0) + n
    finally:
        ledger.close()
    _forget_on_disk(ctx.outbox)
    return removed


def _count(value: Any) -> int:
    return value if isinstance(value, int) else int(bool(value))


def _secure_delete(outbox: Outbox) -> None:
    """SQLite overwrites deleted rows (PostgreSQL: see _forget_on_disk)."""
    if outbox.kind == "sqlite":
        outbox._conn().execute("PRAGMA secure_delete = ON")


def _forget_on_disk(outbox: Outbox) -> None:
    """Deleted rows can linger in free pages and the WAL: overwrite and truncate them.
    On PostgreSQL the deleted row versions stay until autovacuum reclaims them (and in
    the managed service's backups until those expire): nothing to do from here."""
    if outbox.kind == "postgresql":
        return
    conn = outbox._conn()
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:  # busy: another process is writing; the next erase retries
        pass


# -- command line ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make person ARGS=...", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("export", "erase"):
        sub.add_parser(name).add_argument("email")
    sub.add_parser("scrub")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"make person: configuration error: {exc}", file=sys.stderr)
        return 2
    email = ""
    if args.command != "scrub":
        errors: dict[str, str] = {}
        email = normalize_email(args.email, errors)
        if errors:
            print(f"make person: {args.email!r} is not an email address", file=sys.stderr)
            return 2
    ctx = Context(settings, Outbox.from_settings(settings))
    try:
        if args.command == "export":
            out = export(ctx, email)
            print(json.dumps({"email": email, "exported_at": iso(utcnow()), "stores": out.data,
                              "unavailable": out.errors}, indent=2, ensure_ascii=False, default=str))
        elif args.command == "erase":
            out = erase(ctx, email)
            _print_erased(email, out)
        else:
            removed = scrub(ctx)
            total = sum(removed.values())
            print(f"scrubbed {total} row(s) of erased addresses"
                  + (": " + ", ".join(f"{k}={v}" for k, v in removed.items()) if removed else ""))
            return 0
    finally:
        ctx.close()
        ctx.outbox.close()
    for store, error in out.errors.items():
        print(f"  {store}: NOT DONE: {settings.redact(error)}", file=sys.stderr)
    return 1 if out.errors else 0


def _print_erased(email: str, out: Outcome) -> None:
    print(f"erased {email}:")
    for store in STORES:
        if store.name in out.errors:
            print(f"  {store.name}: not reachable, nothing removed there (run erase again)")
            continue
        value = out.data.get(store.name)
        if isinstance(value, int):
            print(f"  {store.name}: removed {value} row(s)")
        elif isinstance(value, dict) and "deleted_permanently" in value:
            print(f"  {store.name}: " + ("member deleted permanently"
                                         if value["deleted_permanently"] else "not a member"))
        elif isinstance(value, dict) and "not_checked" in value:
            print(f"  {store.name}: not checked ({value['not_checked']})")
        else:
            print(f"  {store.name}: {value}")
        if store.note:
            print(f"    note: {store.note}")
    print("  erasure ledger: salted hash recorded (a restored backup is scrubbed by the next sync "
          "or `make person ARGS=scrub`)")


if __name__ == "__main__":
    sys.exit(main())
