"""Links between posts of the old site, pointed at the imported files.

A post that links to another post of the same WordPress site (by its
permalink, ``/?p=ID`` or the dated form) gets a ``{filename}`` link to the
imported Markdown file instead, so the link follows the post to its new URL and
the build checks it. Only links to posts that are published now are changed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tools.wordpress.redirects import old_paths

_LINK_RE = re.compile(r"""(?P<pre>\]\(|href=["'])(?P<url>(?:https?:)?//[^\s)"'<>]+)""")


def _host(netloc: str) -> str:
    return netloc.lower().split(":")[0].removeprefix("www.")


def _key(path: str, query: str) -> str:
    path = "/" + path.lstrip("/")
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    return path + (f"?{query}" if query else "")


def relink(docs, hosts: set[str], file_of, attachments: dict[str, str] | None = None) -> int:
    """Rewrite links in every doc's body; ``file_of(doc)`` is its path under content/. Returns the count.

    ``attachments`` maps an attachment page's permalink to its file: a link to
    the page (WordPress wraps images in one) becomes a link to the image itself.
    """
    pages = {_key(urlsplit(link).path, urlsplit(link).query): url for link, url in (attachments or {}).items()}
    hosts = {_host(h) for h in hosts if h}
    targets = {}
    for doc in docs:
        if doc.status == "published" and not doc.scheduled:
            for old in old_paths(doc):
                parts = urlsplit(old)
                targets.setdefault(_key(parts.path, parts.query), file_of(doc))
    changed = 0

    def swap(match: re.Match) -> str:
        nonlocal changed
        parts = urlsplit(match["url"] if not match["url"].startswith("//") else "https:" + match["url"])
        if _host(parts.netloc) not in hosts:
            return match.group(0)
        key = _key(parts.path, parts.query)
        target = targets.get(key)
        if target is None and key in pages:
            changed += 1
            return match["pre"] + pages[key]
        if target is None:
            return match.group(0)
        changed += 1
        return match["pre"] + "{filename}/" + target + (f"#{parts.fragment}" if parts.fragment else "")

    for doc in docs:
        doc.body = _LINK_RE.sub(swap, doc.body)
    return changed
