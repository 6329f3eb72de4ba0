"""The checks on one post or page. Each gives Findings: an error (fails the
build) or advice (printed, shown in the preview, never fails the build
unless ADVICE_FAILS_BUILD is set). Messages start with ":line" when the line
is known, so the report reads "content/posts/x.md:3: ..."."""

import difflib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from .front_matter import front_matter, line_containing, line_of, spelled

KNOWN_KEYS = {
    "title": "Title", "date": "Date", "modified": "Modified",
    "category": "Category", "tags": "Tags", "author": "Author",
    "authors": "Authors", "summary": "Summary", "slug": "Slug",
    "status": "Status", "image": "Image", "image_alt": "Image_alt", "image_caption": "Image_caption",
    "image_focus": "Image_focus",
    "share": "Share", "comments": "Comments", "toc": "Toc", "related": "Related", "lang": "Lang",
    "translation": "Translation", "template": "Template", "save_as": "Save_as",
    "url": "URL", "description": "Description",
    "newsletter": "Newsletter", "newsletter_subject": "Newsletter_subject", "signup": "Signup",
    # Other Pelican blogs (fullstackpython.com) write `newsletters: False`: same meaning.
    "newsletters": "Newsletters",
}
STATUSES = {"draft", "published", "hidden"}
# Keys Pelican adds itself; never a writer's typo.
INTERNAL_KEYS = {"reader"}
KEY_CUTOFF = 0.8
LINK = re.compile(r"""(?:href|src)\s*=\s*["']\{(filename|static|attach)\}([^"'#?]+)""")
IMG = re.compile(r"<img\b[^>]*>", re.I)
ATTRIBUTE = re.compile(r"""\b(alt|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


@dataclass(frozen=True)
class Finding:
    path: str
    message: str          # starts with ":line: " when the line is known, else ": "
    advice: bool = False


def check_content(content, settings):
    path = content.source_path
    meta = content.metadata
    found = []

    def error(key, message):
        found.append(Finding(path, f"{line_of(path, key)}: {message}"))

    def advise(where, message):
        found.append(Finding(path, f"{where}: {message}", advice=True))

    is_article = content.__class__.__name__ == "Article"
    near = {key: difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=KEY_CUTOFF)
            for key in meta if key not in KNOWN_KEYS and key not in INTERNAL_KEYS}
    if not str(meta.get("title", "")).strip():
        typo = next((key for key, guess in near.items() if guess == ["title"]), None)
        error(typo or "title", "Title is missing or empty")
    if is_article and not getattr(content, "date", None):
        error("date", "Date is missing")
    for key, guess in near.items():
        if guess:
            error(key, f"unknown front-matter key '{spelled(path, key)}', "
                       f"did you mean {KNOWN_KEYS[guess[0]]}?")
    status = str(meta.get("status", "published")).lower()
    if status not in STATUSES:
        error("status", f"Status '{meta['status']}' is not one of {', '.join(sorted(STATUSES))}")
    date, modified = meta.get("date"), meta.get("modified")
    if isinstance(date, datetime) and isinstance(modified, datetime) and _before(modified, date):
        error("modified", "Modified is earlier than Date")

    allowed = settings.get("CATEGORIES") or []
    category = getattr(content, "category", None) if is_article else None
    written = front_matter(path).get("category")
    if allowed and category is not None and str(category) not in allowed:
        error("category", f"Category '{category}' is not one of "
                          f"{', '.join(allowed)} (CATEGORIES in pelicanconf.py)")
    if is_article and front_matter(path) and not (written and written.value) \
            and not settings.get("USE_FOLDER_AS_CATEGORY"):
        advise(line_of(path, "category"),
               f"no Category; the post is filed under '{category}' (DEFAULT_CATEGORY)")

    limit = settings.get("META_DESCRIPTION_LENGTH", 160)
    summary = meta.get("summary")
    if summary and len(_text(summary)) > limit:
        advise(line_of(path, "summary"),
               f"Summary is {len(_text(summary))} characters; search results show about {limit} "
               f"(META_DESCRIPTION_LENGTH), so the meta description is cut there")

    image = meta.get("image")
    content_root = settings["PATH"]
    if image and not os.path.isfile(os.path.join(content_root, str(image).lstrip("/"))):
        error("image", f"Image file '{image}' does not exist under {content_root}/")
    body = content._content or ""
    for kind, target in LINK.findall(body):
        if not _target_exists(target, path, content_root):
            found.append(Finding(path, f"{line_containing(path, target)}: "
                                       f"broken {{{kind}}} link to '{target}'"))
    for where, message in _image_advice(body, path, settings):
        advise(where, message)
    return found


def _image_advice(body, path, settings):
    own_hosts = {urlsplit(settings.get(name) or "").hostname
                 for name in ("SITEURL", "SITE_ORIGIN")} - {None}
    for tag in IMG.findall(body):
        attributes = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                      for m in ATTRIBUTE.finditer(tag)}
        src = attributes.get("src", "")
        where = line_containing(path, src) if src else ""
        if not attributes.get("alt", "").strip():
            yield where, f"image '{src}' has no alt text; describe it for readers who cannot see it"
        host = urlsplit(src).hostname if src.startswith(("http://", "https://", "//")) else None
        if host and host not in own_hosts:
            yield where, (f"image '{src}' is on another host ({host}): every visitor's browser "
                          f"asks a third party for it; copy it to content/images/")


def check_duplicate_slugs(contents):
    owners = {}
    found = []
    for content in contents:
        slug = getattr(content, "slug", None)
        if not slug or str(content.metadata.get("status", "published")).lower() not in STATUSES:
            continue  # an invalid post (no title, bad status) is reported on its own
        key = (content.__class__.__name__, getattr(content, "lang", ""), slug)
        if key in owners:
            found.append(Finding(content.source_path, f"{line_of(content.source_path, 'slug')}: "
                                 f"duplicate slug '{slug}', already used by {owners[key]}"))
        else:
            owners[key] = content.source_path
    return found


def _before(modified, date):
    # A blog moving in may give one date a time zone and not the other.
    if (modified.tzinfo is None) != (date.tzinfo is None):
        modified, date = modified.replace(tzinfo=None), date.replace(tzinfo=None)
    return modified < date


def _target_exists(target, source_path, content_root):
    if target.startswith("/"):
        candidate = os.path.join(content_root, target.lstrip("/"))
    else:
        candidate = os.path.join(os.path.dirname(source_path), target)
    return os.path.exists(os.path.normpath(candidate))


def _text(html):
    return re.sub(r"<[^>]+>", "", str(html)).strip()
