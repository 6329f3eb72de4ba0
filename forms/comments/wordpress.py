"""Loading a WordPress export's comments into the comments store.

Input: the JSON `make import-wordpress` writes (default
var/import/wordpress-comments.json):
    {"source": "wordpress", "site": "...", "comments": [{"wp_id", "post_wp_id",
     "post_path", "parent_wp_id" (0 = top level), "author", "email", "url", "ip",
     "date_gmt", "status": approved|pending|spam|trash, "type": comment|pingback|trackback,
     "body_html"}]}

Approved comments arrive approved, pending ones pending; spam and trash are
dropped; pingbacks and trackbacks are listed, not imported. Threading is kept
(a reply whose parent was dropped moves up to the nearest kept ancestor). The
HTML is cleaned like every comment (forms.comments.render). Loading twice adds
nothing: each comment remembers its WordPress id (import_ref "wp:<site>:<id>").
No mail is sent and no rebuild is triggered for imported comments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from ..outbox import iso
from .avatar import avatar_key
from .render import wordpress_to_html
from .store import CommentStore

STATUSES = {"approved": "approved", "pending": "pending"}
DROPPED = {"spam", "trash"}
REQUIRED = ("wp_id", "post_path", "parent_wp_id", "author", "date_gmt", "status", "type", "body_html")


@dataclass
class ImportReport:
    imported: dict[str, int] = field(default_factory=lambda: {"approved": 0, "pending": 0})
    dropped: dict[str, int] = field(default_factory=lambda: {"spam": 0, "trash": 0})
    already: int = 0
    pings: list[str] = field(default_factory=list)  # "pingback on /path/: author <url>"
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"imported approved={self.imported['approved']} pending={self.imported['pending']}; "
                f"dropped spam={self.dropped['spam']} trash={self.dropped['trash']}; "
                f"already imported={self.already}; pingbacks/trackbacks listed={len(self.pings)}")


class ExportFileError(ValueError):
    pass


def read_export(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportFileError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise ExportFileError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
        raise ExportFileError(f"{path}: expected an object with a \"comments\" list")
    for index, item in enumerate(data["comments"]):
        missing = [k for k in REQUIRED if not isinstance(item, dict) or k not in item]
        if missing:
            raise ExportFileError(f"{path}: comment #{index}: missing {', '.join(missing)}")
    return data


def load(store: CommentStore, data: dict, secret: str) -> ImportReport:
    report = ImportReport()
    site = str(data.get("site", "")).rstrip("/")
    items = data["comments"]
    by_id = {int(c["wp_id"]): c for c in items}
    kept: dict[int, int] = {}  # WordPress id -> our id

    def keep(item: dict) -> bool:
        return item["type"] == "comment" and item["status"] in STATUSES

    def ancestor(item: dict) -> int | None:
        """Our id of the nearest kept ancestor."""
        seen = set()
        parent = int(item["parent_wp_id"] or 0)
        while parent and parent not in seen:
            seen.add(parent)
            if parent in kept:
                return kept[parent]
            above = by_id.get(parent)
            parent = int(above["parent_wp_id"] or 0) if above else 0
        return None

    conn = store._conn()
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Parents before replies: by date, then WordPress id.
        for item in sorted(items, key=lambda c: (c["date_gmt"], int(c["wp_id"]))):
            wp_id = int(item["wp_id"])
            if item["type"] in ("pingback", "trackback"):
                report.pings.append(f"{item['type']} on {item['post_path']}: "
                                    f"{item['author']} <{item.get('url', '')}>")
                continue
            if item["status"] in DROPPED:
                report.dropped[item["status"]] += 1
                continue
            if not keep(item):
                report.errors.append(f"comment {wp_id}: unknown status {item['status']!r}, skipped")
                continue
            ref = f"wp:{site}:{wp_id}"
            existing = store.by_import_ref(ref)
            if existing is not None:
                kept[wp_id] = existing.id
                report.already += 1
                continue
            email = str(item.get("email", "")).strip().lower()
            html = wordpress_to_html(str(item["body_html"]))
            kept[wp_id] = store.add(
                post=str(item["post_path"]), parent_id=ancestor(item),
                name=unescape(str(item["author"])).strip() or "Anonymous", email=email,
                url=str(item.get("url", "")), body="", body_html=html,
                avatar=avatar_key(secret, email) if email else "", ip=str(item.get("ip", "")),
                status=STATUSES[item["status"]], notify=False, origin="wordpress",
                import_ref=ref, created_at=iso(_parse_date(item["date_gmt"])),
                hash_source=html)
            report.imported[STATUSES[item["status"]]] += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return report


def _parse_date(value: str):
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
