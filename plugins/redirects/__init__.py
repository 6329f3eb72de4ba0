"""Old URLs keep working: redirect pages and a `_redirects` file.

Sources of redirects:
  - the maps under REDIRECTS_DIR (JSON, as `make import-wordpress` writes
    content/redirects/wordpress.json): {"redirects": [{"from": "/old/path/",
    "to": "/new/path/", "file": "posts/slug.md"}]}. "file" wins over "to", so
    the target follows the post if the URL settings change;
  - a `Redirect_from: /old/one/, /old/two/` key in any post or page.

Every redirect is emitted two ways at the end of the build:
  - a static page at the old path (old/path/index.html) with a meta refresh
    and a canonical link, for GitHub Pages and any static host;
  - a line in OUTPUT_PATH/_redirects ("/old/path/ /new/path/ 301"), which
    Netlify and Cloudflare Pages read. Query-string sources such as "/?p=12"
    cannot be files; they appear only in _redirects, as Netlify's query match
    ("/ p=12 /new/path/ 301"). Cloudflare Pages and plain static hosts ignore
    query strings, so those old links land on the home page there.

A redirect never replaces a page the build wrote; a target that is not
published (a draft, a post scheduled for later) is left out until it is. A
map entry whose file is gone fails the build, naming the map and the entry.

Settings:
  REDIRECTS_DIR        folder under PATH holding the maps; default "redirects"
  REDIRECTS_FILE       the Netlify/Cloudflare file; default "_redirects" ("" for none)
  REDIRECTS_PAGES      write the static redirect pages; default True
"""

import html
import json
import logging
import os
from urllib.parse import unquote, urlsplit

from pelican import signals
from pelican.contents import Article, Page

log = logging.getLogger(__name__)
_state = {}


def _published(generators):
    """Source path (relative to PATH) → URL of every published article and page."""
    found = {}
    for generator in generators:
        for name in ("articles", "translations", "pages", "hidden_pages", "hidden_translations"):
            for content in getattr(generator, name, []) or []:
                if isinstance(content, (Article, Page)) and content.status in ("published", "hidden"):
                    found[content.relative_source_path.replace(os.sep, "/")] = content
    return found


def _split(value):
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [part.strip() for part in str(value or "").replace("\n", ",").split(",") if part.strip()]


def _normal(path):
    path = "/" + path.strip().lstrip("/")
    return path


def collect(generators):
    settings = generators[0].settings
    contents = _published(generators)
    entries, problems = [], []
    folder = os.path.join(settings["PATH"], settings.get("REDIRECTS_DIR", "redirects"))
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            map_path = os.path.join(folder, name)
            try:
                with open(map_path, encoding="utf-8") as handle:
                    data = json.load(handle)
                items = data["redirects"]
            except (OSError, ValueError, KeyError, TypeError) as error:
                problems.append(f"{map_path}: cannot read the redirect map ({error})")
                continue
            for number, entry in enumerate(items, 1):
                target_file = entry.get("file")
                if target_file:
                    content = contents.get(target_file)
                    if content is None:
                        if not os.path.exists(os.path.join(settings["PATH"], target_file)):
                            problems.append(f"{map_path}: entry {number} ({entry.get('from')}) points at "
                                            f"{target_file}, which does not exist")
                        continue  # a draft or a post scheduled for later: no redirect yet
                    entries.append((_normal(entry["from"]), content.url, content.title, map_path))
                elif entry.get("to"):
                    entries.append((_normal(entry["from"]), entry["to"].lstrip("/"), entry["to"], map_path))
    for path, content in contents.items():
        for source in _split(content.metadata.get("redirect_from")):
            entries.append((_normal(source), content.url, content.title, content.source_path))
    for problem in problems:
        log.error("redirects: %s", problem)
    _state["entries"] = entries
    _state["settings"] = settings
    _state["own"] = {os.path.normpath(c.save_as) for g in generators for name in ("articles", "pages", "drafts",
                     "hidden_pages", "draft_pages") for c in getattr(g, name, []) or [] if getattr(c, "save_as", "")}


def _page(target_url, title, settings):
    site = settings.get("SITEURL", "")
    href = f"{site}/{target_url}"
    canonical = f"{settings.get('SITE_ORIGIN') or site}/{target_url}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(settings.get("DEFAULT_LANG", "en"))}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Moved: {html.escape(str(title))}</title>\n"
        f'<link rel="canonical" href="{html.escape(canonical, quote=True)}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={html.escape(href, quote=True)}">\n'
        "</head>\n<body>\n"
        f'<p>This page has moved to <a href="{html.escape(href, quote=True)}">{html.escape(str(title))}</a>.</p>\n'
        "</body>\n</html>\n")


def write(pelican):
    entries = _state.pop("entries", None)
    settings = _state.pop("settings", pelican.settings)
    if not entries:
        return
    output = settings["OUTPUT_PATH"]
    lines, seen, written = [], set(), 0
    for source, target_url, title, origin in entries:
        if source in seen:
            continue
        seen.add(source)
        parts = urlsplit(source)
        target = "/" + target_url
        if parts.query:
            query = " ".join(parts.query.split("&"))
            lines.append(f"{parts.path or '/'} {query} {target} 301")
            continue
        relative = unquote(parts.path).strip("/")
        file_path = os.path.join(output, relative, "index.html") if not relative.endswith(".html") \
            else os.path.join(output, relative)
        if not relative or os.path.normpath(file_path) == os.path.normpath(os.path.join(output, target_url, "index.html")):
            continue
        own = _state.get("own", set())
        if os.path.exists(file_path) or os.path.normpath(os.path.relpath(file_path, output)) in own:
            log.info("redirects: %s is a page of this site; not redirected (from %s)", source, origin)
            continue
        lines.append(f"{parts.path} {target} 301")
        if settings.get("REDIRECTS_PAGES", True):
            os.makedirs(os.path.dirname(file_path), exist_ok=True)
            with open(file_path, "w", encoding="utf-8") as handle:
                handle.write(_page(target_url, title, settings))
            written += 1
    name = settings.get("REDIRECTS_FILE", "_redirects")
    if name and lines:
        with open(os.path.join(output, name), "w", encoding="utf-8") as handle:
            handle.write("# Old URLs (plugins/redirects)\n" + "\n".join(lines) + "\n")
    log.info("redirects: %d redirect pages, %d lines in %s", written, len(lines), name)


def register():
    signals.all_generators_finalized.connect(collect)
    signals.finalized.connect(write)
