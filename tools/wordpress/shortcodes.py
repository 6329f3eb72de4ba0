"""WordPress shortcodes in post HTML: what each becomes in our Markdown.

Contact Form 7 forms become our ``[signup]`` / ``[contact]``, ``[caption]`` a
<figure>, ``[gallery]`` a gallery of the attached images, ``[audio]``,
``[video]``, ``[embed]`` and friends plain links (nothing third-party loads
before a click). Any other shortcode is kept visible as code, so the build
does not take it for one of ours, and listed for the writer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable

from bs4 import BeautifulSoup

from tools.wordpress import embeds

FORM_SHORTCODES = {"contact-form-7", "contact-form"}
CAPTION_SHORTCODES = {"caption", "wp_caption"}
MEDIA_SHORTCODES = {"audio": "audio", "video": "video", "embed": "", "youtube": "video", "vimeo": "video",
                    "tweet": "", "wpvideo": "video", "soundcloud": "audio", "playlist": ""}
# Names WordPress core and common plugins register; other bracketed words only
# count as shortcodes when they carry attributes or a closing tag.
KNOWN_SHORTCODES = {"gallery", "embed", "audio", "video", "playlist", "wp_caption", "caption",
                    "contact-form-7", "contact-form", "button", "youtube", "vimeo", "tweet",
                    "column", "columns", "row", "tab", "tabs", "toggle", "accordion", "quote",
                    "wpvideo", "soundcloud", "instagram", "googlemaps", "slideshow"}
STRONG_SIGNUP_WORDS = re.compile(r"newsletter|subscri|sign[\s_-]?up|mailing|updates|opt[\s-]?in", re.I)
CONTACT_WORDS = re.compile(r"contact|enquir|inquir|quote|message|feedback|support", re.I)
WEAK_SIGNUP_WORDS = re.compile(r"e-?mail", re.I)
MEDIA_SOURCE_KEYS = ("src", "mp3", "m4a", "ogg", "wav", "wma", "mp4", "m4v", "webm", "ogv", "wmv", "flv", "url")

_SHORTCODE_RE = re.compile(
    r"\[(?P<esc>\[)?(?P<name>[A-Za-z][\w-]*)(?P<attrs>(?:\s[^\[\]]*?)?)\s*(?P<selfclose>/)?\](?P<esc2>\])?")
_ATTR_RE = re.compile(r"""(?P<key>[\w-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"']+))""")
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2033": '"', "\u2018": "'", "\u2019": "'",
                               "\u2032": "'", "\u00ab": '"', "\u00bb": '"'})


@dataclass
class GalleryImage:
    url: str
    alt: str
    caption: str = ""


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
    raw = html.unescape(raw).translate(_SMART_QUOTES)
    attrs = {m["key"].lower(): next(v for v in (m["dq"], m["sq"], m["bare"]) if v is not None)
             for m in _ATTR_RE.finditer(raw)}
    positional = _ATTR_RE.sub("", raw).split()
    if positional and "url" not in attrs and positional[0].startswith(("http://", "https://")):
        attrs["url"] = positional[0]  # [youtube https://...]
    return attrs


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


def gallery_html(images: list[GalleryImage]) -> str:
    lines = ['<div class="gallery">']
    for image in images:
        img = f'<img src="{html.escape(image.url, quote=True)}" alt="{html.escape(image.alt, quote=True)}" loading="lazy">'
        caption = f"<figcaption>{html.escape(image.caption)}</figcaption>" if image.caption else ""
        lines.append(f"<figure>{img}{caption}</figure>")
    lines.append("</div>")
    return "\n".join(lines)


def media_url(attrs: dict[str, str], inner: str | None) -> str:
    for key in MEDIA_SOURCE_KEYS:
        if attrs.get(key, "").startswith(("http://", "https://", "//")):
            return attrs[key]
    if inner and re.fullmatch(r"\s*https?://\S+\s*", inner):
        return inner.strip()
    if attrs.get("id") and attrs.get("_name") == "tweet":
        return f"https://twitter.com/i/status/{attrs['id']}"
    return ""


@dataclass
class Shortcodes:
    """Replaces shortcodes by tokens that markdownify leaves alone, then puts the results back.

    ``gallery(attrs)`` gives a [gallery]'s images; ``notes`` collects what the
    writer should know (galleries, media links, unknown shortcodes).
    """
    forms: FormRules
    gallery: Callable[[dict[str, str]], list[GalleryImage]] = lambda attrs: []
    tokens: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    forms_seen: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, kind)
    galleries: list[int] = field(default_factory=list)  # images per [gallery]
    media: list[str] = field(default_factory=list)  # URLs that became links

    def token(self, value: str, block: bool) -> str:
        token = f"wpimporttoken{len(self.tokens)}x"
        self.tokens[token] = value
        return f"\n\n{token}\n\n" if block else token

    def _handle(self, name: str, attrs_raw: str, inner: str | None, original: str) -> str | None:
        lname = name.lower()
        attrs = parse_attrs(attrs_raw)
        if lname in FORM_SHORTCODES:
            kind = self.forms.classify(attrs)
            self.forms_seen.append((attrs.get("id", ""), attrs.get("title", ""), kind))
            return self.token(f"[{kind}]", block=True)
        if lname in CAPTION_SHORTCODES and inner is not None:
            figure = caption_figure(attrs, inner)
            if figure:
                return self.token(figure, block=True)
        if lname == "gallery":
            images = self.gallery(attrs)
            self.galleries.append(len(images))
            return self.token(gallery_html(images), block=True) if images else ""
        if lname in MEDIA_SHORTCODES:
            url = media_url({**attrs, "_name": lname}, inner)
            if url:
                self.media.append(url)
                return self.token(embeds.link_html(url, MEDIA_SHORTCODES[lname]), block=True)
        if lname in KNOWN_SHORTCODES or "=" in attrs_raw or inner is not None:
            self.unknown.append(original)
            return None
        return None  # ordinary bracketed text such as "[see below]"

    def replace(self, text: str) -> str:
        out, pos = [], 0
        while (match := _SHORTCODE_RE.search(text, pos)) is not None:
            out.append(text[pos:match.start()])
            pos = match.end()
            if match["esc"] and match["esc2"]:  # [[name]] is WordPress's escape for a literal [name]
                out.append(self.token(match.group(0)[1:-1], block=False))
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
            if replacement is None and self.unknown and self.unknown[-1] == text[match.start():end]:
                # unknown: show the tags as code (so the build never runs them), keep what they enclose
                out.append(self.token(_as_code(match.group(0)), block=False))
                if inner is not None:
                    out.append(self.replace(inner))
                    out.append(self.token(_as_code(closing), block=False))
                    pos = end
            elif replacement is None:
                out.append(match.group(0))
            else:
                out.append(replacement)
                pos = end
        out.append(text[pos:])
        return "".join(out)

    def restore(self, markdown: str) -> str:
        for token, value in reversed(self.tokens.items()):
            markdown = markdown.replace(token, value)
        return markdown


def _as_code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"
