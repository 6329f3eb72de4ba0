"""HTML for processed images: <picture> with one <source> per modern format
and an <img> fallback carrying srcset, sizes, width, height and alt; and the
rewriting of the <img> tags in a post's body (titled images become figures)."""

import html
import re
from html.parser import HTMLParser

from markupsafe import Markup

MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}
_IMG = re.compile(r"<img\b[^>]*>", re.I)
# An image alone in its paragraph, as Markdown writes ![alt](src "title").
_LONE_IMG = re.compile(r"<p>\s*(<img\b[^>]*>)\s*</p>", re.I)


def _attr(name, value):
    return f' {name}="{html.escape(str(value), quote=True)}"'


def picture_html(picture, role, eager=False, priority=False, alt=None, css_class=None, extra=None):
    sizes = picture.sizes.get(role) or picture.sizes["body"]
    alt = picture.alt if alt is None else alt
    parts = ["<picture>"]
    for fmt in picture.formats:
        if fmt != picture.fallback_fmt:
            parts.append(f'<source type="{MIME[fmt]}"{_attr("srcset", picture.srcset(fmt))}{_attr("sizes", sizes)}>')
    fallback = picture.fallback
    img = [f"<img{_attr('src', picture.url(fallback))}",
           _attr("srcset", picture.srcset(picture.fallback_fmt)), _attr("sizes", sizes),
           f' width="{picture.width}" height="{picture.height}"', _attr("alt", alt)]
    if css_class:
        img.append(_attr("class", css_class))
    if picture.focus != (0.5, 0.5):
        img.append(_attr("style", f"object-position: {picture.focus[0]:.0%} {picture.focus[1]:.0%}"))
    for name, value in (extra or {}).items():
        img.append(_attr(name, value))
    if priority:
        img.append(' fetchpriority="high"')
    if not eager and not priority:
        img.append(' loading="lazy"')
    img.append(' decoding="async">')
    parts.append("".join(img))
    parts.append("</picture>")
    return Markup("".join(parts))


class _Attrs(HTMLParser):
    def __init__(self, tag):
        super().__init__(convert_charrefs=True)
        self.attrs = {}
        self.feed(tag)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.attrs = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag


def attributes(tag):
    return _Attrs(tag).attrs


def rewrite_body(body, resolve, has_cover, eager_chars):
    """Replace each <img> whose src `resolve(src)` maps to a Picture (or to a
    (width, height) pair, for images kept as they are, like GIFs).
    Returns the new body and the sources used."""
    used = []
    first = {"done": False}

    def loading(position):
        # The first image of a post without a cover, near the top, may be the
        # largest thing on screen: load it at once. Every other one waits.
        if not first["done"]:
            first["done"] = True
            if not has_cover and position < eager_chars:
                return True
        return False

    def replace_img(tag, position, lone):
        attrs = attributes(tag)
        if "srcset" in attrs or not attrs.get("src"):
            return None  # the writer's own responsive markup
        found = resolve(attrs["src"])
        if found is None:
            return None
        eager = loading(position)
        title = attrs.get("title", "").strip()
        if isinstance(found, tuple):  # kept as it is: add its size and lazy loading
            width, height, url = found
            extra = "" if "width" in attrs else f' width="{width}" height="{height}"'
            lazy = "" if eager or "loading" in attrs else ' loading="lazy"'
            markup = tag[:-1].rstrip("/ ") + extra + lazy + ' decoding="async">'
            markup = re.sub(r'\bsrc\s*=\s*(["\'])[^"\']*\1', f'src="{html.escape(url)}"', markup, count=1)
        else:
            used.append(found.source.rel)
            extra = {k: v for k, v in attrs.items() if k in ("id", "class") and v}
            if lone and title:
                extra = {k: v for k, v in extra.items()}
            markup = str(found.html("body", eager=eager, priority=eager,
                                    alt=attrs.get("alt", ""), css_class=extra.pop("class", None)))
            if extra.get("id"):
                markup = markup.replace("<img ", f'<img id="{html.escape(extra["id"])}" ', 1)
            if title and not lone:
                markup = markup.replace("<img ", f"<img{_attr('title', title)} ", 1)
        if lone and title:
            if isinstance(found, tuple):
                markup = re.sub(r'\s+title\s*=\s*(["\'])[^"\']*\1', "", markup, count=1)
            return (f'<figure class="figure">{markup}'
                    f"<figcaption>{html.escape(title, quote=False)}</figcaption></figure>")
        return markup if not lone else f"<p>{markup}</p>"

    def lone_sub(match):
        new = replace_img(match.group(1), match.start(), lone=True)
        return match.group(0) if new is None else new

    body = _LONE_IMG.sub(lone_sub, body)

    def inline_sub(match):
        tag = match.group(0)
        if 'decoding="async"' in tag:
            return tag  # already done above
        new = replace_img(tag, match.start(), lone=False)
        return tag if new is None else new

    body = _IMG.sub(inline_sub, body)
    return body, used
