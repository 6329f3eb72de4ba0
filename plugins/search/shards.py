"""Which search shard each article page belongs to, and which shards an edit made stale.

Pagefind cannot update an index: it reads every page each time. With
SEARCH_SHARD_PAGES set, the article pages are split into shards of about
that many pages (by a hash of the page's path, so a page stays in its shard
while the shard count stays the same), each indexed into its own bundle,
and the search page joins them in the browser with Pagefind's mergeIndex.
A build indexes again only the shards whose pages were added, removed or
changed (by a digest of their bytes), or whose bundle is missing; the
record of the last build is CACHE_PATH/search-shards.json.

With more than one shard, each shard also indexes a page of the whole
site's words (vocabulary.py), so that a shard without a word does not
answer with Pagefind's longest-prefix matches for it. A change to those
words (an edit that brings a word no page had, or removes a word's last
page) makes every shard stale. Each shard ranks its own pages (Pagefind's
BM25 counts pages per shard), so the merged order can differ a little from
one index's; the set of results is the same.
"""

import hashlib
import json
import math
import os
from importlib import metadata

from .vocabulary import Words, load_json

RECORD = "search-shards.json"


def shard_name(number):
    return f"shard-{number}"


class Plan:
    def __init__(self, settings, output, pages, pattern):
        """`pages`: the post pages this build wrote, relative to `output`."""
        self.settings = settings
        self.output = output
        pages = sorted(p for p in pages if os.path.isfile(os.path.join(output, p)))
        size = int(settings.get("SEARCH_SHARD_PAGES", 0))
        self.count = max(1, math.ceil(len(pages) / size)) if size > 0 else 1
        self.members = {n: {} for n in range(self.count)}
        self.words = Words(settings) if self.count > 1 else None
        self._previous = load_json(self._path())
        known, self.files = self._previous.get("files", {}), {}
        for page in pages:
            path = os.path.join(output, page)
            stat = os.stat(path)
            mtime, length, digest = known.get(page) or (None, None, None)
            # A page the writer left alone keeps its mtime: its digest is the one recorded.
            if [mtime, length] != [stat.st_mtime_ns, stat.st_size]:
                digest = _digest_file(path)
            self.files[page] = [stat.st_mtime_ns, stat.st_size, digest]
            self.members[_shard_of(page, self.count)][page] = digest
            if self.words:
                self.words.add(page, digest, lambda: _read_text(path))
        self.vocabulary = self.words.by_language() if self.words else {}
        self.setup = {"output": output, "count": self.count, "pagefind": _pagefind_version(),
                      "args": list(settings.get("SEARCH_PAGEFIND_ARGS", [])), "pattern": pattern,
                      "vocabulary": _digest_json(self.vocabulary)}

    def stale(self, folder_of):
        """The shards to index again: all of them when the setup changed.
        `folder_of(number)` is where a shard's bundle is."""
        previous = self._previous
        same_setup = {k: previous.get(k) for k in self.setup} == self.setup
        shards = previous.get("shards", {}) if same_setup else {}
        return [n for n in range(self.count)
                if shards.get(str(n)) != self.members[n]
                or not os.path.isfile(os.path.join(folder_of(n), "pagefind-entry.json"))]

    def save(self):
        path = self._path()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump({**self.setup, "shards": {str(n): m for n, m in self.members.items()},
                       "files": self.files}, handle)
        os.replace(path + ".tmp", path)
        if self.words:
            self.words.save()

    def _path(self):
        return os.path.join(self.settings.get("CACHE_PATH", "cache"), RECORD)


def _shard_of(page, count):
    return int(hashlib.blake2b(page.encode(), digest_size=8).hexdigest(), 16) % count


def _digest_file(path):
    with open(path, "rb") as handle:
        return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()


def _read_text(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _digest_json(value):
    return hashlib.blake2b(json.dumps(value).encode(), digest_size=16).hexdigest()


def _pagefind_version():
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout of Pagefind
        return ""
