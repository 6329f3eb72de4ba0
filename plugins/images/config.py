"""The images plugin's settings, with their defaults, read once per build."""

import os
import re
from dataclasses import dataclass, field

DEFAULT_WIDTHS = [320, 480, 720, 1080, 1440]
DEFAULT_QUALITY = {"jpeg": 78, "webp": 75, "avif": 55, "card": 85}
# The theme's column is 42rem (main.css --measure) inside a gap of 4vw
# (1rem to 2rem a side); list thumbnails are 11rem wide, 7rem on phones.
DEFAULT_SIZES = {
    "cover": "(min-width: 46rem) 42rem, calc(100vw - 2rem)",
    "featured": "(min-width: 46rem) 42rem, calc(100vw - 2rem)",
    "thumbnail": "(min-width: 40rem) 11rem, 7rem",
    "body": "(min-width: 46rem) 42rem, calc(100vw - 2rem)",
}
# The theme's light palette, used when the stylesheet cannot be read.
DEFAULT_CARD_COLORS = {"bg": "#ffffff", "fg": "#1d1d1f", "muted": "#555a64",
                       "accent": "#0a4fbf", "surface": "#f3f4f6", "line": "#d5d8de"}
RASTER_SUFFIXES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


@dataclass(frozen=True)
class Config:
    enabled: bool = True
    widths: tuple = tuple(DEFAULT_WIDTHS)
    avif: bool = False
    quality: dict = field(default_factory=lambda: dict(DEFAULT_QUALITY))
    sizes: dict = field(default_factory=lambda: dict(DEFAULT_SIZES))
    output_dir: str = "img"
    cache_path: str = "cache/images"
    workers: int = 0
    original_max: int = 2560
    card_size: tuple = (1200, 630)
    card_colors: dict = field(default_factory=lambda: dict(DEFAULT_CARD_COLORS))
    eager_chars: int = 600

    @property
    def worker_count(self):
        return self.workers or os.cpu_count() or 1


def read_config(settings):
    quality = dict(DEFAULT_QUALITY, **(settings.get("IMAGES_QUALITY") or {}))
    sizes = dict(DEFAULT_SIZES, **(settings.get("IMAGES_SIZES") or {}))
    widths = sorted({int(w) for w in settings.get("IMAGES_WIDTHS") or DEFAULT_WIDTHS})
    if not widths or widths[0] <= 0:
        raise ValueError("IMAGES_WIDTHS must list positive pixel widths")
    colors = dict(DEFAULT_CARD_COLORS, **theme_palette(settings),
                  **(settings.get("IMAGES_CARD_COLORS") or {}))
    return Config(
        enabled=bool(settings.get("IMAGES_ENABLED", True)),
        widths=tuple(widths),
        avif=bool(settings.get("IMAGES_AVIF", False)),
        quality=quality,
        sizes=sizes,
        output_dir=str(settings.get("IMAGES_OUTPUT_DIR", "img")).strip("/"),
        cache_path=os.path.abspath(settings.get("IMAGES_CACHE_PATH") or "cache/images"),
        workers=int(settings.get("IMAGES_WORKERS", 0) or 0),
        original_max=int(settings.get("IMAGES_ORIGINAL_MAX", 2560) or 0),
        card_colors=colors,
        eager_chars=int(settings.get("IMAGES_EAGER_CHARS", 600)),
    )


def theme_palette(settings):
    """The light palette's colours from the theme's main.css, if it has them."""
    css = os.path.join(settings.get("THEME", ""), "static", "css", "main.css")
    try:
        with open(css, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return {}
    root = re.search(r":root\s*\{([^}]*)\}", text)
    found = {}
    for name, value in re.findall(r"--([a-z-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", root.group(1) if root else ""):
        if name in DEFAULT_CARD_COLORS:
            found[name] = value
    return found
