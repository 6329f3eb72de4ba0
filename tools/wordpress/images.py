"""Images an imported post uses: find them, optionally download them, point the post at the copies.

Without downloading, every remote image is listed in the summary. With
``--download-images`` each one is fetched once from the export's URL, saved
under ``content/images/wordpress/<its upload path>`` and the post's links are
rewritten to ``{static}/images/wordpress/...``, so visitors never load an
image from the old host. A failed download keeps the remote URL and is
listed. Nothing here runs at build time.
"""

from __future__ import annotations

import hashlib
import html
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".avif", ".bmp", ".tif", ".tiff", ".ico"}
MAX_BYTES = 50 * 1024 * 1024
TIMEOUT = 30
_HTML_SRC_RE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(?P<src>(?:https?:)?//.+?)\1""", re.I | re.S)
_MD_IMG_RE = re.compile(r"!\[[^\]]*\]\((?P<src>(?:https?:)?//[^)\s]+)(?:\s+\"[^\"]*\")?\)")
# a link straight to an image file (WordPress's "link to: media file"): the reader's click loads it
_LINKED_RE = re.compile(r"""(?:\]\(|href=["'])(?P<src>(?:https?:)?//[^)\s"'<>]+)""")


def is_image_url(url: str) -> bool:
    return PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_SUFFIXES


def remote_images(markdown: str) -> list[str]:
    """Remote image URLs in a Markdown body (Markdown images and raw <img> tags), in order, once each."""
    found = [html.unescape(m["src"]) for m in _HTML_SRC_RE.finditer(markdown)]
    found += [m["src"] for m in _MD_IMG_RE.finditer(markdown)]
    found += [html.unescape(m["src"]) for m in _LINKED_RE.finditer(markdown) if is_image_url(m["src"])]
    ordered = sorted(set(found), key=lambda url: min(i for i, u in enumerate(found) if u == url))
    return ordered


def local_name(url: str) -> str:
    """Where under images/wordpress/ a URL is saved: its path after wp-content/uploads (or its host's path)."""
    parts = urlsplit(url if not url.startswith("//") else "https:" + url)
    path = unquote(parts.path)
    marker = "/wp-content/uploads/"
    rel = path.split(marker, 1)[1] if marker in path else f"{parts.hostname}{path}"
    rel = "/".join(p for p in rel.split("/") if p not in ("", ".", ".."))
    rel = re.sub(r"[^\w.\-/]+", "-", rel)
    if parts.query:  # WordPress.com sizes: image.jpg?w=300
        stem, dot, suffix = rel.rpartition(".")
        digest = hashlib.sha1(parts.query.encode()).hexdigest()[:8]
        rel = f"{stem}-{digest}.{suffix}" if dot else f"{rel}-{digest}"
    return rel


@dataclass
class Downloader:
    """Fetches each URL once into ``content_dir/folder``; remembers what worked and what failed."""
    content_dir: Path
    folder: str = "images/wordpress"
    saved: dict[str, str] = field(default_factory=dict)  # url → path under content/ ("images/wordpress/...")
    failed: dict[str, str] = field(default_factory=dict)  # url → reason

    def fetch(self, url: str) -> str | None:
        if url in self.saved:
            return self.saved[url]
        if url in self.failed:
            return None
        full = "https:" + url if url.startswith("//") else url
        rel = local_name(url)
        target = Path(self.content_dir) / self.folder / rel
        try:
            if not target.exists():
                request = urllib.request.Request(full, headers={"User-Agent": "northwind-import/1"})
                with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                    kind = response.headers.get("Content-Type", "")
                    if kind and not kind.startswith("image/") and not is_image_url(full):
                        raise ValueError(f"not an image ({kind})")
                    data = response.read(MAX_BYTES + 1)
                if len(data) > MAX_BYTES:
                    raise ValueError("larger than 50 MB")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        except Exception as exc:  # network, HTTP and disk errors all leave the remote URL in place
            self.failed[url] = str(exc) or exc.__class__.__name__
            return None
        self.saved[url] = f"{self.folder}/{rel}"
        return self.saved[url]


def rewrite(markdown: str, replacements: dict[str, str]) -> str:
    """Point every use of a downloaded URL (src, href, Markdown) at its copy under content/."""
    for url in sorted(replacements, key=len, reverse=True):
        local = "{static}/" + replacements[url]
        markdown = markdown.replace(html.escape(url, quote=True), local).replace(url, local)
    return markdown
