"""The content-addressed store of encoded images, outside output/.

An entry's key is the SHA-256 of the source file's bytes, the transform
(size, format, quality, crop...) and the pipeline's version, so a key names
exactly one result: an entry is never stale, and a warm build finds every
file it needs here and encodes nothing. CI restores the folder between runs.
Files are written to a temporary name and renamed, so a killed build never
leaves half an image behind.
"""

import hashlib
import json
import os
import tempfile

import PIL

# Bump when the pixels for the same source and transform change.
PIPELINE_VERSION = 1
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}


def key_of(source_digest, transform):
    blob = json.dumps({"src": source_digest, "t": transform, "v": PIPELINE_VERSION,
                       "pil": PIL.__version__}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def entry_path(cache_path, key, fmt):
    return os.path.join(cache_path, key[:2], f"{key}.{EXTENSIONS[fmt]}")


def has(cache_path, key, fmt):
    return os.path.isfile(entry_path(cache_path, key, fmt))


def store(cache_path, key, fmt, data):
    path = entry_path(cache_path, key, fmt)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
    return path


class Digests:
    """SHA-256 of source files, remembered by (size, mtime) between builds so
    a warm build does not hash every photo again. The memo only saves time:
    a changed file has a new size or mtime and is hashed afresh."""

    def __init__(self, cache_path):
        self.path = os.path.join(cache_path, "digests.json")
        try:
            with open(self.path, encoding="utf-8") as handle:
                self.known = json.load(handle)
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def of(self, path):
        stat = os.stat(path)
        stamp = [stat.st_size, stat.st_mtime_ns]
        known = self.known.get(path)
        if known and known[:2] == stamp:
            return known[2]
        digest = file_digest(path)
        self.known[path] = [*stamp, digest]
        self.changed = True
        return digest

    def save(self):
        if not self.changed:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.known, out)
        os.replace(temporary, self.path)


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
