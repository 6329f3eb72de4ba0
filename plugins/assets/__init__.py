"""Asset optimisation for production builds, run on Pelican's `finalized` signal.

When ASSETS_OPTIMIZE is true (publishconf.py), after every other writer has
run, in this order:

1. minify every .css and .js file in the output (minify-html's CSS and JS
   minifiers, by wrapping the code in <style>/<script>);
2. fingerprint them: ``theme/css/main.css`` becomes ``theme/css/main.<hash>.css``
   (first 8 hex digits of the SHA-256 of the minified bytes), the original
   name is removed, and every reference in every .html file is rewritten
   (absolute on SITEURL, root-relative or page-relative, with or without a
   query string or fragment);
3. minify every .html file with minify-html (spec-compliant options only: the
   result still passes the Nu Html Checker);
4. with ASSETS_PRECOMPRESS, write ``.gz`` (gzip -9) and ``.br`` (brotli q11)
   copies next to every compressible file, for static hosts that serve
   precompressed files (nginx gzip_static/brotli_static, Caddy precompressed,
   ...). A copy is kept only when it is smaller than the original.

Settings (all optional):

- ASSETS_OPTIMIZE (bool, default False): turn the whole step on. False in
  pelicanconf.py so previews stay fast and readable.
- ASSETS_PRECOMPRESS (bool or list of "gzip"/"br", default False): True means
  both.
- ASSETS_EXCLUDE (list of output-relative folder prefixes, default
  ["pagefind/"]): left completely alone: not minified, renamed, rewritten or
  precompressed. Pagefind's files load each other by fixed names.
- ASSETS_PRECOMPRESS_EXTENSIONS (default .html .css .js .xml .svg .txt .json
  .ico .webmanifest) and ASSETS_PRECOMPRESS_MIN_SIZE (bytes, default 256).

The Pelican logger gets one INFO line with the totals; any failure is logged
as an error, which fails the strict build (tools.build).
"""

import gzip
import hashlib
import logging
import os
import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from pelican import signals

log = logging.getLogger(__name__)

DEFAULT_EXCLUDE = ["pagefind/"]
DEFAULT_PRECOMPRESS_EXTENSIONS = [
    ".html", ".css", ".js", ".xml", ".svg", ".txt", ".json", ".ico", ".webmanifest",
]
# href="..." / src='...' / href=unquoted: the URL part is group 3.
_URL_ATTR = re.compile(r"""(\b(?:href|src)\s*=\s*)(["']?)([^"'\s>]+)\2""", re.IGNORECASE)
_FINGERPRINTED = re.compile(r"\.[0-9a-f]{8}\.(?:css|js)$")


def _excluded(relative, exclude):
    return any(relative == prefix.rstrip("/") or relative.startswith(prefix) for prefix in exclude)


def _files(root, suffixes, exclude):
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in suffixes:
            relative = path.relative_to(root).as_posix()
            if not _excluded(relative, exclude):
                yield path, relative


def minify_css(code):
    import minify_html

    out = minify_html.minify(f"<style>{code}</style>", minify_css=True)
    return out[len("<style>"):-len("</style>")] if out.startswith("<style>") else code


def minify_js(code):
    import minify_html

    out = minify_html.minify(f"<script>{code}</script>", minify_js=True)
    return out[len("<script>"):-len("</script>")] if out.startswith("<script>") else code


def minify_page(html):
    import minify_html

    # Only spec-compliant output: quoted attribute values where needed and
    # spaces between attributes kept (the allow_* options stay off).
    # type=text stays because CSS selects input[type=text]. minify-html also
    # drops other default values (button type=submit, form method=get): CSS
    # and JS must not select on those (forms.js uses button:not([type])).
    return minify_html.minify(html, minify_css=True, minify_js=True, keep_closing_tags=True,
                              keep_html_and_head_opening_tags=True, keep_input_type_text_attr=True)


def fingerprint_name(relative, data):
    digest = hashlib.sha256(data).hexdigest()[:8]
    stem, ext = posixpath.splitext(relative)
    return f"{stem}.{digest}{ext}"


def rewrite_references(html, page_relative, mapping, siteurl):
    """Point every href/src that names a key of `mapping` (output-relative
    paths) at its fingerprinted name; return (new_html, count)."""
    page_dir = posixpath.dirname(page_relative)
    site_path = urlsplit(siteurl).path.rstrip("/") if siteurl else ""
    count = 0

    def replace(match):
        nonlocal count
        url = match.group(3)
        base, rest = re.match(r"([^?#]*)(.*)", url).groups()
        path = base
        if siteurl and path.startswith(siteurl + "/"):
            prefix, path = siteurl + "/", path[len(siteurl) + 1:]
        elif path.startswith("/") and not path.startswith("//"):
            if site_path and path.startswith(site_path + "/"):
                prefix, path = site_path + "/", path[len(site_path) + 1:]
            else:
                prefix, path = "/", path[1:]
        elif "://" in path or path.startswith(("//", "data:", "mailto:", "tel:", "javascript:")):
            return match.group(0)
        else:
            prefix = None  # relative to the page
        target = posixpath.normpath(posixpath.join(page_dir, path)) if prefix is None else path
        if target not in mapping:
            return match.group(0)
        new_target = mapping[target]
        if prefix is None:
            new_url = posixpath.dirname(base) + "/" if "/" in base else ""
            new_url += posixpath.basename(new_target)
        else:
            new_url = prefix + new_target
        count += 1
        quote = match.group(2)
        return f"{match.group(1)}{quote}{new_url}{rest}{quote}"

    return _URL_ATTR.sub(replace, html), count


def precompress(root, extensions, exclude, methods, min_size):
    import brotli

    written = 0
    for path, _ in _files(root, set(extensions), exclude):
        data = path.read_bytes()
        if len(data) < min_size:
            continue
        if "gzip" in methods:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            if len(packed) < len(data):
                path.with_name(path.name + ".gz").write_bytes(packed)
                written += 1
        if "br" in methods:
            packed = brotli.compress(data, quality=11)
            if len(packed) < len(data):
                path.with_name(path.name + ".br").write_bytes(packed)
                written += 1
    return written


def optimize(output, siteurl="", exclude=None, precompress_methods=(),
             precompress_extensions=None, precompress_min_size=256):
    """Do the whole job on an output folder; return a dict of counts."""
    root = Path(output)
    exclude = list(DEFAULT_EXCLUDE if exclude is None else exclude)
    siteurl = (siteurl or "").rstrip("/")
    stats = {"assets": 0, "html": 0, "references": 0, "bytes_before": 0, "bytes_after": 0,
             "precompressed": 0}

    mapping = {}
    for path, relative in list(_files(root, {".css", ".js"}, exclude)):
        if _FINGERPRINTED.search(path.name):
            continue  # already done (a rebuild into the same folder)
        code = path.read_text(encoding="utf-8")
        small = minify_css(code) if path.suffix == ".css" else minify_js(code)
        data = small.encode("utf-8")
        new_relative = fingerprint_name(relative, data)
        (root / new_relative).write_bytes(data)
        path.unlink()
        mapping[relative] = new_relative
        stats["assets"] += 1

    for path, relative in _files(root, {".html"}, exclude):
        html = path.read_text(encoding="utf-8")
        stats["bytes_before"] += len(html.encode("utf-8"))
        html, count = rewrite_references(html, relative, mapping, siteurl)
        html = minify_page(html)
        path.write_text(html, encoding="utf-8")
        stats["bytes_after"] += len(html.encode("utf-8"))
        stats["references"] += count
        stats["html"] += 1

    if precompress_methods:
        stats["precompressed"] = precompress(
            root, precompress_extensions or DEFAULT_PRECOMPRESS_EXTENSIONS, exclude,
            precompress_methods, precompress_min_size)
    stats["mapping"] = mapping
    return stats


def _methods(setting):
    if setting is True:
        return ("gzip", "br")
    if not setting:
        return ()
    methods = tuple(setting)
    unknown = set(methods) - {"gzip", "br"}
    if unknown:
        raise ValueError(f"ASSETS_PRECOMPRESS: unknown method(s) {sorted(unknown)}; use 'gzip' and/or 'br'")
    return methods


def on_finalized(pelican):
    settings = pelican.settings
    if not settings.get("ASSETS_OPTIMIZE", False):
        return
    try:
        stats = optimize(
            pelican.output_path,
            siteurl=settings.get("SITEURL", ""),
            exclude=settings.get("ASSETS_EXCLUDE", DEFAULT_EXCLUDE),
            precompress_methods=_methods(settings.get("ASSETS_PRECOMPRESS", False)),
            precompress_extensions=settings.get("ASSETS_PRECOMPRESS_EXTENSIONS"),
            precompress_min_size=settings.get("ASSETS_PRECOMPRESS_MIN_SIZE", 256),
        )
    except Exception as error:  # noqa: BLE001 - reported as a build error
        log.error("assets: optimisation failed: %s: %s", error.__class__.__name__, error)
        return
    log.info(
        "assets: %d CSS/JS fingerprinted, %d pages minified (%d -> %d bytes), "
        "%d references rewritten, %d precompressed copies",
        stats["assets"], stats["html"], stats["bytes_before"], stats["bytes_after"],
        stats["references"], stats["precompressed"])


def register():
    signals.finalized.connect(on_finalized)
