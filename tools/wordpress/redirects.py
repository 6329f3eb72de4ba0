"""The old-URL map: every address WordPress served an imported item at, and where it lives now.

For each published (or scheduled) post and page: the item's ``link``, ``/?p=ID``
(posts) or ``/?page_id=ID`` (pages), and for posts the dated
``/YYYY/MM/DD/slug/`` form. The map is JSON, read by plugins/redirects at
build time; each entry names the Markdown file it points at, so the target
follows the file if the site's URL settings change.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlsplit

from pelican.settings import DEFAULT_CONFIG, get_settings_from_file
from pelican.utils import slugify

URL_KEYS = ("ARTICLE_URL", "PAGE_URL", "DEFAULT_LANG", "SLUG_REGEX_SUBSTITUTIONS")


def url_settings(settings_file: Path | None) -> dict:
    settings = {key: DEFAULT_CONFIG[key] for key in URL_KEYS}
    if settings_file is not None and Path(settings_file).is_file():
        try:
            loaded = get_settings_from_file(str(settings_file))
            settings.update({key: loaded[key] for key in URL_KEYS if key in loaded})
        except Exception:  # tools.slugs already warned about a broken pelicanconf
            pass
    return settings


def new_path(doc, settings: dict) -> str:
    """The URL path (with leading and trailing slash as the pattern gives) the build will publish ``doc`` at."""
    pattern = settings["ARTICLE_URL"] if doc.kind == "post" else settings["PAGE_URL"]
    fields = dict(doc.fields)
    values = {"slug": doc.slug, "date": doc.date, "lang": settings["DEFAULT_LANG"],
              "category": slugify(fields.get("Category") or "misc", regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"]),
              "author": slugify(fields.get("Authors") or "", regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"])}
    try:
        return "/" + pattern.format(**values).lstrip("/")
    except (KeyError, IndexError, ValueError):
        return f"/{doc.slug}/"


def _path_of(link: str) -> str:
    parts = urlsplit(link)
    path = parts.path or "/"
    path = "/" + path.lstrip("/")  # WordPress.com writes //greek/... for some child pages
    return path + (f"?{parts.query}" if parts.query else "")


def old_paths(doc) -> list[str]:
    item = doc.item
    paths = []
    if item.link:
        paths.append(_path_of(item.link))
    if item.post_id:
        paths.append(f"/?{'p' if doc.kind == 'post' else 'page_id'}={item.post_id}")
    if doc.kind == "post" and item.name:
        paths.append(f"/{doc.date:%Y/%m/%d}/{quote(item.name.lower(), safe='-_.~')}/")
    return list(dict.fromkeys(paths))


def build_map(docs, content_dir: Path, settings: dict, site: str) -> dict:
    entries = []
    for doc in docs:
        if doc.status != "published" or doc.path is None:
            continue
        target = new_path(doc, settings)
        for source in old_paths(doc):
            if source.rstrip("/") != target.rstrip("/"):
                entries.append({"from": source, "to": target, "wp_id": int(doc.item.post_id or 0),
                                "file": doc.path.resolve().relative_to(Path(content_dir).resolve()).as_posix()})
    return {"source": "wordpress", "site": site, "redirects": entries}


def write_map(redirect_map: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(redirect_map, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
