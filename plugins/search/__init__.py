"""Site search with Pagefind, indexed at the end of every build.

Pagefind (https://pagefind.app, MIT) comes from PyPI as `pagefind[extended]`
(pinned in requirements.txt): the wheel ships the binary, so nothing is
downloaded at build time. When the build finishes (Pelican's `finalized`
signal) this plugin runs `python -m pagefind` over the article pages:
<output>/pagefind/ holds the bundle (shard-0/), shards.json listing the
bundles, and pagefind-ui.js and pagefind-ui.css. A build whose pages are
what the last one indexed (same bytes) does not run Pagefind at all. With
SEARCH_SHARD_PAGES the pages are split into shards of about that many,
each its own bundle, which the search page merges (Pagefind's mergeIndex):
editing one post then costs one shard's indexing, not the site's
(shards.py; vocabulary.py says how the shards answer as one index).

Only article text is indexed: article.html marks the <article> with
data-pagefind-body and the byline, table of contents, share, signup,
related and previous/next chrome inside it with data-pagefind-ignore.

Each shard is indexed into a temporary folder beside the output and only
the files whose bytes changed are moved into its bundle; the ones the new
index lacks are deleted. Pagefind names fragments by a hash of their
content, so the other pages' fragments keep their files and mtimes.

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
  SEARCH_SHARD_PAGES    about how many article pages a search shard holds;
                        default 250; 0: one index of every page. Fewer pages
                        per shard: cheaper re-indexing after an edit, more
                        files fetched per search (shards.py, vocabulary.py)
"""

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from pelican import signals

from .shards import Plan, shard_name
from .vocabulary import FILTER as vocabulary_filter
from .vocabulary import page_html as vocabulary_page_html
from .vocabulary import page_path as vocabulary_page_path

log = logging.getLogger(__name__)
UI_ASSETS = ("pagefind-ui.js", "pagefind-ui.css")


class SearchIndexError(RuntimeError):
    pass


def _defaults(pelican):
    settings = pelican.settings
    settings.setdefault("SEARCH_ENABLED", True)
    settings.setdefault("SEARCH_SAVE_AS", "search/index.html")
    settings.setdefault("SEARCH_URL", settings["SEARCH_SAVE_AS"].replace("index.html", ""))
    settings.setdefault("SEARCH_PAGEFIND_ARGS", [])
    settings.setdefault("SEARCH_SHARD_PAGES", 250)
    if settings["SEARCH_ENABLED"] and "search" not in settings["DIRECT_TEMPLATES"]:
        settings["DIRECT_TEMPLATES"] = list(settings["DIRECT_TEMPLATES"]) + ["search"]


def index(pelican):
    settings = pelican.settings
    if not settings.get("SEARCH_ENABLED", True):
        log.info("search: SEARCH_ENABLED is False, so no Pagefind index was built")
        print("Search: SEARCH_ENABLED is False; skipping the Pagefind index.")
        return
    output = os.path.abspath(settings["OUTPUT_PATH"])
    bundles = os.path.join(output, "pagefind")
    started = time.monotonic()
    plan = Plan(settings, output, _article_glob(settings))
    if plan.words and plan.words.unfiltered():
        pages = plan.words.unfiltered()
        raise SearchIndexError(
            f"search: {len(pages)} post page(s) lack data-pagefind-filter=\"kind:post\" on their "
            f"data-pagefind-body element, so the search page, which asks for kind:post pages, would "
            f"never show them (a theme override of article.html?): {', '.join(pages[:5])}")
    stale = [n for n in plan.stale(bundles) if plan.members[n]]  # an empty shard has no index
    with tempfile.TemporaryDirectory(prefix=".pagefind-", dir=os.path.dirname(output)) as work:
        _index_shards(settings, output, work, {n: plan.members[n] for n in stale}, plan.vocabulary)
        for number in stale:
            _sync(os.path.join(work, shard_name(number)), os.path.join(bundles, shard_name(number)))
    _write_entry(bundles, [n for n in range(plan.count) if plan.members[n]],
                 vocabulary_filter if plan.vocabulary else None)
    plan.save()
    log.debug("search: indexed %d of %d shard(s) of %s in %.1f s", len(stale), plan.count, output,
              time.monotonic() - started)


def _index_shards(settings, output, work, shards, vocabulary):
    """Index each shard's pages into work/<shard>: the pages are hard-linked
    into a folder of their own (same paths, so the same URLs), with the
    site's vocabulary pages when there are shards, and Pagefind runs on that
    folder, as many at once as there are cores."""
    running = []
    for number, pages in shards.items():
        site = os.path.join(work, "site-" + shard_name(number))
        for lang, words in vocabulary.items():
            target = os.path.join(site, vocabulary_page_path(_article_glob(settings), lang))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(vocabulary_page_html(lang, words))
        for page in pages:
            target = os.path.join(site, page)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                os.link(os.path.join(output, page), target)
            except OSError:  # another file system, or no hard links
                shutil.copyfile(os.path.join(output, page), target)
        os.makedirs(site, exist_ok=True)
        if len(running) >= (os.cpu_count() or 1):
            _wait(running.pop(0))
        running.append(_start_pagefind(settings, site, os.path.join(work, shard_name(number))))
    for process in running:
        _wait(process)


def _pagefind_command():
    """The Pagefind binary from the pagefind_bin_extended wheel, run directly
    (a shard each costs no Python start-up), or else `python -m pagefind`."""
    try:
        from pagefind_bin_extended import get_executable
        executable = get_executable()
    except ImportError:  # pragma: no cover - pagefind installed without [extended]
        executable = None
    return [str(executable)] if executable else [sys.executable, "-m", "pagefind"]


def _start_pagefind(settings, site, bundle):
    command = [*_pagefind_command(), "--site", site, "--quiet", "--output-path", bundle,
               "--glob", _article_glob(settings), *settings.get("SEARCH_PAGEFIND_ARGS", [])]
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError as error:  # pragma: no cover - broken venv
        raise SearchIndexError(f"search: could not run Pagefind: {error}") from None


def _wait(process):
    stdout, stderr = process.communicate(timeout=600)
    if process.returncode != 0:
        detail = (stderr or stdout).strip()
        raise SearchIndexError(
            f"search: Pagefind failed (exit {process.returncode}); is `pagefind[extended]` "
            f"installed from requirements.txt?\n{detail}")


def _write_entry(bundles, shards, search_filter):
    """<output>/pagefind/ holds the shards, the list the search page reads
    (shards.json: the bundles, and the filter that leaves out the vocabulary
    pages when there are any) and the UI's script and style, from the first
    shard (every shard has the same ones). Anything else there is an older
    layout's."""
    names = [shard_name(n) for n in shards]
    os.makedirs(bundles, exist_ok=True)
    for asset in UI_ASSETS if names else ():
        source, target = os.path.join(bundles, names[0], asset), os.path.join(bundles, asset)
        if not _same_bytes(source, target):
            shutil.copyfile(source, target)
    listing = {"bundles": [name + "/" for name in names]}
    if search_filter:
        listing["filter"] = search_filter
    listing = json.dumps(listing)
    entry = os.path.join(bundles, "shards.json")
    if _read_text(entry) != listing:
        with open(entry, "w", encoding="utf-8") as handle:
            handle.write(listing)
    keep = set(names) | set(UI_ASSETS) | {"shards.json"}
    for name in os.listdir(bundles):
        if name not in keep:
            path = os.path.join(bundles, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


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


def _read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


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
