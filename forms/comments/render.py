"""Comment bodies to safe HTML: the one function both the service and the build use.

A visitor's text is Markdown parsed by markdown-it-py (CommonMark) with raw
HTML, images, headings and tables switched off, then cleaned by nh3 (the
Rust sanitiser ammonia) with a short allow-list. Links get
rel="nofollow ugc noopener"; only http, https and mailto URLs survive.
Imported HTML (WordPress) goes through the same nh3 pass.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "*": set()}  # "*": no generic title/lang either
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# No images (a third-party request), no headings or tables in a comment.
_md.disable(["image", "heading", "lheading", "table", "html_block", "html_inline"], True)

_URL = re.compile(r"(?:https?://|www\.|mailto:)\S+", re.IGNORECASE)
_HREFLESS = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)
_BLOCK = re.compile(r"<(p|ul|ol|blockquote|pre|h[1-6]|table|div)\b", re.IGNORECASE)


def _absolute_only(tag: str, attribute: str, value: str) -> str | None:
    """nh3 keeps relative URLs; a comment's links must be absolute http(s) or mailto."""
    if attribute == "href" and not value.lower().startswith(("http://", "https://", "mailto:")):
        return None
    return value


def clean(html: str) -> str:
    """Any HTML cut down to the allow-list; scripts and styles vanish with their content."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_absolute_only,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    # A link whose URL was refused keeps its text, not an <a> with rel and no href.
    return _HREFLESS.sub(r"\1", cleaned).strip()


def markdown_to_html(text: str) -> str:
    """A visitor's Markdown as safe HTML."""
    return clean(_md.render(text))


def wordpress_to_html(html: str) -> str:
    """WordPress comment HTML (blank lines are paragraphs, as wpautop reads them) as safe HTML."""
    html = html.replace("\r\n", "\n").strip()
    if not _BLOCK.search(html):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html) if p.strip()]
        html = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return clean(html)


def count_links(text: str) -> int:
    """URLs in a body as typed, for the links-per-comment limit."""
    return len(_URL.findall(text))
