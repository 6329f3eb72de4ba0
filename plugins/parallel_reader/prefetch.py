"""The worker pool and the reader that takes its results.

What crosses from a worker to the main process must be what Pelican's own
reader would have returned there. Pelican marks metadata to drop (an empty
`Tags:`, `Authors:` or `Category:`) with `readers._DISCARD`, a bare object
compared by identity; pickled, it becomes another object. Workers send a
marker in its place, and the main process puts Pelican's sentinel back. A
file whose metadata holds any other value that does not come back equal
from pickling is left for the main process to read itself. Warnings the
reader logs in a worker are logged again in the main process when Pelican
asks for that file, so the build reports them as a serial build does.
"""

import fnmatch
import logging
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor

from pelican import readers
from pelican.readers import MarkdownReader

_state = {"done": False, "results": {}, "settings": None}
DISCARDED = "\0pelican-discard\0"  # stands for readers._DISCARD across processes


class PrefetchedMarkdownReader(MarkdownReader):
    """Pelican's MarkdownReader, answering from the pool's results when it can."""

    def read(self, source_path):
        found = _state["results"].pop(os.path.abspath(source_path), None)
        if found is None:
            return super().read(source_path)
        content, metadata, records = found
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)
        return content, {key: readers._DISCARD if isinstance(value, str) and value == DISCARDED else value
                         for key, value in metadata.items()}


def reset(_pelican=None):
    _state.update(done=False, results={}, settings=None)


def prefetch_all(settings, workers, minimum):
    if _state["done"]:
        return
    _state["done"] = True
    paths = sorted(_markdown_files(settings))
    if len(paths) < minimum:
        return
    _state["settings"] = settings  # inherited by the forked workers, not pickled
    chunks = [paths[i::workers * 4] for i in range(workers * 4)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for batch in pool.map(_read_chunk, chunks):
            _state["results"].update(batch)


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append((record.name, record.levelno, record.getMessage()))


def _read_chunk(paths):
    reader = MarkdownReader(_state["settings"])
    results = {}
    recorder = _Recorder()
    root = logging.getLogger()
    # Only the recorder hears the worker's log: the main process logs it again.
    saved, root.handlers = root.handlers, [recorder]
    try:
        for path in paths:
            recorder.records = []
            try:
                content, metadata = reader.read(path)
            except Exception:  # the main process reads it again and reports it
                continue
            portable = _portable(metadata)
            if portable is not None:
                results[path] = (content, portable, recorder.records)
    finally:
        root.handlers = saved
    return results


def _portable(metadata):
    """The metadata with Pelican's sentinel replaced, or None when some value
    would not arrive as it left."""
    out = {}
    for key, value in metadata.items():
        if value is readers._DISCARD:
            out[key] = DISCARDED
            continue
        try:
            if pickle.loads(pickle.dumps(value)) != value:
                return None
        except Exception:
            return None
        out[key] = value
    return out


def _markdown_files(settings):
    root = settings["PATH"]
    ignored = settings.get("IGNORE_FILES", [])
    folders = settings.get("ARTICLE_PATHS", []) + settings.get("PAGE_PATHS", [])
    extensions = tuple("." + e for e in PrefetchedMarkdownReader.file_extensions)
    for folder in folders or [""]:
        for directory, subfolders, files in os.walk(os.path.join(root, folder)):
            subfolders[:] = [d for d in subfolders
                             if not any(fnmatch.fnmatch(d, p) for p in ignored)]
            for name in files:
                if name.endswith(extensions) and not any(fnmatch.fnmatch(name, p) for p in ignored):
                    yield os.path.abspath(os.path.join(directory, name))
