"""Watches the sources and asks for a rebuild when they change."""

from pathlib import Path

from watchfiles import awatch

from .builder import ROOT

WATCHED = ["theme", "plugins", "pelicanconf.py"]


def _relevant(change, path):
    name = Path(path).name
    return not (name.startswith(".#") or name.endswith(("~", ".swp", ".pyc")) or "__pycache__" in path)


async def watch(builder):
    paths = [str(builder.content)] + [str(ROOT / p) for p in WATCHED if (ROOT / p).exists()]
    async for changes in awatch(*paths, watch_filter=_relevant, debounce=50, step=20):
        names = sorted({Path(p).name for _, p in changes})
        await builder.build(reason=", ".join(names[:3]))
