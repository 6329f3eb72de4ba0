"""Run one command and print its wall time and peak memory as JSON.

    python -m tools.bench.measure_run COMMAND...

Peak memory is getrusage(RUSAGE_CHILDREN).ru_maxrss in this fresh process:
the largest resident set of any process in the command's tree (the build,
its forked writers, its reader pool, Pagefind), each waited for by its
parent. A separate process per run, so one run's peak never hides another's.
"""

import json
import resource
import subprocess
import sys
import time


def main(command):
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "returncode": result.returncode,
                      "stderr": result.stderr[-2000:]}))


if __name__ == "__main__":
    main(sys.argv[1:])
