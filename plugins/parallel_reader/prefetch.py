"""The worker pool and the reader that takes its results."""

import fnmatch
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from pelican.readers import MarkdownReader

_state = {"done": False, "results": {}, "settings": None}


class PrefetchedMarkdownReader(MarkdownReader):
    """Pelican's MarkdownReader, answering from the pool's results when it can."""

    def read(self, source_path):
        found = _state["results"].pop(os.path.abspath(source_path), None)
        if found is not None:
            return found
        return super().read(source_path)


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


def _read_chunk(paths):
    reader = MarkdownReader(_state["settings"])
    results = {}
    for path in paths:
        try:
            results[path] = reader.read(path)
        except Exception:  # the main process reads it again and reports it
            continue
    return results


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
