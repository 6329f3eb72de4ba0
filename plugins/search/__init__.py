"""Site search with Pagefind, indexed at the end of every build.

Pagefind (https://pagefind.app, MIT) comes from PyPI as `pagefind[extended]`
(pinned in requirements.txt): the wheel ships the binary, so nothing is
downloaded at build time. When the build finishes (Pelican's `finalized`
signal) this plugin runs `python -m pagefind --site <OUTPUT_PATH>`, which
writes <output>/pagefind/: the index plus pagefind-ui.js and pagefind-ui.css.

Only article text is indexed: article.html marks the <article> with
data-pagefind-body and the byline, table of contents, share, signup,
related and previous/next chrome inside it with data-pagefind-ignore.

The index is written to a temporary folder beside the output and only the
files whose bytes changed are moved into <output>/pagefind/; the ones the
new index lacks are deleted. Pagefind names fragments by a hash of their
content, so after a one-post edit the other pages' fragments keep their
files and mtimes (Pagefind cannot update an index in place, so the whole
index is still rebuilt: see BENCHMARKS.md).

The search page is a direct template (theme/templates/search.html, written
to SEARCH_SAVE_AS) using Pagefind's UI; js/search-box.js shows a search box
in the header (partials/site_header.html) only when JavaScript runs, and
without it the header links to the search page.

Settings:
  SEARCH_ENABLED    index and show search; default True. False skips the
                    index (with a message) and drops the page and box.
  SEARCH_SAVE_AS    the search page; default "search/index.html"
                    (SEARCH_URL follows it)
  SEARCH_PAGEFIND_ARGS  extra command-line arguments for pagefind; default []
"""

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from pelican import signals

log = logging.getLogger(__name__)


class SearchIndexError(RuntimeError):
    pass


def _defaults(pelican):
    settings = pelican.settings
    settings.setdefault("SEARCH_ENABLED", True)
    settings.setdefault("SEARCH_SAVE_AS", "search/index.html")
    settings.setdefault("SEARCH_URL", settings["SEARCH_SAVE_AS"].replace("index.html", ""))
    settings.setdefault("SEARCH_PAGEFIND_ARGS", [])
    if settings["SEARCH_ENABLED"] and "search" not in settings["DIRECT_TEMPLATES"]:
        settings["DIRECT_TEMPLATES"] = list(settings["DIRECT_TEMPLATES"]) + ["search"]


def index(pelican):
    settings = pelican.settings
    if not settings.get("SEARCH_ENABLED", True):
        log.info("search: SEARCH_ENABLED is False, so no Pagefind index was built")
        print("Search: SEARCH_ENABLED is False; skipping the Pagefind index.")
        return
    output = os.path.abspath(settings["OUTPUT_PATH"])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=".pagefind-", dir=os.path.dirname(output)) as fresh:
        _run_pagefind(settings, output, fresh)
        _sync(fresh, os.path.join(output, "pagefind"))
    log.debug("search: indexed %s in %.1f s", output, time.monotonic() - started)


def _run_pagefind(settings, output, bundle):
    command = [sys.executable, "-m", "pagefind", "--site", output, "--quiet", "--output-path", bundle,
               "--glob", _article_glob(settings), *settings.get("SEARCH_PAGEFIND_ARGS", [])]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as error:  # pragma: no cover - broken venv
        raise SearchIndexError(f"search: could not run Pagefind: {error}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise SearchIndexError(
            f"search: Pagefind failed (exit {result.returncode}); is `pagefind[extended]` "
            f"installed from requirements.txt?\n{detail}")


def _sync(fresh, bundle):
    """Make `bundle` hold exactly the files of `fresh`, touching only those
    whose bytes differ, so unchanged index files keep their mtime."""
    keep = set()
    for folder, _, names in os.walk(fresh):
        for name in names:
            source = os.path.join(folder, name)
            relative = os.path.relpath(source, fresh)
            target = os.path.join(bundle, relative)
            keep.add(relative)
            if _same_bytes(source, target):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.move(source, target)
    for folder, _, names in os.walk(bundle, topdown=False):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.relpath(path, bundle) not in keep:
                os.remove(path)
        if folder != bundle and not os.listdir(folder):
            os.rmdir(folder)


def _same_bytes(left, right):
    try:
        if os.path.getsize(left) != os.path.getsize(right):
            return False
        with open(left, "rb") as a, open(right, "rb") as b:
            return a.read() == b.read()
    except OSError:
        return False


def _article_glob(settings):
    """Only article pages carry data-pagefind-body, so Pagefind need not read
    the rest: "{date:%Y}/{date:%m}/{slug}/index.html" becomes "*/*/*/index.html"."""
    return re.sub(r"\{[^}]*\}", "*", settings["ARTICLE_SAVE_AS"])


def register():
    signals.initialized.connect(_defaults)
    signals.finalized.connect(index)
