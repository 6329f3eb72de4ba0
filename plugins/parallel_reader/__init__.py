"""Parse the Markdown sources on every core before Pelican asks for them.

Pelican reads and renders one file at a time, and Python-Markdown is most of
a cold build's time. On a build with no content cache, this plugin hands the
Markdown files to a pool of worker processes as soon as Pelican sets up its
readers; Pelican's own MarkdownReader does the work in each worker, so the
output is the same byte for byte. The main process then takes each result
instead of parsing the file itself. Files that fail to parse are read again
in the main process, so the error is reported exactly as Pelican reports it.

Settings:
  PARALLEL_READERS      worker processes; default: the number of cores.
                        0 or 1 turns the plugin off.
  PARALLEL_READERS_MIN  fewest Markdown files worth a pool (default 40).
A build that loads a content cache (LOAD_CONTENT_CACHE with an existing
cache) parses few files, so the pool is skipped.
"""

import os

from pelican import signals

from .prefetch import PrefetchedMarkdownReader, prefetch_all, reset


def _install(readers):
    settings = readers.settings
    workers = settings.get("PARALLEL_READERS")
    workers = os.cpu_count() or 1 if workers is None else int(workers)
    for extension in PrefetchedMarkdownReader.file_extensions:
        if extension in readers.reader_classes:
            readers.reader_classes[extension] = PrefetchedMarkdownReader
    if workers >= 2 and not _cache_will_load(settings):
        prefetch_all(settings, workers, settings.get("PARALLEL_READERS_MIN", 40))


def _cache_will_load(settings):
    if not settings.get("LOAD_CONTENT_CACHE"):
        return False
    cache = settings.get("CACHE_PATH", "cache")
    return os.path.isdir(cache) and bool(os.listdir(cache))


def register():
    signals.initialized.connect(reset)
    signals.readers_init.connect(_install)
