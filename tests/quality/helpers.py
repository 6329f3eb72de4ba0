"""Shared pieces of the quality gates: the build, a gzip-capable loopback
static server, and the checkers (links, feeds), written as plain functions so
the "the gate catches it" tests can run them on crafted input."""

from __future__ import annotations

import gzip
import mimetypes
import os
import posixpath
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]
SECRET_PREFIXES = ("MAILCHIMP_", "SMTP_", "FORMS_", "CONTACT_", "SUBSCRIBE_")


def clean_env(**overrides):
    """os.environ without any forms/Mailchimp/SMTP configuration, plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIXES)}
    env.update(overrides)
    return env


def build_site(output, siteurl, extra_env=None, settings="publishconf.py", content=None):
    """`make publish`, into `output`: tools.build in a fresh process."""
    env = clean_env(SITEURL=siteurl, **(extra_env or {}))
    return subprocess.run(
        [sys.executable, "-m", "tools.build", settings, "--output", str(output),
         *(["--content", str(content)] if content else [])],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


# -- a loopback static server that compresses like a real host -------------

COMPRESSIBLE = {".html", ".css", ".js", ".svg", ".xml", ".txt", ".json", ".ico", ".webmanifest"}


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "public, max-age=31536000" if self._immutable else "no-cache")
        super().end_headers()

    def do_GET(self):  # noqa: N802
        self._immutable = False
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].endswith("/"):
                self.send_response(301)
                self.send_header("Location", self.path.split("?", 1)[0] + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = os.path.join(path, "index.html")
        status = 200
        if not os.path.isfile(path):
            status, path = 404, os.path.join(self.directory, "404.html")
            if not os.path.isfile(path):
                self.send_error(404)
                return
        # Fingerprinted assets and image variants, as a real host would cache them.
        self._immutable = bool(__import__("re").search(
            r"\.[0-9a-f]{8}\.(css|js)$|/img/.+\.[0-9a-f]{10}\.(webp|jpg|png|avif)$", path))
        ext = os.path.splitext(path)[1].lower()
        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ext in {".js", ".svg", ".xml", ".json"}:
            ctype += "; charset=utf-8" if "charset" not in ctype else ""
        with open(path, "rb") as handle:
            body = handle.read()
        encoding = None
        accepts = self.headers.get("Accept-Encoding", "")
        if ext in COMPRESSIBLE and "gzip" in accepts:
            if os.path.isfile(path + ".gz"):
                with open(path + ".gz", "rb") as handle:
                    body = handle.read()
            else:
                body = gzip.compress(body, 9)
            encoding = "gzip"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if encoding:
            self.send_header("Content-Encoding", encoding)
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):  # noqa: N802
        self.do_GET()


class StaticServer:
    """Serves a folder on 127.0.0.1:port in a thread; use as a context manager."""

    def __init__(self, directory, port):
        self.directory = str(directory)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self):
        handler = partial(_Handler, directory=self.directory)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# -- link checker -------------------------------------------------------------

LINK_ATTRS = (("a", "href"), ("link", "href"), ("area", "href"), ("img", "src"),
              ("script", "src"), ("source", "src"), ("iframe", "src"), ("form", "action"))


def _page_url(root, html_file, siteurl):
    relative = html_file.relative_to(root).as_posix()
    if relative.endswith("index.html"):
        relative = relative[: -len("index.html")]
    return siteurl.rstrip("/") + "/" + relative


def _target_file(root, path):
    path = unquote(path).lstrip("/")
    target = Path(root) / path
    if path == "" or path.endswith("/"):
        target = target / "index.html"
    elif target.is_dir():
        target = target / "index.html"
    return target


def check_links(root, siteurl):
    """Every internal href/src in every HTML file of `root` must name an
    existing file, and every #fragment an id (or a[name]) on the target page.
    Returns a list of "page: problem" strings (empty when clean)."""
    root = Path(root)
    origin = urlsplit(siteurl)
    ids_cache: dict[Path, set[str]] = {}
    soups: dict[Path, BeautifulSoup] = {}
    problems = []

    def soup_of(file):
        if file not in soups:
            soups[file] = BeautifulSoup(file.read_text(encoding="utf-8"), "lxml")
        return soups[file]

    def ids_of(file):
        if file not in ids_cache:
            soup = soup_of(file)
            ids_cache[file] = {t["id"] for t in soup.find_all(id=True)} | {
                t["name"] for t in soup.find_all("a", attrs={"name": True})}
        return ids_cache[file]

    for html_file in sorted(root.rglob("*.html")):
        page = _page_url(root, html_file, siteurl)
        soup = soup_of(html_file)
        for tag, attr in LINK_ATTRS:
            for element in soup.find_all(tag, attrs={attr: True}):
                raw = element[attr].strip()
                if not raw or raw.startswith(("mailto:", "tel:", "data:", "javascript:")):
                    continue
                absolute = urljoin(page, raw)
                parts = urlsplit(absolute)
                if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                    continue  # external: not ours to check offline
                if tag == "form" and element.get("method", "get").lower() == "post":
                    problems.append(f"{html_file.relative_to(root)}: form posts to the static site: {raw}")
                    continue
                target = _target_file(root, parts.path[len(origin.path.rstrip('/')):] if origin.path.strip('/') else parts.path)
                if not target.is_file():
                    problems.append(f"{html_file.relative_to(root)}: broken link {raw}")
                    continue
                if parts.fragment and target.suffix == ".html":
                    if unquote(parts.fragment) not in ids_of(target):
                        problems.append(f"{html_file.relative_to(root)}: no id {parts.fragment!r} on {raw}")
    return problems
