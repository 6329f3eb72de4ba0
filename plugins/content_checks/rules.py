"""The individual checks. Each returns (source_path, ": message") pairs, the
message starting with the line number when the front matter has the key."""

import difflib
import os
import re
from datetime import datetime

KNOWN_KEYS = {
    "title": "Title", "date": "Date", "modified": "Modified",
    "category": "Category", "tags": "Tags", "author": "Author",
    "authors": "Authors", "summary": "Summary", "slug": "Slug",
    "status": "Status", "image": "Image", "image_alt": "Image_alt", "image_caption": "Image_caption",
    "share": "Share", "toc": "Toc", "related": "Related", "lang": "Lang",
    "translation": "Translation", "template": "Template", "save_as": "Save_as",
    "url": "URL", "description": "Description",
}
STATUSES = {"draft", "published", "hidden"}
# Keys Pelican adds itself; never a writer's typo.
INTERNAL_KEYS = {"reader"}
LINK = re.compile(r"""(?:href|src)\s*=\s*["']\{(filename|static|attach)\}([^"'#?]+)""")


def check_content(content, settings):
    path = content.source_path
    meta = content.metadata
    found = []

    def problem(key, message):
        found.append((path, f"{_line_of(path, key)}: {message}"))

    if not str(meta.get("title", "")).strip():
        problem("title", "Title is missing or empty")
    for key in meta:
        if key not in KNOWN_KEYS and key not in INTERNAL_KEYS:
            guess = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.8)
            if guess:
                problem(key, f"unknown front-matter key '{_spelled(path, key)}', "
                             f"did you mean {KNOWN_KEYS[guess[0]]}?")
    status = str(meta.get("status", "published")).lower()
    if status not in STATUSES:
        problem("status", f"Status '{meta['status']}' is not one of "
                          f"{', '.join(sorted(STATUSES))}")
    date, modified = meta.get("date"), meta.get("modified")
    if isinstance(date, datetime) and isinstance(modified, datetime) and modified < date:
        problem("modified", "Modified is earlier than Date")
    allowed = settings.get("CATEGORIES") or []
    category = meta.get("category")
    if allowed and category is not None and str(category) not in allowed \
            and content.__class__.__name__ == "Article":
        problem("category", f"Category '{category}' is not one of "
                            f"{', '.join(allowed)} (set CATEGORIES in pelicanconf.py)")
    limit = settings.get("META_DESCRIPTION_LENGTH", 160)
    summary = meta.get("summary")
    if summary and len(_text(summary)) > limit:
        problem("summary", f"Summary is {len(_text(summary))} characters; "
                           f"the limit is {limit} (META_DESCRIPTION_LENGTH)")
    image = meta.get("image")
    content_root = settings["PATH"]
    if image and not os.path.isfile(os.path.join(content_root, str(image).lstrip("/"))):
        problem("image", f"Image file '{image}' does not exist under {content_root}/")
    for kind, target in LINK.findall(content._content or ""):
        if not _target_exists(target, path, content_root):
            found.append((path, f": broken {{{kind}}} link to '{target}'"))
    return found


def check_duplicate_slugs(contents):
    owners = {}
    found = []
    for content in contents:
        if str(content.metadata.get("status", "published")).lower() not in STATUSES:
            continue
        key = (content.__class__.__name__, getattr(content, "lang", ""), content.slug)
        if key in owners:
            found.append((content.source_path,
                          f": duplicate slug '{content.slug}', "
                          f"already used by {owners[key]}"))
        else:
            owners[key] = content.source_path
    return found


def _target_exists(target, source_path, content_root):
    if target.startswith("/"):
        candidate = os.path.join(content_root, target.lstrip("/"))
    else:
        candidate = os.path.join(os.path.dirname(source_path), target)
    return os.path.exists(os.path.normpath(candidate))


def _line_of(path, key):
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    break
                if line.split(":", 1)[0].strip().lower() == key:
                    return f":{number}"
    except OSError:
        pass
    return ""


def _spelled(path, key):
    """The key as the writer typed it, for the message."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                name = line.split(":", 1)[0].strip()
                if name.lower() == key:
                    return name
    except OSError:
        pass
    return key


def _text(html):
    return re.sub(r"<[^>]+>", "", str(html)).strip()
