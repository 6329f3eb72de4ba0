"""Check every post and page as Pelican reads it: errors fail the build,
advice is printed and never fails it.

Errors are what breaks the site or loses content: a missing Title, a bad
Date, an unknown Status, a broken {filename}/{static}/{attach} link, a
missing image, a duplicate slug, a key that is a near miss of a known key
(`Tittle`: "did you mean Title?"), a category that is a near miss of one in
use. Advice: a long Summary, an image in the text without alt text or on
another host, a post without a Category. Unknown keys that are no near miss
stay metadata for themes and plugins (Subtitle, Keywords, series, ...).

Everything is gathered and reported once all content is read, each line
naming its file (and line where it can), so a writer fixes all in one pass.
When the live preview reads one saved file again (its named signal
`preview_content_reread`), that file is checked alone, at once.
Advice goes to the "northwind.advice" logger with record.advice set;
tools.build prints it apart and the preview shows it over the page.

Settings:
  ADVICE_FAILS_BUILD      True makes advice fail the build too (default False)
  CATEGORIES              a closed list of allowed categories; empty allows any
  CATEGORY_NEAR_MISS      how alike two category names must be to be called a
                          near miss (difflib ratio, default 0.88)
"""

import logging
import os

from blinker import signal
from pelican import readers, signals
from pelican.contents import Article, Page

from .categories import CUTOFF, near_miss_categories
from .rules import check_content, check_duplicate_slugs


class ContentError(Exception):
    """Raised with every problem found, one per line."""


log = logging.getLogger(__name__)
advice_log = logging.getLogger("northwind.advice")
_seen = []


def _collect(content):
    if isinstance(content, (Article, Page)):
        _seen.append(content)


def _report(generators):
    # Pelican sends this once per build, after every generator has read its content.
    settings = generators[0].settings
    findings = []
    for content in _seen:
        findings.extend(check_content(content, settings))
    findings.extend(check_duplicate_slugs(_seen))
    articles = [c for c in _seen if isinstance(c, Article) and getattr(c, "slug", None)]
    findings.extend(near_miss_categories(articles, settings.get("CATEGORY_NEAR_MISS", CUTOFF)))
    _seen.clear()
    root = os.getcwd()
    strict = bool(settings.get("ADVICE_FAILS_BUILD"))
    errors = [_relative(f, root) for f in findings if strict or not f.advice]
    for finding in findings:
        if finding.advice and not strict:
            advice_log.warning("%s", _relative(finding, root), extra={"advice": True})
    if errors:
        raise ContentError(f"{len(errors)} problem(s) in the content:\n  " + "\n  ".join(errors))


def _relative(finding, root):
    path = finding.path
    if os.path.abspath(path).startswith(root + os.sep):
        path = os.path.relpath(path, root)
    return f"{path}{finding.message}"


def _reset(pelican):
    _seen.clear()


def _check_reread(generator, content=None, previous=None):
    """The preview read one saved file again: what it collected is that file."""
    _report([generator])


# Pelican's own notices that this plugin reports better: a post without a
# title or date (named here with its line), an image with an empty alt
# (advice here, with the line, instead of a warning that fails the build).
_REPLACED = {
    "pelican.contents": "Skipping %s: could not find information about",
    # the second is what Pelican's LimitFilter makes of the sixth and later ones
    # (in a parallel reader's worker, before the record reaches this process)
    "pelican.readers": ("Empty alt attribute for image", "Other images have empty alt attributes"),
}


class _ReplacedNotice(logging.Filter):
    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix

    def filter(self, record):
        return not (isinstance(record.msg, str) and record.msg.startswith(self.prefix))


def _name_fields_in_errors():
    """Make Pelican's metadata errors say which field failed: its own message
    for a bad date is "'x' is not a valid date", without the key."""
    for name, process in list(readers.METADATA_PROCESSORS.items()):
        if getattr(process, "names_field", False):
            continue

        def named(value, settings, _name=name, _process=process):
            try:
                return _process(value, settings)
            except Exception as error:
                raise ValueError(f"{_name.title()}: {error}") from None

        named.names_field = True
        readers.METADATA_PROCESSORS[name] = named


def register():
    _name_fields_in_errors()
    for name, prefix in _REPLACED.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ReplacedNotice) for f in logger.filters):
            logger.addFilter(_ReplacedNotice(prefix))
    signals.initialized.connect(_reset)
    signals.content_object_init.connect(_collect)
    signals.all_generators_finalized.connect(_report)
    signal("preview_content_reread").connect(_check_reread)
