"""How the visitor tests look at a page: the views (width, colour scheme), the
page types, and what Chromium really drew."""

from __future__ import annotations

import re

WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")
VIEWS = [(width, scheme) for width in WIDTHS for scheme in SCHEMES]
ARTICLE = "/2026/03/sales-and-marketing-sibling-rivalry/"
PAGE_TYPES = {"home": "/", "article": ARTICLE, "page": "/about/", "newsletter": "/newsletter/",
              "contact": "/contact/", "search": "/search/", "archives": "/archives/",
              "tag": "/tag/email/", "category": "/category/strategy/"}


def font_stack(css_text: str, variable: str = "--font") -> list[str]:
    """The family names a CSS custom property lists, without quotes."""
    value = re.search(rf"{variable}:([^;]+);", css_text).group(1)
    return [name.strip().strip('"\'') for name in value.split(",")]


def platform_fonts(page, selector: str) -> set[str]:
    """The font families Chromium really drew the text of `selector`'s elements with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    families = set()
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            families.add(font["familyName"])
    cdp.detach()
    return families


def contrast(page, selector: str, pseudo: str = "") -> float:
    """The WCAG contrast ratio of an element's text colour on the first opaque
    background colour behind it, as the browser computed them."""
    return page.evaluate(CONTRAST_JS, [selector, pseudo or None])


CONTRAST_JS = """([selector, pseudo]) => {
  const el = document.querySelector(selector);
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const fg = rgb(getComputedStyle(el, pseudo).color);
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || c[3] > 0.99) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""
