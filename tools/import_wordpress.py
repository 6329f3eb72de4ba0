"""Import a WordPress export: ``python -m tools.import_wordpress export.xml``.

Reads a WXR file (WordPress > Tools > Export) and writes one Markdown file per
post (content/posts/) and page (content/pages/) with Pelican front matter. The
HTML is run through a wpautop equivalent (WordPress stores paragraphs as blank
lines, not <p> tags) and converted with markdownify. Contact Form 7 shortcodes
become our ``[signup]`` / ``[contact]`` lines, ``[caption]`` becomes a <figure>,
and anything else that looks like a shortcode is left as visible text and
listed. Comments are not imported, and nothing is downloaded: the closing
summary lists what needs a human (comments, unknown shortcodes, remote images).
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from bs4 import BeautifulSoup
from markdownify import ATX, MarkdownConverter
from pelican.utils import get_date

from tools.slugs import default_settings_file, existing_slugs, make_slug, slug_settings

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
EXCERPT_NS_PREFIX = "http://wordpress.org/export/"  # + "1.x/excerpt/"
WP_NS_PREFIX = "http://wordpress.org/export/"  # + "1.x/"

TARGET_DIRS = {"post": "posts", "page": "pages"}
STATUS_MAP = {"publish": "published", "draft": "draft", "pending": "draft", "private": "draft",
              "future": "draft"}
SUMMARY_LIMIT = 160
DATE_FORMAT = "%Y-%m-%d %H:%M"

FORM_SHORTCODES = {"contact-form-7", "contact-form"}
CAPTION_SHORTCODES = {"caption", "wp_caption"}
# Names WordPress core and common plugins register; other bracketed words only
# count as shortcodes when they carry attributes or a closing tag.
KNOWN_SHORTCODES = {"gallery", "embed", "audio", "video", "playlist", "wp_caption", "caption",
                    "contact-form-7", "contact-form", "button", "youtube", "vimeo", "tweet",
                    "column", "columns", "row", "tab", "tabs", "toggle", "accordion", "quote"}
STRONG_SIGNUP_WORDS = re.compile(r"newsletter|subscri|sign[\s_-]?up|mailing|updates|opt[\s-]?in", re.I)
CONTACT_WORDS = re.compile(r"contact|enquir|inquir|quote|message|feedback|support", re.I)
WEAK_SIGNUP_WORDS = re.compile(r"e-?mail", re.I)

_SHORTCODE_RE = re.compile(
    r"\[(?P<esc>\[)?(?P<name>[A-Za-z][\w-]*)(?P<attrs>(?:\s[^\[\]]*?)?)\s*(?P<selfclose>/)?\](?P<esc2>\])?")
_ATTR_RE = re.compile(r"""(?P<key>[\w-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"']+))""")
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2033": '"', "\u2018": "'", "\u2019": "'",
                               "\u2032": "'"})
_WP_COMMENTS_RE = re.compile(r"<!--\s*(?:/?wp:.*?|more\b.*?|nextpage)\s*-->", re.S)
_BLOCK = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|"
          r"blockquote|address|math|style|script|p|h[1-6]|hr|fieldset|legend|section|article|aside|"
          r"hgroup|header|footer|nav|figure|figcaption|details|summary|menu|iframe|noscript|video|audio|"
          r"object)")
_OPEN_BLOCK_RE = re.compile(rf"<{_BLOCK}(?=[\s/>])", re.I)
_CLOSE_BLOCK_RE = re.compile(rf"</{_BLOCK}>|<hr\b[^>]*>", re.I)
_EDGE_TAGS_RE = re.compile(
    rf"^(?P<head>(?:\s*<{_BLOCK}(?:\s[^>]*)?>)*)(?P<middle>.*?)(?P<tail>(?:\s*</{_BLOCK}>)*)\s*$", re.I | re.S)
_WHOLE_ELEMENT_RE = re.compile(rf"^<(?P<tag>{_BLOCK})\b.*</(?P=tag)>$", re.I | re.S)
_PROTECTED_RE = re.compile(r"<(pre|script|style)\b.*?</\1>", re.I | re.S)
_IMG_URL_RE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["'](?P<src>https?://[^"']+)["']""", re.I)


class ExportError(Exception):
    """The export cannot be read; the message is for the user."""


# --------------------------------------------------------------------------- parsing

@dataclass
class Comment:
    author: str
    date: str
    approved: str
    kind: str


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
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    attachment_url: str = ""


@dataclass
class Export:
    items: list[Item]
    authors: dict[str, str]

    def by_id(self, post_type: str) -> dict[str, Item]:
        return {item.post_id: item for item in self.items if item.post_type == post_type}


def _namespaces(path: Path) -> dict[str, str]:
    """The export's namespace URIs by role; WXR 1.0, 1.1 and 1.2 differ only in the version."""
    found = {"content": CONTENT_NS, "dc": DC_NS, "wp": WP_NS_PREFIX + "1.2/",
             "excerpt": WP_NS_PREFIX + "1.2/excerpt/"}
    for _event, (_prefix, uri) in ET.iterparse(str(path), events=("start-ns",)):
        if uri.startswith(WP_NS_PREFIX):
            found["excerpt" if uri.rstrip("/").endswith("excerpt") else "wp"] = uri
    return found


def _text(element: ET.Element | None, tag: str) -> str:
    child = element.find(tag) if element is not None else None
    return (child.text or "") if child is not None else ""


def _parse_comments(element: ET.Element, wp: str) -> list[Comment]:
    return [Comment(author=html.unescape(_text(c, f"{{{wp}}}comment_author")).strip() or "(anonymous)",
                    date=_text(c, f"{{{wp}}}comment_date").strip(),
                    approved=_text(c, f"{{{wp}}}comment_approved").strip(),
                    kind=_text(c, f"{{{wp}}}comment_type").strip())
            for c in element.findall(f"{{{wp}}}comment")]


def _parse_item(element: ET.Element, ns: dict[str, str]) -> Item:
    wp = ns["wp"]
    terms = {"category": [], "post_tag": []}
    for category in element.findall("category"):
        domain = category.get("domain", "category")
        if domain in terms and (category.text or "").strip():
            terms[domain].append(html.unescape(category.text.strip()))
    meta = {_text(m, f"{{{wp}}}meta_key"): _text(m, f"{{{wp}}}meta_value")
            for m in element.findall(f"{{{wp}}}postmeta")}
    return Item(
        title=html.unescape(_text(element, "title")).strip(),
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
        categories=terms["category"],
        tags=terms["post_tag"],
        comments=_parse_comments(element, wp),
        meta=meta,
        attachment_url=_text(element, f"{{{wp}}}attachment_url").strip(),
    )


def parse_export(path: Path) -> Export:
    """Read a WXR file into items and the login → display name map."""
    try:
        ns = _namespaces(path)
        channel = ET.parse(str(path)).getroot().find("channel")
    except (ET.ParseError, OSError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc
    if channel is None:
        raise ExportError(f"{path} is not a WordPress export (no <channel>)")
    wp = ns["wp"]
    authors = {}
    for author in channel.findall(f"{{{wp}}}author"):
        login = _text(author, f"{{{wp}}}author_login").strip()
        display = html.unescape(_text(author, f"{{{wp}}}author_display_name")).strip()
        if login:
            authors[login] = display or login
    return Export(items=[_parse_item(item, ns) for item in channel.findall("item")], authors=authors)


# --------------------------------------------------------------------------- shortcodes

@dataclass
class FormRules:
    """How to tell a Contact Form 7 signup form from a contact form."""
    signup_ids: set[str] = field(default_factory=set)
    contact_ids: set[str] = field(default_factory=set)
    titles: dict[str, str] = field(default_factory=dict)  # form id → title, from the export

    def classify(self, attrs: dict[str, str]) -> str:
        form_id = attrs.get("id", "")
        if form_id in self.signup_ids:
            return "signup"
        if form_id in self.contact_ids:
            return "contact"
        title = attrs.get("title") or self.titles.get(form_id, "")
        if STRONG_SIGNUP_WORDS.search(title):
            return "signup"
        if CONTACT_WORDS.search(title):
            return "contact"
        return "signup" if WEAK_SIGNUP_WORDS.search(title) else "contact"


def parse_attrs(raw: str) -> dict[str, str]:
    """Shortcode attributes; the editor sometimes turns their quotes into curly ones."""
    raw = raw.translate(_SMART_QUOTES)
    return {m["key"].lower(): html.unescape(next(v for v in (m["dq"], m["sq"], m["bare"]) if v is not None))
            for m in _ATTR_RE.finditer(raw)}


def _img_tag(img, alt: str) -> str:
    attrs = {"src": img.get("src", ""), "alt": alt}
    for name in ("width", "height"):
        if img.get(name):
            attrs[name] = img[name]
    return "<img " + " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items()) + ">"


def caption_figure(attrs: dict[str, str], inner: str) -> str | None:
    """``[caption]<img> text[/caption]`` as a <figure>; alt falls back to the caption."""
    soup = BeautifulSoup(inner, "html.parser")
    img = soup.find("img")
    if img is None:
        return None
    holder = img.parent if img.parent is not None and img.parent.name == "a" else img
    holder.extract()
    caption_html = attrs.get("caption") or soup.decode().strip()
    caption_text = " ".join(BeautifulSoup(caption_html, "html.parser").get_text(" ").split())
    alt = " ".join((img.get("alt") or "").split()) or caption_text
    align = attrs.get("align", "")
    class_attr = f' class="{html.escape(align, quote=True)}"' if align and align != "alignnone" else ""
    lines = [f"<figure{class_attr}>", _img_tag(img, alt)]
    if caption_html:
        lines.append(f"<figcaption>{caption_html}</figcaption>")
    lines.append("</figure>")
    return "\n".join(lines)


@dataclass
class Shortcodes:
    """Replaces shortcodes by tokens that markdownify leaves alone, then puts the results back."""
    forms: FormRules
    tokens: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    forms_seen: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, kind)

    def _token(self, value: str, block: bool) -> str:
        token = f"wpimporttoken{len(self.tokens)}x"
        self.tokens[token] = value
        return f"\n\n{token}\n\n" if block else token

    def _handle(self, name: str, attrs_raw: str, inner: str | None, original: str) -> str | None:
        lname = name.lower()
        attrs = parse_attrs(attrs_raw)
        if lname in FORM_SHORTCODES:
            kind = self.forms.classify(attrs)
            self.forms_seen.append((attrs.get("id", ""), attrs.get("title", ""), kind))
            return self._token(f"[{kind}]", block=True)
        if lname in CAPTION_SHORTCODES and inner is not None:
            figure = caption_figure(attrs, inner)
            if figure:
                return self._token(figure, block=True)
        if lname in KNOWN_SHORTCODES or "=" in attrs_raw or inner is not None:
            self.unknown.append(original)
            return self._token(original, block=False)
        return None  # ordinary bracketed text such as "[see below]"

    def replace(self, text: str) -> str:
        out, pos = [], 0
        while (match := _SHORTCODE_RE.search(text, pos)) is not None:
            out.append(text[pos:match.start()])
            pos = match.end()
            if match["esc"] and match["esc2"]:  # [[name]] is WordPress's escape for a literal [name]
                out.append(match.group(0)[1:-1])
                continue
            if text.startswith("(", pos):  # a Markdown link, not a shortcode
                out.append(match.group(0))
                continue
            name, inner, end = match["name"], None, pos
            closing = f"[/{name}]"
            close_at = -1 if match["selfclose"] else text.find(closing, pos)
            if close_at != -1:
                inner, end = text[pos:close_at], close_at + len(closing)
            replacement = self._handle(name, match["attrs"], inner, text[match.start():end])
            if replacement is None:
                out.append(match.group(0))
            else:
                out.append(replacement)
                pos = end
        out.append(text[pos:])
        return "".join(out)

    def restore(self, markdown: str) -> str:
        for token, value in self.tokens.items():
            markdown = markdown.replace(token, value)
        return markdown


# --------------------------------------------------------------------------- HTML → Markdown

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

    _LEADING_MARKER = re.compile(r"^(\s*)(\d+)([.)])(\s)|^(\s*)([-+#>])(\s)", re.M)

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"

    def convert_p(self, el, text, parent_tags):
        converted = super().convert_p(el, text, parent_tags)
        return self._LEADING_MARKER.sub(self._escape_marker, converted)

    @staticmethod
    def _escape_marker(match: re.Match) -> str:
        if match.group(2) is not None:
            return f"{match.group(1)}{match.group(2)}\\{match.group(3)}{match.group(4)}"
        return f"{match.group(5)}\\{match.group(6)}{match.group(7)}"


def html_to_markdown(content: str, shortcodes: Shortcodes) -> str:
    """WordPress post HTML (with shortcodes) → Markdown body."""
    content = _WP_COMMENTS_RE.sub("", content)
    content = wpautop(shortcodes.replace(content))
    markdown = WordPressConverter().convert(content)
    markdown = shortcodes.restore(markdown)
    markdown = re.sub(r"[ \t]+$", lambda m: m.group(0) if m.group(0) == "  " else "", markdown, flags=re.M)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"


def one_line(html_or_text: str) -> str:
    """Plain single-line text, for a front matter value."""
    text = BeautifulSoup(html_or_text or "", "html.parser").get_text(" ")
    return " ".join(html.unescape(text).split())


# --------------------------------------------------------------------------- documents

@dataclass
class Document:
    item: Item
    kind: str  # "post" or "page"
    slug: str
    fields: list[tuple[str, str]]
    body: str
    unknown_shortcodes: list[str]
    forms: list[tuple[str, str, str]]
    images: list[str]
    warnings: list[str]
    path: Path | None = None

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


def tag_list(item: Item) -> list[str]:
    """Extra categories then tags, deduplicated; Pelican splits tags on commas and semicolons."""
    seen, tags = set(), []
    for name in item.categories[1:] + item.tags:
        name = " ".join(re.sub(r"[,;]", " ", name).split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            tags.append(name)
    return tags


def remote_images(content: str, item: Item, attachments: dict[str, Item]) -> list[str]:
    urls = list(dict.fromkeys(m["src"] for m in _IMG_URL_RE.finditer(content)))
    cover = attachments.get(item.meta.get("_thumbnail_id", ""))
    if cover is not None and cover.attachment_url:
        note = "featured image: save it under content/images/ and set Image:"
        urls = [u for u in urls if u != cover.attachment_url] + [f"{cover.attachment_url} ({note})"]
    return urls


def build_document(item: Item, export: Export, slug: str, forms: FormRules,
                   categories: list[str] | None = None) -> Document:
    """Front matter and Markdown body for one post or page."""
    warnings: list[str] = []
    title = item.title
    if not title:
        title = f"Untitled {item.post_type} {item.post_id}".strip()
        warnings.append(f"no title in the export; Title set to {title!r}")
    date, modified = item_dates(item, warnings)
    shortcodes = Shortcodes(forms)
    body = html_to_markdown(item.content, shortcodes)
    summary = one_line(item.excerpt)
    if len(summary) > SUMMARY_LIMIT:
        warnings.append(f"Summary is {len(summary)} characters (limit {SUMMARY_LIMIT}); shorten it")
    if categories and item.post_type == "post" and item.categories and item.categories[0] not in categories:
        warnings.append(f"Category {item.categories[0]!r} is not in CATEGORIES ({', '.join(categories)})")
    if item.status == "future":
        warnings.append("was scheduled in WordPress; imported as a draft")
    author = export.authors.get(item.creator, item.creator)
    fields = [("Title", " ".join(title.split())),
              ("Date", f"{date:{DATE_FORMAT}}"),
              ("Modified", f"{modified:{DATE_FORMAT}}" if modified else None)]
    if item.post_type == "post":
        fields += [("Category", item.categories[0] if item.categories else None),
                   ("Tags", ", ".join(tag_list(item)) or None)]
    fields += [("Authors", re.sub(r"[,;]", " ", author).strip() or None),
               ("Summary", summary or None),
               ("Slug", slug),
               ("Status", STATUS_MAP[item.status])]
    return Document(item=item, kind=item.post_type, slug=slug, fields=fields, body=body,
                    unknown_shortcodes=shortcodes.unknown, forms=shortcodes.forms_seen,
                    images=remote_images(item.content, item, export.by_id("attachment")), warnings=warnings)


# --------------------------------------------------------------------------- the run

@dataclass
class Report:
    source: Path
    written: list[Document] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)  # not written, and why
    skipped: Counter = field(default_factory=Counter)

    def count(self, kind: str) -> int:
        return sum(1 for doc in self.written if doc.kind == kind)


def skip_reason(item: Item) -> str | None:
    if item.post_type not in TARGET_DIRS:
        return item.post_type
    if item.status not in STATUS_MAP:
        return f"{item.post_type} with status {item.status or 'none'}"
    return None


def unique_slug(item: Item, taken: set[str], settings: dict) -> str:
    """The WordPress slug (so old URLs keep working), else the title's; -2, -3... on a clash."""
    base = make_slug(item.name, settings) or make_slug(item.title, settings) or f"{item.post_type}-{item.post_id}"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


def run_import(source: Path, content_dir: Path, force: bool, forms: FormRules,
               settings: dict | None = None) -> Report:
    """Import ``source`` into ``content_dir`` and return what happened."""
    export = parse_export(source)
    settings = settings or slug_settings(default_settings_file(content_dir))
    form_items = (i for i in export.items if i.post_type == "wpcf7_contact_form")
    forms.titles = {i.post_id: i.title for i in form_items} | forms.titles
    report = Report(source=source)
    taken = {kind: set() for kind in TARGET_DIRS}
    for item in export.items:
        reason = skip_reason(item)
        if reason:
            report.skipped[reason] += 1
            continue
        target_dir = Path(content_dir) / TARGET_DIRS[item.post_type]
        slug = unique_slug(item, taken[item.post_type], settings)
        doc = build_document(item, export, slug, forms, settings.get("CATEGORIES"))
        write_document(doc, target_dir, force, settings, report)
    return report


def write_document(doc: Document, target_dir: Path, force: bool, settings: dict, report: Report) -> None:
    path = target_dir / f"{doc.slug}.md"
    owner = existing_slugs(target_dir, settings).get(doc.slug)
    if owner is not None and owner.resolve() != path.resolve():
        report.kept.append((path, f"slug already used by {owner}"))
        return
    if path.exists() and not force:
        report.kept.append((path, "exists (use --force to overwrite)"))
        return
    target_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(doc.text(), encoding="utf-8")
    doc.path = path
    report.written.append(doc)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


COMMENT_STATES = {"1": "", "0": "pending", "spam": "spam", "trash": "trash"}


def _comment_line(comment: Comment) -> str:
    kind = "" if comment.kind in ("", "comment") else comment.kind  # pingback, trackback
    notes = [note for note in (kind, COMMENT_STATES.get(comment.approved, comment.approved)) if note]
    return f"    - {comment.author}, {comment.date}" + (f" ({', '.join(notes)})" if notes else "")


def format_summary(report: Report) -> str:
    """The closing summary: what was written and what a human still has to do."""
    lines = [f"WordPress import from {report.source}",
             f"  written: {_plural(report.count('post'), 'post')}, {_plural(report.count('page'), 'page')}"]
    for doc in report.written:
        lines.append(f"    {doc.path}  [{dict(doc.fields)['Status']}]")
    if report.kept:
        lines.append(f"  not written: {len(report.kept)}")
        lines += [f"    {path}: {why}" for path, why in report.kept]
    skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
    lines.append(f"  skipped: {skipped or 'nothing'}")
    lines += _section("Forms (check the signup/contact choice; override with --signup-form-ids/--contact-form-ids):",
                      [f"  {doc.path}: contact-form-7 id={fid or '?'} \"{title}\" -> [{kind}]"
                       for doc in report.written for fid, title, kind in doc.forms])
    lines += _section("Unknown shortcodes (kept as text; fix by hand):",
                      [f"  {doc.path}: {code}" for doc in report.written for code in doc.unknown_shortcodes])
    lines += _section("Comments (not imported):", _comment_lines(report))
    lines += _section("Remote images to download by hand:",
                      [f"  {doc.path}: {url}" for doc in report.written for url in doc.images])
    lines += _section("Warnings:", [f"  {doc.path}: {w}" for doc in report.written for w in doc.warnings])
    return "\n".join(lines) + "\n"


def _comment_lines(report: Report) -> list[str]:
    lines = []
    for doc in report.written:
        if doc.item.comments:
            lines.append(f"  {doc.path} \"{doc.item.title}\": {_plural(len(doc.item.comments), 'comment')}")
            lines += [_comment_line(comment) for comment in doc.item.comments]
    return lines


def _section(heading: str, lines: list[str]) -> list[str]:
    return [heading] + lines if lines else []


def _id_set(value: str) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.import_wordpress",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="the WXR file from WordPress > Tools > Export")
    parser.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    parser.add_argument("--signup-form-ids", default="", help="Contact Form 7 ids that are newsletter signups")
    parser.add_argument("--contact-form-ids", default="", help="Contact Form 7 ids that are contact forms")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    forms = FormRules(signup_ids=_id_set(args.signup_form_ids), contact_ids=_id_set(args.contact_form_ids))
    if not args.export.is_file():
        print(f"import_wordpress: {args.export} not found", file=sys.stderr)
        return 2
    try:
        report = run_import(args.export, args.content, args.force, forms)
    except ExportError as exc:
        print(f"import_wordpress: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(format_summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
