"""Turning rendered HTML into plain text for counts and descriptions."""

import html
import re

# Block-level tags separate words; inline ones (em, a, code) do not.
_BLOCK_TAG = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|div|blockquote|pre|figure|figcaption|table|tr|td|th|br|hr|section)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(markup):
    text = _TAG.sub("", _BLOCK_TAG.sub(" ", str(markup)))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def word_count(markup):
    return len(plain_text(markup).split())


def shorten(text, limit):
    """Cut at a word boundary and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"
