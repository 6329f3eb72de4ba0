"""The theme is complete, self-contained and readable in both colour schemes."""

import re

import pytest

from .conftest import ROOT

THEME = ROOT / "theme"
CSS = (THEME / "static" / "css" / "main.css").read_text()

# Every template Pelican renders with our settings.
RENDERED = ["index", "article", "page", "category", "tag", "author", "archives",
            "period_archives", "categories", "tags", "authors", "404", "sitemap", "robots", "drafts"]


@pytest.mark.parametrize("name", RENDERED)
def test_every_rendered_template_is_ours(name):
    template = THEME / "templates" / f"{name}.html"
    assert template.is_file()
    assert "!simple" not in template.read_text()


def test_no_template_falls_back_to_pelicans_themes():
    for template in (THEME / "templates").rglob("*.html"):
        text = template.read_text()
        assert "!simple" not in text and "notmyidea" not in text, template


def test_partials_each_declare_their_job():
    for partial in (THEME / "templates" / "partials").glob("*.html"):
        assert partial.read_text().lstrip().startswith("{#"), partial


def test_css_has_dark_scheme_print_styles_and_visible_focus():
    assert "@media (prefers-color-scheme: dark)" in CSS
    assert "@media print" in CSS
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px", CSS)
    # One deliberate font stack: each platform's own sans-serif named, Linux's too,
    # so no generic fallback picks a face (the browser test checks what is drawn).
    font = re.search(r"--font:([^;]+);", CSS).group(1)
    assert '"Segoe UI"' in font and "Roboto" in font and '"DejaVu Sans"' in font
    assert "serif" not in font.replace("sans-serif", "") and "--serif" not in CSS


def _palette(block):
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", block))


def _luminance(hex_colour):
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LIGHT = _palette(CSS.split("@media (prefers-color-scheme: dark)")[0].split("}")[0])
DARK = {**LIGHT, **_palette(CSS.split("@media (prefers-color-scheme: dark)")[1].split("}")[0])}
PAIRS = [("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("fg", "surface"),
         ("muted", "surface"), ("link", "surface"), ("on-accent", "accent"),
         ("focus", "bg"), ("bad", "bg"), ("ok", "bg"), ("bad", "surface"), ("ok", "surface")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("fore,back", PAIRS)
def test_wcag_aa_contrast(scheme, fore, back):
    palette = LIGHT if scheme == "light" else DARK
    ratio = contrast(palette[fore], palette[back])
    needed = 3.0 if fore == "focus" else 4.5
    assert ratio >= needed, f"{scheme}: --{fore} on --{back} is {ratio:.2f}:1"


def test_responsive_viewport_and_no_fixed_widths():
    assert "width=device-width" in (THEME / "templates" / "partials" / "head_meta.html").read_text()
    assert not re.search(r"\bwidth:\s*\d{3,}px", CSS)
