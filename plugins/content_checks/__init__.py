"""Fail the build on content a reader should never see broken.

Every post and page is checked as Pelican reads it; the problems are gathered
and reported together once all content is known, each naming its file (and
line where the front matter has one), so a writer fixes them in one pass.
"""

import logging
import os

from pelican import readers, signals
from pelican.contents import Article, Page

from .rules import check_content, check_duplicate_slugs


class ContentError(Exception):
    """Raised with every problem found, one per line."""


log = logging.getLogger(__name__)
_seen = []


def _collect(content):
    if isinstance(content, (Article, Page)):
        _seen.append(content)


def _report(pelican_or_generators):
    # Only the last generator call matters: Pelican sends this once per build.
    settings = _settings_of(pelican_or_generators)
    problems = []
    for content in _seen:
        problems.extend(check_content(content, settings))
    problems.extend(check_duplicate_slugs(_seen))
    _seen.clear()
    if problems:
        root = os.getcwd()
        lines = [_relative(p, root) for p in problems]
        raise ContentError(
            f"{len(lines)} problem(s) in the content:\n  " + "\n  ".join(lines)
        )


def _settings_of(generators):
    return generators[0].settings


def _relative(problem, root):
    path, message = problem
    if os.path.abspath(path).startswith(root + os.sep):
        path = os.path.relpath(path, root)
    return f"{path}{message}"


def _reset(pelican):
    _seen.clear()


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
    signals.initialized.connect(_reset)
    signals.content_object_init.connect(_collect)
    signals.all_generators_finalized.connect(_report)
