"""The recording writer and the fork-and-write step."""

import json
import logging
import os
import time

from pelican.writers import Writer

log = logging.getLogger(__name__)
_pending = []          # the DeferredWriter of the current build, if any
RECENT_SECONDS = 60


class DeferredWriter(Writer):
    """Records write_file calls; flush() renders them. Feeds are written at once."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.jobs = []
        _pending[:] = [self]

    def write_file(self, name, *args, **kwargs):
        if name:
            self.jobs.append((name, args, kwargs))

    def flush(self):
        jobs, self.jobs = _in_writing_order(self.jobs), []
        workers = self.settings.get("PARALLEL_WRITERS")
        workers = (os.cpu_count() or 1) if workers is None else int(workers)
        if workers < 2 or len(jobs) < self.settings.get("PARALLEL_WRITERS_MIN", 200):
            self._write(jobs)
            return
        shares = _split(jobs, workers)
        children = [self._fork(share) for share in shares[1:]]
        self._write(shares[0])
        failed = 0
        for pid, pipe in children:
            with os.fdopen(pipe, "r", encoding="utf-8") as reader:
                records = json.loads(reader.read() or "[]")
            for level, message in records:
                log.log(level, "%s", message)
            _, status = os.waitpid(pid, 0)
            failed += status != 0
        if failed:
            raise RuntimeError(f"{failed} page-writing process(es) failed; see the problems above")

    def _write(self, jobs):
        for name, args, kwargs in jobs:
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
                writer.write(json.dumps(captured.records))
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


def _in_writing_order(jobs):
    """Recently saved sources first; otherwise the order Pelican asked for."""
    now = time.time()

    def recent(job):
        content = job[2].get("article") or job[2].get("page")
        path = getattr(content, "source_path", None)
        try:
            return now - os.path.getmtime(path) < RECENT_SECONDS if path else False
        except OSError:
            return False

    return sorted(jobs, key=lambda job: not recent(job))


def _split(jobs, workers):
    """Share the pages out; every write to one file name stays in one process,
    so Pelican's own override rules still hold."""
    shares = [[] for _ in range(workers)]
    owner = {}
    for index, job in enumerate(jobs):
        worker = owner.setdefault(job[0], index % workers)
        shares[worker].append(job)
    return shares
