"""Images for the newsletter email: email clients show no SVG, so an SVG
image gets a PNG rendering (resvg), written beside the site's images and
cached by content, so rebuilds cost nothing.

`email_cover()` is the one place that decides which file an email shows for a
post's cover; a photo cover is plugins/images' JPEG/PNG variant (upright,
stripped of metadata, about twice the column wide), other raster covers are
used as they are.
"""

import hashlib
import os
import shutil
from dataclasses import dataclass

EMAIL_IMAGE_WIDTH = 1200  # pixels: twice the 600 px column, sharp on high-density screens
EMAIL_IMAGES_DIR = "images/email"


@dataclass(frozen=True)
class EmailImage:
    url: str      # absolute
    width: int    # display width in the email, px
    height: int
    alt: str


def email_cover(article, settings, site_origin, column=600):
    """The cover as the email shows it, or None when the post has none."""
    cover = getattr(article, "cover", None)
    if cover is None:
        return None
    resized = _resized_cover(article, column)
    if resized is not None:
        return resized
    source = os.path.join(settings["PATH"], cover.path)
    return email_image(source, cover.path, cover.width, cover.height, cover.alt,
                       settings, site_origin, column)


def _resized_cover(article, column):
    """A photo cover's JPEG/PNG variant from plugins/images (upright, stripped,
    about twice the column wide), when that plugin processed the cover."""
    if getattr(article, "cover_picture", None) is None:
        return None
    try:
        from images import raster_cover
    except ImportError:
        return None
    found = raster_cover(article, width=2 * column)
    if not found or not found["width"]:
        return None
    shown_width = min(column, found["width"])
    return EmailImage(found["url"], shown_width, round(shown_width * found["height"] / found["width"]),
                      found["alt"])


def email_image(source, site_path, width, height, alt, settings, site_origin, column=600):
    """A raster version of an image for email: (absolute URL, display size)."""
    if source.lower().endswith(".svg"):
        site_path = rasterise_svg(source, settings)
    shown_width = min(column, int(width or column))
    shown_height = round(shown_width * int(height or 0) / int(width)) if width and height else 0
    return EmailImage(f"{site_origin}/{site_path}", shown_width, shown_height, alt or "")


def rasterise_svg(source, settings, width=EMAIL_IMAGE_WIDTH):
    """Render an SVG file to PNG in OUTPUT_PATH; return its path on the site."""
    import resvg_py

    with open(source, "rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(data + str(width).encode()).hexdigest()[:12]
    stem = os.path.splitext(os.path.basename(source))[0]
    site_path = f"{EMAIL_IMAGES_DIR}/{stem}-{digest}.png"
    target = os.path.join(settings["OUTPUT_PATH"], site_path)
    cache_dir = settings.get("NEWSLETTER_IMAGE_CACHE") or os.path.join(
        settings.get("CACHE_PATH", "cache"), "email-images")
    cached = os.path.join(cache_dir, os.path.basename(site_path))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if not os.path.exists(cached):
        png = resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), width=width,
                                    skip_system_fonts=False)
        os.makedirs(cache_dir, exist_ok=True)
        partial = cached + ".part"
        with open(partial, "wb") as handle:
            handle.write(bytes(png))
        os.replace(partial, cached)
    if not os.path.exists(target):
        shutil.copyfile(cached, target)
    return site_path
