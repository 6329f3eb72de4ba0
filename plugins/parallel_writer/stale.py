"""Remove the pages and feeds an earlier build wrote that this build did not.

Pelican rewrites every page but never deletes one (DELETE_OUTPUT_DIRECTORY
is off, so the preview and incremental builds keep the output), so after a
slug or date change, a deleted post or a dropped tag the next build kept the
old page, and the search index kept finding it. The files each build wrote
are kept in CACHE_PATH/<record>.json (written-pages.json for the writer's
pages and feeds; the images plugin keeps its own); the next build into the
same output folder deletes the ones it no longer writes, and the folders
left empty. Files no record names (static files, theme assets) are never
touched.
"""

import json
import logging
import os

log = logging.getLogger(__name__)
MANIFEST = "written-pages.json"


def prune(settings, written, manifest=MANIFEST):
    """Delete what the last build into this output recorded and `written`
    (absolute paths, or relative to the output) lacks; record `written`."""
    output = os.path.abspath(settings["OUTPUT_PATH"])
    record = os.path.join(settings.get("CACHE_PATH", "cache"), manifest)
    current = sorted({os.path.relpath(os.path.join(output, name), output) for name in written})
    previous = _read(record)
    if previous.get("output") == output:
        for name in set(previous.get("pages", ())) - set(current):
            _remove(output, name)
    os.makedirs(os.path.dirname(record) or ".", exist_ok=True)
    with open(record, "w", encoding="utf-8") as handle:
        json.dump({"output": output, "pages": current}, handle)


def _read(record):
    try:
        with open(record, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _remove(output, name):
    target = os.path.normpath(os.path.join(output, name))
    if os.path.commonpath([output, target]) != output or target == output:
        return  # never outside the output folder
    try:
        os.remove(target)
    except FileNotFoundError:
        return
    log.debug("removed %s: this build no longer writes it", name)
    folder = os.path.dirname(target)
    while folder != output and not os.listdir(folder):
        os.rmdir(folder)
        folder = os.path.dirname(folder)
