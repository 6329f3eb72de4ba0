"""One WordPress post or page as a Markdown file: front matter and body.

Statuses: published posts stay published; a scheduled post keeps its future
Date (the build keeps it out until then); drafts, pending, private and
password-protected posts become drafts (never published) and are listed.
The first category is the Category ("Uncategorized" is left out so the
site's default applies); the others join the tags.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pelican.utils import get_date

from tools.wordpress import markup
from tools.wordpress.images import is_image_url, remote_images
from tools.wordpress.shortcodes import FormRules, GalleryImage, Shortcodes
from tools.wordpress.wxr import Export, Item

DATE_FORMAT = "%Y-%m-%d %H:%M"
SUMMARY_LIMIT = 160
TITLE_WORDS = 8
UNCATEGORIZED = {"uncategorized", "uncategorised"}


@dataclass
class Document:
    item: Item
    kind: str  # "post" or "page"
    slug: str
    fields: list[tuple[str, str | None]]
    body: str
    date: datetime
    status: str  # our Status: published or draft
    why_not_published: str = ""  # "private", "password-protected", "draft", "pending"
    unknown_shortcodes: list[str] = field(default_factory=list)
    forms: list[tuple[str, str, str]] = field(default_factory=list)
    galleries: list[int] = field(default_factory=list)
    media_links: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pages: int = 1
    images: list[str] = field(default_factory=list)
    cover_url: str = ""
    cover_alt: str = ""
    extra_categories: int = 0
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def scheduled(self) -> bool:
        return self.item.status == "future"

    def set_field(self, key: str, value: str | None) -> None:
        for index, (name, _old) in enumerate(self.fields):
            if name == key:
                self.fields[index] = (key, value)
                return
        self.fields.append((key, value))

    def text(self) -> str:
        header = "\n".join(f"{key}: {value}".rstrip() for key, value in self.fields if value is not None)
        return f"{header}\n\n{self.body}"


def parse_wp_date(value: str) -> datetime | None:
    """A wp:post_date; WordPress writes 0000-00-00 00:00:00 for never-published drafts."""
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


def item_dates(item: Item, warnings: list[str]) -> tuple[datetime, datetime | None]:
    date = parse_wp_date(item.date)
    modified = parse_wp_date(item.modified)
    if date is None:
        try:
            date = modified or get_date(item.pub_date).replace(tzinfo=None)
        except (ValueError, TypeError):
            date = datetime.now().replace(second=0, microsecond=0)
        warnings.append(f"no post date in the export; Date set to {date:{DATE_FORMAT}}")
    if modified is not None and modified.replace(second=0) <= date.replace(second=0):
        modified = None
    return date, modified


def our_status(item: Item) -> tuple[str, str]:
    """(Status, why it is not published) for an item WordPress had as ``item.status``."""
    if item.status == "private":
        return "draft", "private"
    if item.password:
        return "draft", "password-protected"
    if item.status in ("draft", "pending"):
        return "draft", item.status
    return "published", ""  # publish, and future: kept scheduled by its Date


def make_title(item: Item, text: str, date: datetime, warnings: list[str]) -> str:
    """The title as plain text (WordPress allows HTML in titles); one made up when empty."""
    title = markup.one_line(item.title)
    if title:
        if re.search(r"<[A-Za-z/!]", html.unescape(item.title)):
            warnings.append(f"HTML removed from the title {item.title!r}")
        return title
    words = markup.one_line(markup.shortcodes_free(text)).split()
    if words:
        title = " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
    else:
        title = f"{item.post_type.capitalize()} of {date:%-d %B %Y}"
    warnings.append(f"no title in the export; Title set to {title!r}")
    return title


def cut(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-") + "…"


def tag_list(categories: list[str], tags: list[str]) -> list[str]:
    """Extra categories then tags, deduplicated; Pelican splits tags on commas and semicolons."""
    seen, found = set(), []
    for name in categories + tags:
        name = " ".join(re.sub(r"[,;]", " ", name).split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            found.append(name)
    return found


def attachment_alt(attachment: Item) -> str:
    return (markup.one_line(attachment.meta.get("_wp_attachment_image_alt", ""))
            or markup.one_line(attachment.excerpt) or markup.one_line(attachment.title) or "")


def gallery_images(export: Export, item: Item):
    """The images a [gallery] shows: its ids="..." (or include=), else the images attached to the post."""
    attachments = export.by_id("attachment")

    def images(attrs: dict[str, str]) -> list[GalleryImage]:
        ids = re.split(r"[,\s]+", attrs.get("ids") or attrs.get("include") or "")
        chosen = [attachments[i] for i in ids if i in attachments]
        if not chosen:
            exclude = set(re.split(r"[,\s]+", attrs.get("exclude", "")))
            parent = attrs.get("id") or item.post_id
            chosen = [a for a in export.attachments_of(parent) if a.post_id not in exclude]
        return [GalleryImage(url=a.attachment_url, alt=attachment_alt(a) or f"Image {n}",
                             caption=markup.one_line(a.excerpt))
                for n, a in enumerate(chosen, 1) if a.attachment_url and is_image_url(a.attachment_url)]
    return images


def build_document(item: Item, export: Export, slug: str, forms: FormRules) -> Document:
    """Front matter and Markdown body for one post or page."""
    warnings: list[str] = []
    date, modified = item_dates(item, warnings)
    shortcodes = Shortcodes(forms, gallery=gallery_images(export, item))
    converted = markup.convert(item.content, shortcodes)
    title = make_title(item, item.content, date, warnings)
    status, why = our_status(item)
    summary = markup.one_line(item.excerpt)
    if len(summary) > SUMMARY_LIMIT:
        warnings.append(f"Summary (the WordPress excerpt) is {len(summary)} characters; "
                        f"search engines show about {SUMMARY_LIMIT}")
    if not summary and converted.teaser:
        summary = cut(converted.teaser)
    if not converted.markdown:
        warnings.append("empty body in the export")
    author = export.authors.get(item.creator, item.creator)
    fields: list[tuple[str, str | None]] = [
        ("Title", title), ("Date", f"{date:{DATE_FORMAT}}"),
        ("Modified", f"{modified:{DATE_FORMAT}}" if modified else None)]
    extra = 0
    if item.post_type == "post":
        categories = [c for c in item.categories if c.strip().lower() not in UNCATEGORIZED]
        extra = max(len(categories) - 1, 0)
        fields += [("Category", categories[0] if categories else None),
                   ("Tags", ", ".join(tag_list(categories[1:], item.tags)) or None)]
    fields += [("Authors", re.sub(r"[,;]", " ", author).strip() or None),
               ("Summary", summary or None),
               ("Slug", slug),
               ("Status", status),
               # already published (and, if at all, mailed) by WordPress: no newsletter campaign now
               ("Newsletter", "off" if item.post_type == "post" and status == "published"
                and item.status != "future" else None),
               ("Sticky", "yes" if item.sticky and item.post_type == "post" else None),
               ("Post_format", item.post_format if item.post_format not in ("", "standard") else None),
               ("Wordpress_id", item.post_id or None)]
    cover = export.by_id("attachment").get(item.meta.get("_thumbnail_id", ""))
    return Document(item=item, kind=item.post_type, slug=slug, fields=fields, body=converted.markdown,
                    date=date, status=status, why_not_published=why,
                    unknown_shortcodes=shortcodes.unknown, forms=shortcodes.forms_seen,
                    galleries=shortcodes.galleries, media_links=shortcodes.media, removed=converted.removed,
                    pages=converted.pages, images=remote_images(converted.markdown),
                    cover_url=cover.attachment_url if cover is not None else "",
                    cover_alt=attachment_alt(cover) if cover is not None else "",
                    extra_categories=extra, warnings=warnings)
