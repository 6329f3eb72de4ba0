"""The export's comments as a data file for the comments capability to load.

Written to ``var/import/wordpress-comments.json`` by default: comments carry
commenters' emails and IP addresses, and var/ is git-ignored so they never
land in a public repository. Format (kept exactly; the comments loader reads it):

    {"source": "wordpress", "site": <base_site_url>, "comments": [{"wp_id", "post_wp_id",
     "post_path", "parent_wp_id" (0 = top level), "author", "email", "url", "ip",
     "date_gmt" (ISO-8601 UTC), "status" (approved|pending|spam|trash),
     "type" (comment|pingback|trackback), "body_html"}]}
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from tools.wordpress.wxr import Comment, Export

DEFAULT_PATH = Path("var/import/wordpress-comments.json")
STATUSES = {"1": "approved", "approve": "approved", "approved": "approved", "0": "pending", "hold": "pending",
            "spam": "spam", "trash": "trash", "post-trashed": "trash"}
TYPES = {"pingback", "trackback"}


def iso_utc(comment: Comment) -> str:
    # comment_date (the site's local time) only when the GMT one is missing; its zone is not in the export
    for value in (comment.date_gmt, comment.date):
        try:
            moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except (TypeError, ValueError):
            continue
        if moment.year < 1971:  # 0000-00-00 00:00:00 and friends
            continue
        return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    return ""


def record(comment: Comment, post_id: str, post_path: str) -> dict:
    return {"wp_id": comment.wp_id, "post_wp_id": int(post_id or 0), "post_path": post_path,
            "parent_wp_id": comment.parent_id, "author": comment.author, "email": comment.email,
            "url": comment.url, "ip": comment.ip, "date_gmt": iso_utc(comment),
            "status": STATUSES.get(comment.approved.lower(), "pending"),
            "type": comment.kind if comment.kind in TYPES else "comment", "body_html": comment.content}


def collect(export: Export, paths: dict[str, str]) -> dict:
    """Every comment of every item, with the new URL path of its post (``paths``: wp id → path, "" if not imported)."""
    comments = [record(c, item.post_id, paths.get(item.post_id, ""))
                for item in export.items for c in item.comments]
    return {"source": "wordpress", "site": export.base_site_url or export.base_blog_url or export.link,
            "comments": comments}


def counts(data: dict) -> tuple[Counter, Counter]:
    return (Counter(c["status"] for c in data["comments"]), Counter(c["type"] for c in data["comments"]))


def write(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
