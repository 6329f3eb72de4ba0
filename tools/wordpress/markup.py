"""WordPress post HTML to Markdown.

WordPress stores paragraphs as blank lines, not <p> tags, so the HTML first
goes through a wpautop equivalent, then markdownify. Block-editor comments
(``<!-- wp:paragraph -->``) go and their content stays; ``<!--more-->`` marks
where the teaser ends; ``<!--nextpage-->`` page breaks become a rule, the parts
on one page. Embeds become links first (see embeds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from markdownify import ATX, MarkdownConverter

from tools.wordpress import embeds
from tools.wordpress.shortcodes import Shortcodes

_BLOCK_COMMENT_RE = re.compile(r"<!--\s*/?wp:.*?-->", re.S)
_MORE_RE = re.compile(r"<!--\s*more\b.*?-->", re.S)
_NEXTPAGE_RE = re.compile(r"<!--\s*nextpage\s*-->")
_BLOCK = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|"
          r"blockquote|address|math|style|script|p|h[1-6]|hr|fieldset|legend|section|article|aside|"
          r"hgroup|header|footer|nav|figure|figcaption|details|summary|menu|iframe|noscript|video|audio|"
          r"object)")
_OPEN_BLOCK_RE = re.compile(rf"<{_BLOCK}(?=[\s/>])", re.I)
_CLOSE_BLOCK_RE = re.compile(rf"</{_BLOCK}>|<hr\b[^>]*>", re.I)
_EDGE_TAGS_RE = re.compile(
    rf"^(?P<head>(?:\s*<{_BLOCK}(?:\s[^>]*)?>)*)(?P<middle>.*?)(?P<tail>(?:\s*</{_BLOCK}>)*)\s*$", re.I | re.S)
_WHOLE_ELEMENT_RE = re.compile(rf"^<(?P<tag>{_BLOCK})\b.*</(?P=tag)>$", re.I | re.S)
_BREAKS_RE = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr|td|th|blockquote|figcaption|dd|dt)>", re.I)
_PROTECTED_RE = re.compile(r"<(pre|script|style)\b.*?</\1>", re.I | re.S)


@dataclass
class Converted:
    markdown: str
    teaser: str = ""  # plain text before <!--more-->, if there is one
    pages: int = 1  # parts separated by <!--nextpage-->
    removed: list[str] = field(default_factory=list)  # scripts and empty embeds dropped


def _paragraph(chunk: str) -> str:
    """Wrap the loose text of one blank-line separated block in <p>, as wpautop does."""
    if _WHOLE_ELEMENT_RE.match(chunk):
        return chunk
    parts = _EDGE_TAGS_RE.match(chunk)
    middle = parts["middle"].strip()
    if not middle or _OPEN_BLOCK_RE.match(middle) or _CLOSE_BLOCK_RE.search(middle):
        return chunk
    # single newlines are line breaks, except inside a tag
    middle = re.sub(r"[ \t]*\n(?![^<]*>)[ \t]*", "<br />\n", middle)
    return f"{parts['head']}<p>{middle}</p>{parts['tail']}"


def wpautop(text: str) -> str:
    """Turn WordPress's blank-line paragraphs into <p> elements (a subset of wp-includes' wpautop)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    protected: list[str] = []

    def protect(match: re.Match) -> str:
        protected.append(match.group(0))
        return f"<pre data-wpautop=\"{len(protected) - 1}\"></pre>"

    text = _PROTECTED_RE.sub(protect, text)
    text = _OPEN_BLOCK_RE.sub(lambda m: "\n\n" + m.group(0), text)
    text = _CLOSE_BLOCK_RE.sub(lambda m: m.group(0) + "\n\n", text)
    chunks = [chunk.strip() for chunk in re.split(r"\n[ \t]*\n", text)]
    text = "\n\n".join(_paragraph(chunk) for chunk in chunks if chunk)
    return re.sub(r'<pre data-wpautop="(\d+)"></pre>', lambda m: protected[int(m.group(1))], text)


class WordPressConverter(MarkdownConverter):
    """markdownify with ATX headings, and paragraphs that cannot turn into lists or headings."""

    # Python-Markdown makes a heading of "#word" too, without a space
    _LEADING_MARKER = re.compile(r"^(\s*)(\d+)([.)])(\s)|^(\s*)([-+>])(\s)|^(\s*)(#)()", re.M)

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"

    def convert_p(self, el, text, parent_tags):
        converted = super().convert_p(el, text, parent_tags)
        return self._LEADING_MARKER.sub(self._escape_marker, converted)

    def convert_dt(self, el, text, parent_tags):  # a term such as "#dowork" must not become a heading
        converted = super().convert_dt(el, text, parent_tags)
        return self._LEADING_MARKER.sub(self._escape_marker, converted)

    @staticmethod
    def _escape_marker(match: re.Match) -> str:
        if match.group(2) is not None:
            return f"{match.group(1)}{match.group(2)}\\{match.group(3)}{match.group(4)}"
        if match.group(6) is not None:
            return f"{match.group(5)}\\{match.group(6)}{match.group(7)}"
        return f"{match.group(8)}\\#"


def one_line(html_or_text: str) -> str:
    """Plain single-line text, for a front matter value."""
    source = _BREAKS_RE.sub(" ", html_or_text or "")
    text = BeautifulSoup(source, "html.parser").get_text("")
    return " ".join(text.split())


def convert(content: str, shortcodes: Shortcodes) -> Converted:
    """WordPress post HTML (with shortcodes and embeds) → Markdown body and what was found on the way."""
    removed: list[str] = []
    content = _BLOCK_COMMENT_RE.sub("", content)
    teaser = ""
    more = _MORE_RE.search(content)
    if more:
        teaser = one_line(_NEXTPAGE_RE.sub(" ", shortcodes_free(content[:more.start()])))
        content = content[:more.start()] + content[more.end():]
    pages = len(_NEXTPAGE_RE.findall(content)) + 1
    content = _NEXTPAGE_RE.sub("\n\n<hr />\n\n", content)
    content = embeds.replace_elements(content, removed, shortcodes.media)

    def bare(url: str) -> str:
        shortcodes.media.append(embeds.canonical(url))
        return shortcodes.token(embeds.link_html(url), block=True)

    content = embeds.bare_urls(content, bare)
    content = wpautop(shortcodes.replace(content))
    markdown = WordPressConverter().convert(content)
    markdown = shortcodes.restore(markdown)
    markdown = re.sub(r"[ \t]+$", lambda m: m.group(0) if m.group(0) == "  " else "", markdown, flags=re.M)
    markdown = level_headings(re.sub(r"\n{3,}", "\n\n", markdown).strip())
    return Converted(markdown=markdown + "\n" if markdown else "", teaser=teaser, pages=pages, removed=removed)


def level_headings(markdown: str) -> str:
    """Move the headings so the highest is h2: the page's title is its h1, and a post that starts at h3
    (or uses h1 in the text) would skip or repeat a level. Their order and spacing stay."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    levels = [len(m) for m in re.findall(r"^(#{1,6}) ", prose, re.M)]
    if not levels or min(levels) == 2:
        return markdown
    shift = 2 - min(levels)
    out, fenced = [], False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"^(#{1,6}) ", line)
        if match:
            line = "#" * max(1, min(6, len(match[1]) + shift)) + line[len(match[1]):]
        out.append(line)
    return "\n".join(out)


def shortcodes_free(text: str) -> str:
    return re.sub(r"\[/?[A-Za-z][\w-]*(?:\s[^\]]*)?\]", " ", text)


def html_to_markdown(content: str, shortcodes: Shortcodes) -> str:
    """WordPress post HTML → Markdown body."""
    return convert(content, shortcodes).markdown or "\n"
