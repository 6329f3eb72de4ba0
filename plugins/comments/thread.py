"""Approved comments into threads: nested up to COMMENTS_MAX_DEPTH reply levels,
deeper replies flattened under their deepest shown ancestor (naming whom they answer)."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from forms.comments.avatar import hue, initials
from forms.comments.render import clean


def _date(value, tz):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(tz)) if tz else moment


def _comment(row, tz):
    url = str(row.get("url") or "")
    date = _date(str(row["created_at"]), tz)
    return {
        "id": row["id"],
        "name": str(row.get("name") or "Anonymous"),
        "url": url if url.startswith(("http://", "https://")) else "",
        "html": clean(str(row.get("html") or "")),
        "date": date,
        "date_text": f"{date.day} {date:%B %Y}",
        "avatar_hue": hue(str(row.get("avatar") or "")),
        "initials": initials(str(row.get("name") or "")),
        "parent": row.get("parent"),
        "parent_name": "",
        "flattened": False,
    }


def build_tree(rows, max_depth, tz=None):
    """(tree, flat): tree nodes are {"c": comment, "children": [nodes]}."""
    comments = [_comment(r, tz) for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]))]
    by_id = {c["id"]: c for c in comments}
    nodes = {c["id"]: {"c": c, "children": []} for c in comments}
    depth = {}
    tree = []
    for c in comments:
        parent = by_id.get(c["parent"])
        if parent is None:  # top level, or its parent is gone
            depth[c["id"]] = 0
            tree.append(nodes[c["id"]])
            continue
        c["parent_name"] = parent["name"]
        host = parent["id"]
        while depth[host] >= max_depth:  # too deep: hang it under the level-max ancestor's parent
            host = by_id[host]["parent"]
        depth[c["id"]] = depth[host] + 1
        c["flattened"] = host != parent["id"]
        nodes[host]["children"].append(nodes[c["id"]])
    return tree, comments
