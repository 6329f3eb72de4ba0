"""Read a WordPress export (WXR 1.0 to 1.2, as written by WordPress 3 to 6 and WordPress.com).

The namespace URIs are read from the document itself: WordPress has written
``http://wordpress.org/export/1.x/`` and WordPress.com ``https://...``, and the
version differs between releases. A namespace counts as WordPress's when its
URI has the ``wordpress.org/export/<version>/`` shape, whatever its scheme or
prefix; the prefixes the file binds (``wp``, ``excerpt``, ``content``, ``dc``)
are used for the rest.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

_WP_URI = re.compile(r"^https?://(?:www\.)?wordpress\.org/export/(?P<version>\d+(?:\.\d+)*)/(?P<excerpt>excerpt/)?$")
# Used only when a file binds no such prefix (never seen in a real export).
_FALLBACK = {"content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/"}


class ExportError(Exception):
    """The export cannot be read; the message is for the user."""


@dataclass
class Comment:
    wp_id: int
    parent_id: int
    author: str
    email: str
    url: str
    ip: str
    date: str
    date_gmt: str
    approved: str
    kind: str
    content: str


@dataclass
class Item:
    title: str
    post_type: str
    status: str
    post_id: str
    name: str
    date: str
    modified: str
    pub_date: str
    creator: str
    content: str
    excerpt: str
    link: str = ""
    parent: str = "0"
    password: str = ""
    sticky: bool = False
    post_format: str = ""
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    attachment_url: str = ""


@dataclass
class Export:
    items: list[Item]
    authors: dict[str, str]
    namespaces: dict[str, str]
    wxr_version: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    link: str = ""
    generator: str = ""

    def by_id(self, post_type: str) -> dict[str, Item]:
        return {item.post_id: item for item in self.items if item.post_type == post_type}

    def attachments_of(self, post_id: str) -> list[Item]:
        """Images attached to a post, in the order WordPress lists them."""
        return [i for i in self.items if i.post_type == "attachment" and i.parent == post_id]


def read_namespaces(path: Path) -> dict[str, str]:
    """The export's namespace URIs by role (wp, excerpt, content, dc), as the file declares them."""
    declared: dict[str, str] = {}
    found: dict[str, str] = {}
    for _event, (prefix, uri) in ET.iterparse(str(path), events=("start-ns",)):
        declared.setdefault(prefix, uri)
        match = _WP_URI.match(uri)
        if match:
            found.setdefault("excerpt" if match["excerpt"] else "wp", uri)
    for role in ("content", "dc"):
        found[role] = declared.get(role, _FALLBACK[role])
    if "wp" not in found:
        if "wp" not in declared:
            raise ExportError(f"{path} is not a WordPress export (no wordpress.org/export/ namespace)")
        found["wp"] = declared["wp"]
    found.setdefault("excerpt", declared.get("excerpt", found["wp"] + "excerpt/"))
    return found


def _text(element: ET.Element | None, tag: str) -> str:
    child = element.find(tag) if element is not None else None
    return (child.text or "") if child is not None else ""


def _int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


def _parse_comments(element: ET.Element, wp: str) -> list[Comment]:
    def get(c, name):
        return _text(c, f"{{{wp}}}comment_{name}").strip()
    return [Comment(wp_id=_int(get(c, "id")), parent_id=_int(get(c, "parent") or "0"),
                    author=html.unescape(get(c, "author")), email=get(c, "author_email"),
                    url=get(c, "author_url"), ip=get(c, "author_IP"), date=get(c, "date"),
                    date_gmt=get(c, "date_gmt"), approved=get(c, "approved"), kind=get(c, "type"),
                    content=_text(c, f"{{{wp}}}comment_content"))
            for c in element.findall(f"{{{wp}}}comment")]


def _parse_item(element: ET.Element, ns: dict[str, str]) -> Item:
    wp = ns["wp"]
    terms: dict[str, list[str]] = {"category": [], "post_tag": [], "post_format": []}
    nicenames: dict[str, list[str]] = {"post_format": []}
    for category in element.findall("category"):
        domain = category.get("domain", "category")
        if domain in terms and (category.text or "").strip():
            terms[domain].append(html.unescape(category.text.strip()))
            if domain in nicenames:
                nicenames[domain].append(category.get("nicename", ""))
    meta = {_text(m, f"{{{wp}}}meta_key"): _text(m, f"{{{wp}}}meta_value")
            for m in element.findall(f"{{{wp}}}postmeta")}
    post_format = (nicenames["post_format"] or [""])[0].removeprefix("post-format-")
    if not post_format and terms["post_format"]:
        post_format = terms["post_format"][0].lower()
    return Item(
        title=_text(element, "title").strip(),
        post_type=_text(element, f"{{{wp}}}post_type").strip() or "post",
        status=_text(element, f"{{{wp}}}status").strip(),
        post_id=_text(element, f"{{{wp}}}post_id").strip(),
        name=unquote(_text(element, f"{{{wp}}}post_name").strip()),
        date=_text(element, f"{{{wp}}}post_date").strip(),
        modified=_text(element, f"{{{wp}}}post_modified").strip(),
        pub_date=_text(element, "pubDate").strip(),
        creator=_text(element, f"{{{ns['dc']}}}creator").strip(),
        content=_text(element, f"{{{ns['content']}}}encoded"),
        excerpt=_text(element, f"{{{ns['excerpt']}}}encoded"),
        link=_text(element, "link").strip(),
        parent=_text(element, f"{{{wp}}}post_parent").strip() or "0",
        password=_text(element, f"{{{wp}}}post_password").strip(),
        sticky=_text(element, f"{{{wp}}}is_sticky").strip() == "1",
        post_format=post_format,
        categories=terms["category"],
        tags=terms["post_tag"],
        comments=_parse_comments(element, wp),
        meta=meta,
        attachment_url=_text(element, f"{{{wp}}}attachment_url").strip(),
    )


def parse_export(path: Path) -> Export:
    """Read a WXR file into items, authors and the site's addresses."""
    try:
        ns = read_namespaces(path)
        root = ET.parse(str(path)).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc
    channel = root.find("channel")
    if channel is None:
        raise ExportError(f"{path} is not a WordPress export (no <channel>)")
    wp = ns["wp"]
    authors = {}
    for author in channel.findall(f"{{{wp}}}author"):
        login = _text(author, f"{{{wp}}}author_login").strip()
        display = html.unescape(_text(author, f"{{{wp}}}author_display_name")).strip()
        if login:
            authors[login] = display or login
    generator = re.search(r'generator="([^"]+)"', Path(path).read_text(encoding="utf-8", errors="replace")[:4000])
    return Export(items=[_parse_item(item, ns) for item in channel.findall("item")], authors=authors,
                  namespaces=ns, wxr_version=_text(channel, f"{{{wp}}}wxr_version").strip(),
                  base_site_url=_text(channel, f"{{{wp}}}base_site_url").strip(),
                  base_blog_url=_text(channel, f"{{{wp}}}base_blog_url").strip(),
                  link=_text(channel, "link").strip(),
                  generator=generator[1] if generator else _text(channel, "generator").strip())
