"""Heading anchors and an optional table of contents.

Python-Markdown's toc extension (MARKDOWN in pelicanconf.py, permalink off)
gives every heading an id. This plugin then, for each article and page:

- adds after the text of every h2-h6 with an id a link to it,
  <a class="heading-anchor" href="#id" aria-label="Link to this section: ..." data-pagefind-ignore>#</a>,
  a keyboard-reachable "#" that CSS shows on hover and focus;
- builds a table of contents from the h2 and h3 headings, rendered by
  partials/toc.html as <nav aria-label="Table of contents"> before the text.

Adds to every article and page:
  toc   [] or [{"id", "title", "children": [{"id", "title"}, ...]}, ...]
        (h2 entries, each with its h3s); empty unless the TOC is wanted

Settings:
  TOC_MIN_HEADINGS   show the TOC on posts with at least this many h2/h3
                     headings; default 0 = only where the post asks for it
  TOC_ANCHORS        add the heading anchors; default True

Front matter:
  Toc: on     always show the TOC (also yes, true, 1)
  Toc: off    never show it, however many headings (also no, false, 0)
"""

import html
import re

from pelican import signals
from pelican.contents import Article, Page

HEADING = re.compile(r'<h([2-6])([^>]*?)\bid="([^"]+)"([^>]*)>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")
ON = {"on", "yes", "true", "1"}
OFF = {"off", "no", "false", "0"}


def heading_text(inner_html):
    return " ".join(html.unescape(TAG.sub("", inner_html)).split())


def process(body, anchors=True):
    """Return (body with anchors, [(level, id, text), ...])."""
    found = []

    def replace(match):
        level, before, ident, after, inner = match.groups()
        if 'class="heading-anchor"' in inner:
            return match.group(0)
        text = heading_text(inner)
        found.append((int(level), html.unescape(ident), text))
        if not anchors:
            return match.group(0)
        label = html.escape(f"Link to this section: {text}", quote=True)
        # data-pagefind-ignore: the "#" is no word of the text, so search excerpts leave it out.
        link = f'<a class="heading-anchor" href="#{ident}" aria-label="{label}" data-pagefind-ignore>#</a>'
        return f'<h{level}{before}id="{ident}"{after}>{inner} {link}</h{level}>'

    return HEADING.sub(replace, body), found


def nest(headings):
    toc = []
    for level, ident, text in headings:
        if level == 2 or not toc:
            if level in (2, 3):
                toc.append({"id": ident, "title": text, "children": []})
        elif level == 3:
            toc[-1]["children"].append({"id": ident, "title": text})
    return toc


def add_anchors_and_toc(content):
    if not isinstance(content, (Article, Page)):
        return
    settings = content.settings
    body = content._content or ""
    body, headings = process(body, settings.get("TOC_ANCHORS", True))
    content._content = body
    wanted = str(content.metadata.get("toc", "")).strip().lower()
    minimum = settings.get("TOC_MIN_HEADINGS", 0) or 0
    count = sum(1 for level, _, _ in headings if level in (2, 3))
    show = wanted in ON or (wanted not in OFF and minimum > 0 and count >= minimum)
    content.toc = nest(headings) if show else []


def register():
    signals.content_object_init.connect(add_anchors_and_toc)
