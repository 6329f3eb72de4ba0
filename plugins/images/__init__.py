"""Responsive, private and fast images, and a social card for every page.

At build time, once the content is read, every raster image (JPEG, PNG,
WebP) used as a cover (`Image:`), placed in a post's body, or kept under a
static folder is decoded once and written again:

- resized variants at IMAGES_WIDTHS for 1x and 2x screens, never upscaled,
  in WebP plus the source's own format (and AVIF first, with IMAGES_AVIF);
- EXIF orientation applied to the pixels, colours converted to sRGB from
  any embedded ICC profile (Pillow's ImageCms), and all metadata (EXIF, GPS,
  XMP, IPTC, ICC, comments, thumbnails) left behind;
- fingerprinted names under IMAGES_OUTPUT_DIR (`img/photo-720.<hash>.webp`),
  so hosts can cache them forever;
- the uploaded file itself is published as a clean copy (same path, same
  format, at most IMAGES_ORIGINAL_MAX px), so a link to it leaks nothing.

GIFs and SVGs are published as they are (body GIFs get their width, height
and lazy loading). Encoding runs in a process pool on every core, and every
result is kept in a content-addressed cache (IMAGES_CACHE_PATH, outside
output/): a warm build encodes nothing.

Posts and pages get:
  cover_picture   a Picture (or None): `.html(role, eager, priority)` gives
                  <picture> markup; `.width`, `.height` as displayed
  social_card     a Card(path, width, height, alt, type): og:image, 1200x630;
                  the cover cropped around `Image_focus: x%,y%` (default the
                  centre), or drawn from the title, category and site name
Body images become <picture> (lazy, except the first one near the top of a
post without a cover); `![alt](src "title")` alone in its paragraph becomes a
<figure> with the title as <figcaption>.

When the live preview reads one saved file again (its named signal
`preview_content_reread`, the front matter unchanged), its body images are
made <picture> again and its cover and card worked out, as `run` does for
every file.

Templates also get `images_site_card` (the card for the home page and lists).
`raster_cover(content, width)` gives the newsletter a JPEG/PNG cover URL.

Settings (all optional):
  IMAGES_ENABLED       True
  IMAGES_WIDTHS        [320, 480, 720, 1080, 1440]  variant widths in px
  IMAGES_AVIF          False   also write AVIF (slow to encode)
  IMAGES_QUALITY       {"jpeg": 78, "webp": 75, "avif": 55, "card": 85}
  IMAGES_SIZES         the `sizes` attribute per role: cover, featured, thumbnail, body
  IMAGES_OUTPUT_DIR    "img"
  IMAGES_CACHE_PATH    "cache/images" (env IMAGES_CACHE_PATH in pelicanconf.py)
  IMAGES_WORKERS       0 = one process per core
  IMAGES_ORIGINAL_MAX  2560   longest side of the published uploaded file; 0 keeps it
  IMAGES_CARD_COLORS   the card's palette; default: the theme's main.css :root colours
  IMAGES_EAGER_CHARS   600    a body image this close to the top of a post
                              without a cover is loaded eagerly
"""

from pelican import signals

from blinker import signal

from .pipeline import STATE, finish, reread, run


def raster_cover(content, width=600):
    """A JPEG or PNG image for `content` that email clients can show: the
    cover's variant closest to `width` (never upscaled), or, for a post whose
    cover is SVG, WebP or missing, its social card. Returns a dict with an
    absolute `url`, `width`, `height` and `alt`, or None without the plugin."""
    origin = STATE.get("origin", "")
    picture = getattr(content, "cover_picture", None)
    if picture is not None and picture.fallback_fmt in ("jpeg", "png"):
        variants = picture.formats[picture.fallback_fmt]
        fitting = [v for v in variants if v.width >= width] or variants[-1:]
        chosen = fitting[0]
        return {"url": f"{origin}/{chosen.name}", "width": chosen.width, "height": chosen.height,
                "alt": picture.alt}
    card = getattr(content, "social_card", None)
    if card is None:
        return None
    return {"url": f"{origin}/{card.path}", "width": card.width, "height": card.height, "alt": card.alt}


def _globals(generator):
    generator.env.globals["images_site_card"] = _SiteCard()


class _SiteCard:
    """Resolved when a template asks: the card exists once the content is read."""

    def __bool__(self):
        return STATE.get("site_card") is not None

    def __getattr__(self, name):
        return getattr(STATE["site_card"], name)

    def render_key(self):
        """What a page shows of the card (plugins/parallel_writer/render_keys.py)."""
        return repr(STATE.get("site_card"))


def register():
    signals.all_generators_finalized.connect(run)
    signals.finalized.connect(finish)
    signals.generator_init.connect(_globals)
    signal("preview_content_reread").connect(reread)
