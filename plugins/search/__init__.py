"""Site search with Pagefind, indexed at the end of every build.

Pagefind (https://pagefind.app, MIT) comes from PyPI as `pagefind[extended]`
(pinned in requirements.txt): the wheel ships the binary, so nothing is
downloaded at build time. When the build finishes (Pelican's `finalized`
signal) this plugin runs Pagefind over the post pages. A site that fits one
index gets Pagefind's standard bundle in <output>/pagefind/, beside
shards.json (the bundles, for the search page); a bigger one gets a bundle
per shard in pagefind/shard-N/, with pagefind-ui.js and pagefind-ui.css
copied up to pagefind/ (Layout). A build whose pages are
what the last one indexed (same bytes) does not run Pagefind at all. With
SEARCH_SHARD_PAGES the pages are split into shards of about that many,
each its own bundle, which the search page merges (Pagefind's mergeIndex):
editing one post then costs one shard's indexing, not the site's
(shards.py; vocabulary.py says how the shards answer as one index).

Only article text is indexed, and only the pages this build wrote for its
published posts (never a file matched by a pattern: an email preview, a
draft or a redirect that happens to sit at a post-like path is not a post).
article.html marks the <article> with data-pagefind-body and the byline, table of contents, share, signup,
related and previous/next chrome inside it with data-pagefind-ignore.

Each shard is indexed into a temporary folder beside the output and only
the files whose bytes changed are moved into its bundle; the ones the new
index lacks are deleted. Pagefind names fragments by a hash of their
content, so the other pages' fragments keep their files and mtimes.

The search page is a direct template (theme/templates/search.html, written
to SEARCH_SAVE_AS) using Pagefind's UI, themed with the site's colours; the
header (partials/site_header.html) has a plain GET search box that sends
the query to that page.

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
import shutil
import subprocess
import sys
import tempfile
import time

from pelican import signals
from pelican.generators import ArticlesGenerator

from .shards import Plan, shard_name
from .vocabulary import FILTER as vocabulary_filter
from .vocabulary import page_html as vocabulary_page_html
from .vocabulary import page_path as vocabulary_page_path

log = logging.getLogger(__name__)
UI_ASSETS = ("pagefind-ui.js", "pagefind-ui.css")
_posts = []  # this build's post pages (remember_posts), relative to the output
# A shard's folder holds only post pages and the vocabulary page, so Pagefind reads all of it.
SHARD_GLOB = "**/*.html"


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


def remember_posts(generators):
    """The pages this build writes for its published posts, the only ones indexed."""
    posts = []
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            posts += [a.save_as for a in (*generator.articles, *generator.translations) if a.save_as]
    _posts[:] = sorted(set(posts))


def index(pelican):
    index_pages(pelican.settings, _posts)


def index_pages(settings, posts):
    """Index `posts` (post pages under OUTPUT_PATH, relative to it)."""
    if not settings.get("SEARCH_ENABLED", True):
        log.info("search: SEARCH_ENABLED is False, so no Pagefind index was built")
        print("Search: SEARCH_ENABLED is False; skipping the Pagefind index.")
        return
    output = os.path.abspath(settings["OUTPUT_PATH"])
    bundles = os.path.join(output, "pagefind")
    started = time.monotonic()
    plan = Plan(settings, output, posts, SHARD_GLOB)
    if plan.words and plan.words.unfiltered():
        pages = plan.words.unfiltered()
        raise SearchIndexError(
            f"search: {len(pages)} post page(s) lack data-pagefind-filter=\"kind:post\" on their "
            f"data-pagefind-body element, so the search page, which asks for kind:post pages, would "
            f"never show them (a theme override of article.html?): {', '.join(pages[:5])}")
    layout = Layout(bundles, plan.count)
    stale = [n for n in plan.stale(layout.folder) if plan.members[n]]  # an empty shard has no index
    with tempfile.TemporaryDirectory(prefix=".pagefind-", dir=os.path.dirname(output)) as work:
        _index_shards(settings, output, work, {n: plan.members[n] for n in stale}, plan.vocabulary)
        for number in stale:
            _sync(os.path.join(work, shard_name(number)), layout.folder(number), layout.shared)
    layout.finish([n for n in range(plan.count) if plan.members[n]],
                  vocabulary_filter if plan.vocabulary else None)
    plan.save()
    log.debug("search: indexed %d of %d shard(s) of %s in %.1f s", len(stale), plan.count, output,
              time.monotonic() - started)


class Layout:
    """Where the bundles go in <output>/pagefind/. One index is Pagefind's
    standard bundle, right there, so Pagefind's documented UI snippet finds
    it; shards are bundles in shard-N/ folders. Either way shards.json lists
    the bundles for the search page, and pagefind-ui.js and pagefind-ui.css
    sit in pagefind/ itself."""

    def __init__(self, bundles, count):
        self.bundles, self.single = bundles, count == 1
        # Files of pagefind/ that are not a bundle's own, kept when one bundle is synced there.
        self.shared = {"shards.json"} if self.single else set()

    def folder(self, number):
        return self.bundles if self.single else os.path.join(self.bundles, shard_name(number))

    def finish(self, shards, search_filter):
        """Write shards.json and the UI assets; remove anything an older
        layout left (shard folders after one index, a bundle's files after shards)."""
        os.makedirs(self.bundles, exist_ok=True)
        names = ["" if self.single else shard_name(n) + "/" for n in shards]
        if names and not self.single:
            for asset in UI_ASSETS:
                source = os.path.join(self.folder(shards[0]), asset)
                target = os.path.join(self.bundles, asset)
                if not _same_bytes(source, target):
                    shutil.copyfile(source, target)
        listing = {"bundles": names}
        if search_filter:
            listing["filter"] = search_filter
        listing = json.dumps(listing)
        entry = os.path.join(self.bundles, "shards.json")
        if _read_text(entry) != listing:
            with open(entry, "w", encoding="utf-8") as handle:
                handle.write(listing)
        if self.single:
            keep = None if names else {"shards.json"}  # with no posts, no bundle either
            stale = [n for n in os.listdir(self.bundles) if n.startswith("shard-")
                     or (keep is not None and n not in keep)]
        else:
            keep = {name.rstrip("/") for name in names} | set(UI_ASSETS) | {"shards.json"}
            stale = [n for n in os.listdir(self.bundles) if n not in keep]
        for name in stale:
            path = os.path.join(self.bundles, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def _index_shards(settings, output, work, shards, vocabulary):
    """Index each shard's pages into work/<shard>: the pages are hard-linked
    into a folder of their own (same paths, so the same URLs), with the
    site's vocabulary pages when there are shards, and Pagefind runs on that
    folder, as many at once as there are cores."""
    running = []
    for number, pages in shards.items():
        site = os.path.join(work, "site-" + shard_name(number))
        for lang, words in vocabulary.items():
            target = os.path.join(site, vocabulary_page_path(lang))
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
               "--glob", SHARD_GLOB, *settings.get("SEARCH_PAGEFIND_ARGS", [])]
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


def _sync(fresh, bundle, shared=()):
    """Make `bundle` hold exactly the files of `fresh` (and its `shared`
    files), touching only those whose bytes differ, so unchanged index
    files keep their mtime."""
    keep = set(shared)
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


def register():
    signals.initialized.connect(_defaults)
    signals.all_generators_finalized.connect(remember_posts)
    signals.finalized.connect(index)
