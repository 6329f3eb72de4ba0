"""Encoding on every core, in the background: one job per source image
(decoded once for all its outputs), plus the generated cards a few at a time.

start() forks the workers and returns at once, so the build renders its
pages while the images are encoded; Background.wait() collects them. The
workers run at a lower priority, so they fill the cores the page writers and
the search indexer leave idle rather than slow them down. They are forked
copies of the build (no pickling, no threads in the build process), take
their next job from a shared pipe, write each result to the cache and to its
places in output/, and report on a pipe of their own."""

import json
import os
import struct

from .encode import ImageError, encode_generated, encode_source

CARDS_PER_JOB = 8
NICENESS = 5
# Every job number is written to the queue pipe before the workers start, and a
# full pipe would block the build: stay within Linux's default 64 KiB.
QUEUE_SLOTS = 16384


def start(missing_by_source, generated, config, targets):
    """targets: cache key -> absolute output paths to write the result to."""
    jobs = [(encode_source, (path, tasks, config.cache_path, targets))
            for path, tasks in missing_by_source.items()]
    # Biggest first, so one large photo does not finish last on its own.
    jobs.sort(key=lambda job: -sum(t[1]["need"] for t in job[1][1]))
    for begin in range(0, len(generated), CARDS_PER_JOB):
        jobs.append((encode_generated, (generated[begin:begin + CARDS_PER_JOB], config.cache_path, targets)))
    return Background(jobs, min(config.worker_count, len(jobs)))


class Background:
    def __init__(self, jobs, workers):
        self.jobs = jobs
        self.children = []
        self.encoded = 0
        if workers < 2:
            self.encoded = sum(function(*args) for function, args in jobs)
            return
        queue_read, queue_write = os.pipe()
        # Every slot is queued before the fork; each 4-byte read takes one, and
        # slot n holds jobs n*per_slot .. (n+1)*per_slot - 1.
        self.per_slot = -(-len(jobs) // QUEUE_SLOTS)
        slots = -(-len(jobs) // self.per_slot)
        os.write(queue_write, b"".join(struct.pack("=I", number) for number in range(slots)))
        os.close(queue_write)
        for _ in range(workers):
            report_read, report_write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(report_read)
                self._work(queue_read, report_write)  # never returns
            os.close(report_write)
            self.children.append((pid, report_read))
        os.close(queue_read)

    def _work(self, queue, report):
        status, result = 0, {"encoded": 0}
        try:
            os.nice(NICENESS)
            while True:
                number = os.read(queue, 4)
                if len(number) < 4:
                    break
                first = struct.unpack("=I", number)[0] * self.per_slot
                for function, args in self.jobs[first:first + self.per_slot]:
                    result["encoded"] += function(*args)
        except ImageError as error:
            result["error"] = [error.path, str(error).split(": ", 1)[1]]
        except BaseException as error:  # noqa: BLE001 - reported by the build process
            result["failure"] = f"{error.__class__.__name__}: {error}"
            status = 1
        finally:
            with os.fdopen(report, "w", encoding="utf-8") as out:
                out.write(json.dumps(result))
            os._exit(status)

    def wait(self):
        """How many files were encoded; raises the first ImageError a worker met."""
        error = failure = None
        for pid, pipe in self.children:
            with os.fdopen(pipe, "r", encoding="utf-8") as reader:
                result = json.loads(reader.read() or '{"failure": "the worker died"}')
            os.waitpid(pid, 0)
            self.encoded += result.get("encoded", 0)
            if "error" in result and error is None:
                error = ImageError(*result["error"])
            failure = failure or result.get("failure")
        self.children = []
        if error is not None:
            raise error
        if failure:
            raise RuntimeError(f"images: an encoding worker failed: {failure}")
        return self.encoded
