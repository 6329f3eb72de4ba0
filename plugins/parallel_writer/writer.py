"""The recording writer and the fork-and-write step."""

import json
import logging
import os

from pelican.contents import Content
from pelican.utils import sanitised_join
from pelican.writers import Writer

from . import render_keys
from .stale import prune

log = logging.getLogger(__name__)
_pending = []          # the DeferredWriter of the current build, if any


class DeferredWriter(Writer):
    """Records write_file and write_feed calls; flush() carries them out.

    A page whose source was saved since the page was last written is
    written at once, when Pelican asks for it: in the live preview the page
    being edited is on disk before the rest of the site is rendered."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.jobs = []
        self.only_changed = _only_changed(self.settings)
        self.record = render_keys.load(self.settings) if self.only_changed else {}
        if not self.only_changed:
            # This build may write pages another way (ASSETS_OPTIMIZE rewrites
            # them): the next build must not take them for the recorded ones.
            render_keys.forget(self.settings)
        self.previous_keys = self.record.get("keys", {})
        self.keys = {}          # output name -> key, for this build's record
        self._digests = None    # render_keys.Keys, made when the first page is rendered
        self._kept = set()      # paths whose render was skipped: _open_w must not truncate them
        self._opened = set()
        _pending[:] = [self]

    def write_file(self, name, template, context, *args, **kwargs):
        if not name:
            return
        template = _KeyedTemplate(template, self, context)
        if _edited_since_written(os.path.join(self.output_path, name), kwargs):
            Writer.write_file(self, name, template, context, *args, **kwargs)
        else:
            self.jobs.append((name, (template, context, *args), kwargs))

    def write_feed(self, elements, context, path=None, *args, **kwargs):
        # Pelican ignores the returned feed object when it writes to a path.
        if path:
            self.jobs.append((path, (elements, context, path, *args), dict(kwargs, _feed=True)))
        else:
            return Writer.write_feed(self, elements, context, path, *args, **kwargs)

    # -- rendering only what changed ------------------------------------------------

    def digests(self, context):
        if self._digests is None:
            self._digests = render_keys.Keys(self.settings, context)
            self._digests.remember_names(self.record.get("templates"))
        return self._digests

    def unchanged(self, name, key):
        """Record `key` for output `name`; True when the last build wrote the same
        file from the same key and it is still there (so it need not be rendered)."""
        path = sanitised_join(self.output_path, name)
        first = path not in self._opened
        self.keys[name] = key if first and key is not None else None
        if not (self.only_changed and first and key is not None):
            return False
        if self.previous_keys.get(name) != key or not os.path.isfile(path):
            return False
        self._kept.add(path)
        return True

    def _prepare(self, jobs):
        """Digest the content and find each template's names before forking,
        so every process inherits them instead of making them again."""
        pages = [args for _, args, kwargs in jobs if not kwargs.get("_feed")]
        if not pages:
            return
        digests = self.digests(pages[0][1])
        digests.prepare(c for c in (pages[0][1].get("generated_content") or {}).values()
                        if isinstance(c, Content))
        for template, *_ in pages:
            digests.names(template.template)

    def _open_w(self, filename, encoding, override=False):
        if filename in self._kept:
            self._keep(filename, override)
            return open(os.devnull, "w", encoding=encoding)
        self._opened.add(filename)
        return super()._open_w(filename, encoding, override)

    def _keep(self, path, override):
        """Count a kept file as written, as Pelican's _open_w would (it is the
        first write to it in this build), without opening and so emptying it."""
        self._kept.discard(path)
        self._opened.add(path)
        if override:
            self._overridden_files.add(path)
        self._written_files.add(path)

    def flush(self):
        jobs, self.jobs = self.jobs, []
        if self.only_changed:
            self._prepare(jobs)
        workers = self.settings.get("PARALLEL_WRITERS")
        workers = (os.cpu_count() or 1) if workers is None else int(workers)
        if workers < 2 or len(jobs) < self.settings.get("PARALLEL_WRITERS_MIN", 200):
            self._write(jobs)
            self._finish(self._written_files)
            return
        shares = _split(jobs, workers)
        children = [self._fork(share) for share in shares[1:]]
        self._write(shares[0])
        failed = 0
        written = set(self._written_files)
        for pid, pipe in children:
            with os.fdopen(pipe, "r", encoding="utf-8") as reader:
                report = json.loads(reader.read() or "{}")
            for level, message in report.get("records", []):
                log.log(level, "%s", message)
            written.update(report.get("written", []))
            self.keys.update(report.get("keys", {}))
            _, status = os.waitpid(pid, 0)
            failed += status != 0
        if failed:
            raise RuntimeError(f"{failed} page-writing process(es) failed; see the problems above")
        self._finish(written)

    def _finish(self, written):
        prune(self.settings, written)
        if self.only_changed:
            render_keys.save(self.settings, {n: k for n, k in sorted(self.keys.items()) if k},
                             self.digests({}).remembered_names())

    def _write(self, jobs):
        for name, args, kwargs in jobs:
            if kwargs.pop("_feed", False):
                self._write_feed(*args, **kwargs)
            else:
                Writer.write_file(self, name, *args, **kwargs)

    def _write_feed(self, elements, context, path, url=None, feed_type="atom",
                    override_output=False, feed_title=None):
        key = (self.digests(context).feed(elements, path, url, feed_type, feed_title)
               if self.only_changed else None)
        if self.unchanged(path, key):
            self._keep(sanitised_join(self.output_path, path), override_output)
            return
        Writer.write_feed(self, elements, context, path, url, feed_type, override_output, feed_title)

    def _fork(self, share):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write_end)
            return pid, read_end
        # In the worker: write its share, report what it logged, never return.
        os.close(read_end)
        captured = _Capture()
        logging.getLogger().addHandler(captured)
        status = 0
        try:
            self._write(share)
        except BaseException as error:  # reported to the main process, which fails the build
            captured.records.append((logging.ERROR, f"{error.__class__.__name__}: {error}"))
            status = 1
        finally:
            with os.fdopen(write_end, "w", encoding="utf-8") as writer:
                writer.write(json.dumps({"records": captured.records, "keys": self.keys,
                                         "written": sorted(self._written_files)}))
            os._exit(status)


class _KeyedTemplate:
    """The template Pelican renders a page with, asked first whether the page
    changed: an unchanged page renders to nothing and its file is kept."""

    def __init__(self, template, writer, context):
        self.template, self.writer, self.context = template, writer, context

    def render(self, localcontext):
        if not self.writer.only_changed:
            return self.template.render(localcontext)
        try:
            key = self.writer.digests(self.context).page(self.template, localcontext)
        except Exception as error:  # noqa: BLE001 - a key we cannot make means: render it
            log.debug("render keys: %s: %s", localcontext.get("output_file"), error)
            key = None
        if self.writer.unchanged(localcontext["output_file"], key):
            return ""
        return self.template.render(localcontext)


def _only_changed(settings):
    """RENDER_ONLY_CHANGED, except where a later step rewrites the written pages
    in place (ASSETS_OPTIMIZE), so that an old file is not what this build would write."""
    return bool(settings.get("RENDER_ONLY_CHANGED", True)) and not settings.get("ASSETS_OPTIMIZE")


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))


def flush_pending(_pelican):
    while _pending:
        _pending.pop().flush()


def _edited_since_written(output, kwargs):
    """True when the page exists and its source is newer: an edit since the
    last build. A first build (no page yet) keeps everything for the pool."""
    content = kwargs.get("article") or kwargs.get("page")
    source = getattr(content, "source_path", None)
    try:
        return bool(source) and os.path.getmtime(source) > os.path.getmtime(output)
    except OSError:
        return False


def _split(jobs, workers):
    """Share the pages out; every write to one file name stays in one process,
    so Pelican's own override rules still hold."""
    shares = [[] for _ in range(workers)]
    owner = {}
    for index, job in enumerate(jobs):
        worker = owner.setdefault(job[0], index % workers)
        shares[worker].append(job)
    return shares
