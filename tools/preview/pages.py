"""The HTML the preview answers with: the built page, its error page, or a 404,
each with the few lines that reload the tab when that page changes.

A page's version is a digest of what the tab was sent: the file, and the
problems and advice shown over it. The tab asks the event stream about its own path and
version, and is told to reload only when the version there is no longer the
one it has, so a save reloads the tabs whose page it changed, as soon as
that page is written, and no other.
"""

import hashlib
import html
import os
from dataclasses import dataclass
from urllib.parse import unquote

RELOAD_SCRIPT = """<script>/* preview only */(function(){var v="%s";
var s=new EventSource('/__preview/events?v='+v+'&path='+encodeURIComponent(location.pathname));
s.onmessage=function(e){if(e.data==='reload'){s.close();location.reload()}};})();</script>"""


@dataclass
class Answer:
    status: int
    body: bytes
    version: str


def is_page_path(path):
    """Paths answered as pages: folders and .html files (the rest is static)."""
    return path.endswith("/") or path.endswith((".html", ".htm")) or "." not in path.rsplit("/", 1)[-1]


def resolve(output, path):
    """The file a page path is served from, relative to `output` (None for a
    path outside it), and whether it exists."""
    relative = unquote(path).lstrip("/")
    if relative.endswith("/") or relative == "":
        relative += "index.html"
    full = os.path.normpath(os.path.join(os.path.abspath(output), relative))
    if os.path.commonpath([os.path.abspath(output), full]) != os.path.abspath(output):
        return None, False
    if os.path.isdir(full):
        relative, full = relative + "/index.html", os.path.join(full, "index.html")
    return os.path.normpath(relative).replace(os.sep, "/"), os.path.isfile(full)


def answer(output, path, problems, advice=()):
    """What the tab at `path` gets, from the output and the build's problems."""
    relative, exists = resolve(output, path)
    own = problems.for_page(relative) if problems and relative else []
    if own:
        body = error_page(own)
        return _with_reload(Answer(500, body, _digest(body)))
    elsewhere = problems.elsewhere(relative) if problems else []
    status = 200
    if not exists:
        relative, status = ("404.html" if os.path.isfile(os.path.join(output, "404.html")) else None), 404
    body = _read(output, relative) if relative else b"<!doctype html><title>Not found</title><h1>Not found</h1>"
    version = _digest(body + repr((elsewhere, list(advice))).encode())
    extra = (problems_note(elsewhere, problems.files(elsewhere)) if elsewhere else "") + (advice_overlay(advice) if advice else "")
    if extra:
        body = _insert(body, extra.encode())
    return _with_reload(Answer(status, body, version))


def _with_reload(page):
    page.body = _insert(page.body, (RELOAD_SCRIPT % page.version).encode())
    return page


def _insert(body, snippet):
    if b"</body>" in body:
        return body.replace(b"</body>", snippet + b"</body>", 1)
    return body + snippet


def _read(output, relative):
    try:
        with open(os.path.join(output, relative), "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _digest(data):
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def error_page(problems):
    items = "\n".join(problems)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Build failed · preview</title><style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;
background:#fff3f2;color:#1d1d1f}}pre{{white-space:pre-wrap;background:#fff;border:2px solid #a4161a;
padding:1rem}}</style></head><body><main><h1>The build failed</h1>
<p>Fix the problems below and save; this page reloads by itself.</p>
<pre>{html.escape(items)}</pre></main></body></html>""".encode()


def problems_note(problems, files):
    """A panel over a page that built, naming the other files' problems."""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    where = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    return (f'<aside id="preview-problems" role="alert" aria-label="Build problems" style="position:fixed;'
            f'z-index:10000;left:1rem;bottom:1rem;max-width:40rem;max-height:40vh;overflow:auto;'
            f'background:#fff3f2;color:#1d1d1f;border:2px solid #a4161a;padding:.5rem 1rem;'
            f'font:14px/1.4 system-ui,sans-serif"><details><summary>{len(problems)} problem(s) in '
            f'{html.escape(where)}: this page is fine</summary><ul>{items}</ul></details>'
            f'<button type="button" onclick="this.parentNode.remove()">Hide</button></aside>')


def advice_overlay(advice):
    """A panel over the page listing the build's advice (preview only)."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in advice)
    return (f'<aside id="preview-advice" aria-label="Build advice" style="position:fixed;z-index:9999;'
            f'right:1rem;bottom:1rem;max-width:40rem;max-height:50vh;overflow:auto;background:#fffbe6;'
            f'color:#1d1d1f;border:2px solid #8a6d00;padding:.5rem 1rem;font:14px/1.4 system-ui,sans-serif">'
            f'<details><summary>{len(advice)} piece(s) of advice from the build '
            f'(they do not fail it)</summary><ul>{items}</ul></details>'
            f'<button type="button" onclick="this.parentNode.remove()">Hide</button></aside>')
