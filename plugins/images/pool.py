"""Encoding on every core: one job per source image (decoded once for all
its outputs), plus the generated cards, shared out to a process pool."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from .encode import encode_generated, encode_source


def run(missing_by_source, generated, config):
    """Encode everything missing from the cache; return how many files were encoded."""
    jobs = [(encode_source, (path, tasks, config.cache_path)) for path, tasks in missing_by_source.items()]
    # Cards are quick: a few per job keeps the pool busy without overhead.
    for start in range(0, len(generated), 8):
        jobs.append((encode_generated, (generated[start:start + 8], config.cache_path)))
    if not jobs:
        return 0
    # Biggest first, so one large photo does not finish last on its own.
    jobs.sort(key=lambda job: -sum(t[1]["need"] for t in job[1][1]) if job[0] is encode_source else 0)
    workers = min(config.worker_count, len(jobs))
    if workers < 2:
        return sum(function(*args) for function, args in jobs)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as executor:
        futures = [executor.submit(function, *args) for function, args in jobs]
        return sum(future.result() for future in futures)
