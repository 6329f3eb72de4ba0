"""Render and write the site's pages on every core.

Pelican renders its pages one after another. This plugin gives Pelican a
writer that only records each page it is asked to write; when the
generators are done, the recorded pages are split between the main process
and forked copies of it, which render them with Pelican's own Writer. A fork
inherits the finished context, so nothing is pickled and every page comes
out exactly as a serial build writes it. Warnings logged in a worker are
passed back and logged again in the main process, so a strict build still
sees them.

Feeds are deferred and shared out the same way. A page whose source was
saved after the page was last written is written at once instead, when
Pelican asks for it: in the live preview the page being edited lands soonest.

An {attach} link moves the attached file beside the post, but only if the
post is rendered before the static files are written (Pelican never moves
a file whose location was already used). Rendering is deferred here, so
posts and pages that hold an {attach} link are rendered as soon as their
generator is done, before the static files.

Pages and feeds an earlier build into the same output wrote and this one
did not (a changed slug or date, a deleted post, a dropped tag) are
deleted from the output (stale.py), so an incremental build gives the same
files as a clean one.

A page or feed whose key (render_keys.py: a digest of the settings, the
theme, the plugins' code and the values its templates read) is the one the
last build into the same output recorded is not rendered again: its file
is left as it is, with its old modification time.

Settings:
  PARALLEL_WRITERS      processes that render pages; default: the number of
                        cores. 0 or 1 writes serially, as Pelican does.
  PARALLEL_WRITERS_MIN  fewest pages worth forking for (default 200).
  RENDER_ONLY_CHANGED   default True; False renders every page on every
                        build. Off while ASSETS_OPTIMIZE is on, which rewrites
                        the written pages in place.

Put this plugin before any plugin that reads the output on `finalized`
(search, assets): it writes the pages on that signal, and receivers run in
the order plugins connect.
"""

from pelican import signals

from .writer import DeferredWriter, flush_pending


def _writer(_pelican):
    return DeferredWriter


def _render_attachments(generator, writer=None):
    groups = ("articles", "translations", "drafts", "drafts_translations",  # ArticlesGenerator
              "pages", "hidden_pages", "hidden_translations", "draft_pages", "draft_translations")
    for group in groups:
        for content in getattr(generator, group, None) or ():
            if "{attach}" in (getattr(content, "_content", None) or ""):
                content.get_content(content.get_siteurl())  # memoized; relocates the files


def register():
    signals.get_writer.connect(_writer)
    signals.article_writer_finalized.connect(_render_attachments)
    signals.page_writer_finalized.connect(_render_attachments)
    signals.finalized.connect(flush_pending)
