"""Which search shard each article page belongs to, and which shards an edit made stale.

Pagefind cannot update an index: it reads every page each time. With
SEARCH_SHARD_PAGES set, the article pages are split into shards of about
that many pages (by a hash of the page's path, so a page stays in its shard
while the shard count stays the same), each indexed into its own bundle,
and the search page joins them in the browser with Pagefind's mergeIndex.
A build indexes again only the shards whose pages were added, removed or
changed (by a digest of their bytes), or whose bundle is missing; the
record of the last build is CACHE_PATH/search-shards.json.

Off by default (one shard): when a word is missing from an index, Pagefind
searches for the longest prefix of it that the index has (since 1.0, and it
cannot be turned off), so a shard without the word answers with matches
for, say, "a", and the merged list can rank those above the one post that
has the word. Without shards that happens only for words no post has.
"""

import glob
import hashlib
import json
import math
import os
from importlib import metadata

RECORD = "search-shards.json"


def shard_name(number):
    return f"shard-{number}"


class Plan:
    def __init__(self, settings, output, pattern):
        self.settings = settings
        self.output = output
        pages = sorted(os.path.relpath(p, output) for p in glob.glob(os.path.join(output, pattern)))
        size = int(settings.get("SEARCH_SHARD_PAGES", 0))
        self.count = max(1, math.ceil(len(pages) / size)) if size > 0 else 1
        self.members = {n: {} for n in range(self.count)}
        for page in pages:
            self.members[_shard_of(page, self.count)][page] = _digest_file(os.path.join(output, page))
        self.setup = {"output": output, "count": self.count, "pagefind": _pagefind_version(),
                      "args": list(settings.get("SEARCH_PAGEFIND_ARGS", [])), "pattern": pattern}
        self._previous = self._load()

    def stale(self, bundles):
        """The shards to index again: all of them when the setup changed."""
        previous = self._previous
        same_setup = {k: previous.get(k) for k in self.setup} == self.setup
        shards = previous.get("shards", {}) if same_setup else {}
        return [n for n in range(self.count)
                if shards.get(str(n)) != self.members[n]
                or not os.path.isfile(os.path.join(bundles, shard_name(n), "pagefind-entry.json"))]

    def save(self):
        path = self._path()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump({**self.setup, "shards": {str(n): m for n, m in self.members.items()}}, handle)
        os.replace(path + ".tmp", path)

    def _path(self):
        return os.path.join(self.settings.get("CACHE_PATH", "cache"), RECORD)

    def _load(self):
        try:
            with open(self._path(), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}


def _shard_of(page, count):
    return int(hashlib.blake2b(page.encode(), digest_size=8).hexdigest(), 16) % count


def _digest_file(path):
    with open(path, "rb") as handle:
        return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()


def _pagefind_version():
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout of Pagefind
        return ""
