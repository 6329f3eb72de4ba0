"""The front matter as the writer typed it: each key's spelling, value and line.

Pelican lowercases keys and turns values into objects; the messages need the
original spelling and the line number. Python-Markdown's meta extension ends
the header at the first blank line, and also accepts it fenced by `---`
lines (as Hugo, Jekyll and Eleventy writers write it); both are read here.
"""

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Field:
    line: int      # 1-based line number in the file
    spelled: str   # the key as typed, e.g. "Tittle"
    value: str     # the raw text after the colon, stripped


@lru_cache(maxsize=4096)
def _read(path, _mtime):
    fields = {}
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return fields
    start = 0
    if lines and lines[0].strip() == "---":
        start = 1
    for number, line in enumerate(lines[start:], start=start + 1):
        stripped = line.strip()
        if not stripped or (start and stripped in ("---", "...")):
            break
        if line[:1] in (" ", "\t") or ":" not in line:
            continue  # a continuation line, or not a key at all
        key, _, value = line.partition(":")
        name = key.strip()
        if name and name.lower() not in fields:
            fields[name.lower()] = Field(number, name, value.strip())
    return fields


def front_matter(path):
    """{lowercase key: Field} for a Markdown file; {} when it cannot be read."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return {}
    return _read(path, mtime)


def line_of(path, key):
    """":N" for the line that holds `key`, else ""."""
    found = front_matter(path).get(key)
    return f":{found.line}" if found else ""


def spelled(path, key):
    found = front_matter(path).get(key)
    return found.spelled if found else key


def line_containing(path, needle):
    """":N" for the first line of the file that contains `needle`, else ""."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if needle in line:
                    return f":{number}"
    except (OSError, UnicodeDecodeError):
        pass
    return ""
