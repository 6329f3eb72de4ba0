"""Slugs and front matter shared by the writer tools.

Slugs are made with Pelican's own ``slugify`` and the site's slug settings, so the
file name a tool picks is the URL Pelican publishes. Front matter is read the way
Python-Markdown's ``meta`` extension (Pelican's Markdown reader) reads it: one
``Key: value`` per line up to the first blank line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pelican.settings import DEFAULT_CONFIG, get_settings_from_file
from pelican.utils import slugify

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mkd", ".mdown")
SLUG_KEYS = ("SLUG_REGEX_SUBSTITUTIONS", "SLUGIFY_PRESERVE_CASE", "SLUGIFY_USE_UNICODE")
_META_RE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")


def slug_settings(settings_file: Path | None = None) -> dict:
    """The slug settings (and CATEGORIES, the allowed categories) of a pelicanconf.py, or Pelican's defaults."""
    settings = {key: DEFAULT_CONFIG[key] for key in SLUG_KEYS}
    settings["CATEGORIES"] = []
    if settings_file is None or not Path(settings_file).is_file():
        return settings
    try:
        loaded = get_settings_from_file(str(settings_file))
    except Exception as exc:  # a broken pelicanconf must not block a writer
        print(f"warning: could not read {settings_file} ({exc}); using Pelican's default slug rules",
              file=sys.stderr)
        return settings
    settings.update({key: loaded[key] for key in (*SLUG_KEYS, "CATEGORIES") if key in loaded})
    return settings


def default_settings_file(content_dir: Path) -> Path:
    """The pelicanconf.py beside the content folder, which is where the project keeps it."""
    return Path(content_dir).resolve().parent / "pelicanconf.py"


def make_slug(text: str, settings: dict | None = None) -> str:
    """Slugify ``text`` exactly as Pelican would for an article title."""
    settings = settings or slug_settings()
    return slugify(
        text,
        regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"],
        preserve_case=settings["SLUGIFY_PRESERVE_CASE"],
        use_unicode=settings["SLUGIFY_USE_UNICODE"],
    )


def read_front_matter(path: Path) -> dict[str, str]:
    """Return the metadata header of a Markdown file, keys lower-cased."""
    meta: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                break
            match = _META_RE.match(line)
            if not match:
                break
            meta.setdefault(match["key"].lower(), match["value"].strip())
    return meta


def markdown_files(directory: Path) -> list[Path]:
    """All Markdown sources under ``directory``, sorted."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.suffix.lower() in MARKDOWN_SUFFIXES and p.is_file())


def effective_slug(path: Path, settings: dict) -> str:
    """The slug Pelican gives a file: its Slug metadata, else its slugified title, else its name."""
    meta = read_front_matter(path)
    if meta.get("slug"):
        return meta["slug"]
    if meta.get("title"):
        return make_slug(meta["title"], settings)
    return Path(path).stem


def existing_slugs(directory: Path, settings: dict) -> dict[str, Path]:
    """Map every slug already used under ``directory`` to the file that uses it."""
    slugs: dict[str, Path] = {}
    for path in markdown_files(directory):
        slugs.setdefault(effective_slug(path, settings), path)
    return slugs
