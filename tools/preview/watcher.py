"""Watches the sources, and the preview's outbox, and tells the builder what changed."""

import asyncio
import hashlib
import json
from pathlib import Path

from watchfiles import awatch

from .builder import ROOT

WATCHED = ["theme", "plugins", "pelicanconf.py"]


def _within(path, root):
    root = Path(root)
    return Path(path) == root or root in Path(path).parents


def _relevant(change, path):
    name = Path(path).name
    return not (name.startswith(".#") or name.endswith(("~", ".swp", ".pyc")) or "__pycache__" in path)


class ApprovedComments:
    """The approved comments of the preview's outbox: a comment approved,
    edited or deleted (by its moderation link or `make comments`) changes the
    pages, so it asks for a build; a signup or a message written to the same
    database does not."""

    def __init__(self, database):
        self.database = Path(database)
        self.last = self._digest()

    @property
    def folder(self):
        return self.database.parent

    def concerns(self, path):
        return Path(path).parent == self.folder and Path(path).name.startswith(self.database.name)

    async def changed(self):
        digest = await asyncio.to_thread(self._digest)
        changed, self.last = digest != self.last, digest
        return changed

    def _digest(self):
        from plugins.comments.source import CommentsSourceError, load

        try:
            comments = load(str(self.database)) if self.database.is_file() else {}
        except CommentsSourceError:
            comments = {}
        return hashlib.blake2b(json.dumps(comments, sort_keys=True, default=str).encode(),
                               digest_size=16).hexdigest()


async def watch(builder, comments=None):
    roots = [builder.content] + [ROOT / p for p in WATCHED if (ROOT / p).exists()]
    paths = [str(root) for root in roots]
    if comments is not None:
        paths.append(str(comments.folder))
    async for changes in awatch(*paths, watch_filter=_relevant, debounce=30, step=10):
        changed = sorted({p for _, p in changes})
        outbox = [p for p in changed if comments is not None and comments.concerns(p)]
        # The outbox's folder may hold anything (the output, even): only the sources count.
        sources = [p for p in changed if p not in outbox and any(_within(p, root) for root in roots)]
        if outbox and await comments.changed():
            sources.append(str(comments.database))
        if sources:
            await builder.changed(sources)
