"""The recording writer and the fork-and-write step."""

import json
import logging
import os

from pelican.writers import Writer

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
        _pending[:] = [self]

    def write_file(self, name, *args, **kwargs):
        if not name:
            return
        if _edited_since_written(os.path.join(self.output_path, name), kwargs):
            Writer.write_file(self, name, *args, **kwargs)
        else:
            self.jobs.append((name, args, kwargs))

    def write_feed(self, elements, context, path=None, *args, **kwargs):
        # Pelican ignores the returned feed object when it writes to a path.
        if path:
            self.jobs.append((path, (elements, context, path, *args), dict(kwargs, _feed=True)))
        else:
            return Writer.write_feed(self, elements, context, path, *args, **kwargs)

    def flush(self):
        jobs, self.jobs = self.jobs, []
        workers = self.settings.get("PARALLEL_WRITERS")
        workers = (os.cpu_count() or 1) if workers is None else int(workers)
        if workers < 2 or len(jobs) < self.settings.get("PARALLEL_WRITERS_MIN", 200):
            self._write(jobs)
            prune(self.settings, self._written_files)
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
            _, status = os.waitpid(pid, 0)
            failed += status != 0
        if failed:
            raise RuntimeError(f"{failed} page-writing process(es) failed; see the problems above")
        prune(self.settings, written)

    def _write(self, jobs):
        for name, args, kwargs in jobs:
            if kwargs.pop("_feed", False):
                Writer.write_feed(self, *args, **kwargs)
            else:
                Writer.write_file(self, name, *args, **kwargs)

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
                writer.write(json.dumps({"records": captured.records,
                                         "written": sorted(self._written_files)}))
            os._exit(status)


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
