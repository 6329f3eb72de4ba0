"""One post's newsletter email: HTML (theme/templates/email/issue.html, CSS
inlined by css-inline) and its plain-text part (inscriptis).

What an inbox needs, and the web page does not:
  * absolute URLs everywhere (links resolve against the post's web address);
  * raster images only: SVG images become PNG (cover.py), inline <svg>,
    scripts, forms, iframes and media are dropped (media become links);
  * every image has alt text ("" when the writer gave none: decorative);
  * [signup] and [contact] become links to their pages, the share buttons a
    "share this post" link, and heading anchors go;
  * Mailchimp's *|UNSUB|* and *|LIST:ADDRESSLINE|* in the footer.
"""

import os
import re
from dataclasses import asdict, dataclass
from urllib.parse import urljoin, urlsplit

import css_inline
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml import html as lxml_html

from .cover import email_cover, email_image

GMAIL_CLIP_BYTES = 102 * 1024  # Gmail clips a message's HTML above this
WARN_BYTES = 90 * 1024
CONTENT_WIDTH = 552  # px: the 600 px column less its padding
EMAIL_SHORTCODES = {
    "signup": "email/shortcode_signup.html",
    "contact": "email/shortcode_contact.html",
}
DROP_TAGS = ("script", "style", "form", "iframe", "object", "embed", "svg", "noscript",
             "button", "input", "select", "textarea", "template", "link", "meta")
MEDIA_TAGS = ("video", "audio")
_OFF = ("off", "no", "false", "0")
# Characters no HTML serialiser (nor mail client) accepts: C0 controls but tab/newline.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False,
                                 minify_css=True)
_text_config = ParserConfig(css=CSS_PROFILES["strict"], display_links=True,
                            deduplicate_captions=True)


@dataclass
class Issue:
    """What the campaign sender needs to know about one post's email."""

    slug: str
    title: str
    subject: str
    preview_text: str
    date: str          # ISO 8601, with the site's time zone
    url: str           # the post on the web
    source_path: str   # the Markdown file
    newsletter: bool   # False for `Newsletter: off`
    html: str
    text: str
    size: int          # bytes of HTML

    def as_dict(self):
        return asdict(self)


def newsletter_flag(article):
    """`Newsletter:` (or `Newsletters:`, as other Pelican blogs spell it), lowercased."""
    meta = article.metadata
    return str(meta.get("newsletter", meta.get("newsletters", ""))).strip().lower()


def newsletter_enabled(article):
    return newsletter_flag(article) not in _OFF


def render_issue(article, env, settings):
    """The Issue for one article (absolute URLs from SITE_ORIGIN)."""
    from shortcodes.expand import expand_shortcodes  # a sibling plugin

    origin = (settings.get("SITE_ORIGIN") or settings.get("SITEURL") or "").rstrip("/")
    web_url = f"{origin}/{article.url}"
    raw = getattr(article, "source_html", None) or article._content or ""
    body = article._update_content(raw, origin)
    body = expand_shortcodes(body, EMAIL_SHORTCODES, env, article)
    body = clean_body(body, web_url, settings, origin)
    cover = email_cover(article, settings, origin)
    subject = str(article.metadata.get("newsletter_subject") or article.title).strip()
    preview_text = article.description
    context = dict(settings)
    context.update(
        article=article, body=body, cover=cover, web_url=web_url,
        share_url=web_url + "#share-title", subject=subject, preview_text=preview_text,
        SITEURL=origin, site_url=origin + "/",
        signup_url=f"{origin}/{settings.get('PAGE_URL', '{slug}/').format(slug='newsletter')}",
    )
    document = env.get_template("email/issue.html").render(context)
    document = _inliner.inline(document)
    text = plain_text(document)
    return Issue(
        slug=article.slug, title=article.title, subject=subject, preview_text=preview_text,
        date=article.date.isoformat(), url=web_url,
        source_path=os.path.relpath(article.source_path, settings.get("PATH", ".")),
        newsletter=newsletter_enabled(article), html=document, text=text,
        size=len(document.encode("utf-8")),
    )


def plain_text(document):
    text = get_text(document, _text_config)
    text = re.sub(r"\[\s*\]\([^)]*\)", "", text)  # a linked image with no words (the cover)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def clean_body(body, base_url, settings, origin):
    """The post's HTML made safe and absolute for an inbox."""
    body = _CONTROL.sub("", body)
    if not body.strip():
        return ""
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    for node in root.xpath("//a[contains(concat(' ', normalize-space(@class), ' '), ' heading-anchor ')]"):
        node.drop_tree()
    for tag in MEDIA_TAGS:
        for node in root.iter(tag):
            src = node.get("src") or next((s.get("src") for s in node.iter("source") if s.get("src")), "")
            link = lxml_html.Element("a", href=urljoin(base_url, src) if src else base_url)
            link.text = f"Watch or listen on the web ({tag})"
            paragraph = lxml_html.Element("p")
            paragraph.append(link)
            node.addprevious(paragraph)
            node.drop_tree()
    for tag in DROP_TAGS:
        for node in list(root.iter(tag)):
            node.drop_tree()
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        for name in list(node.attrib):
            if name.startswith("on") or name in ("id", "srcset", "sizes", "loading", "decoding"):
                del node.attrib[name]
        for name in ("href", "src", "background", "action", "formaction", "poster"):
            if name in node.attrib:
                url = safe_url(node.get(name), base_url)
                if url is None or name not in ("href", "src"):
                    del node.attrib[name]
                else:
                    node.set(name, url)
        if node.tag == "img":
            _email_img(node, base_url, settings, origin)
    out = lxml_html.tostring(root, encoding="unicode")
    return out[len("<div>"):-len("</div>")]


SAFE_SCHEMES = ("http", "https", "mailto", "tel")
_MERGE_TAG = re.compile(r"\*\|[A-Z0-9_:]+\|\*")


def safe_url(value, base_url):
    """An absolute http(s)/mailto/tel URL or a Mailchimp merge tag; None for
    anything else (javascript:, data:, and their disguises with control
    characters or spaces inside the scheme, which browsers ignore)."""
    value = _CONTROL.sub("", value or "").strip()
    if _MERGE_TAG.fullmatch(value):
        return value
    compact = re.sub(r"[\x00-\x20\x7f]", "", value).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", compact)
    if scheme and scheme.group(1) not in SAFE_SCHEMES:
        return None
    if value.startswith("#"):
        return base_url + value
    try:
        url = urljoin(base_url, value)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in SAFE_SCHEMES else None



def _email_img(node, base_url, settings, origin):
    src = node.get("src")
    if not src or not src.startswith(("http://", "https://")):
        node.drop_tree()  # nothing to show (or an unsafe source, removed above)
        return
    node.set("alt", _CONTROL.sub("", node.get("alt") or ""))
    if urlsplit(src).path.lower().endswith(".svg"):
        if not (src.startswith(origin + "/") and _svg_to_png(node, src, settings, origin)):
            # Someone else's SVG: no inbox would show it; link to it instead.
            link = lxml_html.Element("a", href=src)
            link.text = node.get("alt") or "View the image on the web"
            link.tail = node.tail
            node.getparent().replace(node, link)
        return
    width = node.get("width")
    if width and width.isdigit() and int(width) > CONTENT_WIDTH:
        height = node.get("height")
        if height and height.isdigit():
            node.set("height", str(round(int(height) * CONTENT_WIDTH / int(width))))
        node.set("width", str(CONTENT_WIDTH))


def _svg_to_png(node, src, settings, origin):
    """Swap an <img> of one of our SVG files for its PNG rendering."""
    from article_facts.cover import image_size

    site_path = urlsplit(src).path.lstrip("/")
    source = os.path.join(settings["PATH"], site_path)
    if not os.path.isfile(source):
        return False
    width, height = image_size(source)
    image = email_image(source, site_path, width, height, node.get("alt") or "", settings, origin,
                        column=CONTENT_WIDTH)
    node.set("src", image.url)
    node.set("width", str(image.width))
    if image.height:
        node.set("height", str(image.height))
    return True
