"""Lighthouse on the sample site as `make publish` builds it: the performance
score and its timings, which move with the machine's load, so they are a
benchmark (BENCHMARKS.md) and not a test. `make test` gates what does not
move: accessibility, best practices and SEO (100), bytes, requests,
render-blocking resources and CLS.

Each page is run `--runs` times (default 5, Lighthouse's guide to variability
advises several) and the median, lowest and highest performance are printed,
with the median run's timings.

    python -m tools.bench.lighthouse [--runs 5]
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"home": "/", "article": "/2026/03/sales-and-marketing-sibling-rivalry/",
         "newsletter": "/newsletter/", "search": "/search/"}
TIMINGS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from tests.quality.helpers import StaticServer, build_site
    from tests.quality.test_lighthouse import CATEGORIES, lighthouse, scores_of
    from tests.support.servers import free_port

    with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as folder:
        work = Path(folder)
        port = free_port()
        result = build_site(work / "site", f"http://127.0.0.1:{port}", {"FORMS_URL": "http://127.0.0.1:9"})
        if result.returncode != 0:
            raise SystemExit(result.stderr[-3000:])
        print(f"Lighthouse 12.2.3, mobile preset (simulated throttling), {args.runs} runs a page, "
              f"{os.cpu_count()} cores, the sample site built like `make publish`, served gzip-compressed "
              "from loopback\n")
        print("| page | performance: median (min-max) | accessibility | best practices | SEO | "
              "FCP | LCP | TBT | CLS | SI |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        with StaticServer(work / "site", port) as server:
            for name, path in PAGES.items():
                reports = [lighthouse(server.url + path, work / f"{name}-{run}.json") for run in range(args.runs)]
                scores = [scores_of(r) for r in reports]
                performance = [s["performance"] for s in scores]
                median = statistics.median_low(performance)
                middle = reports[performance.index(median)]
                timings = [middle["audits"][a]["displayValue"].replace("\xa0", " ") for a in TIMINGS]
                others = [min(s[c] for s in scores) for c in CATEGORIES[1:]]
                print(f"| {name} | {median} ({min(performance)}-{max(performance)}) | "
                      + " | ".join(map(str, others)) + " | " + " | ".join(timings) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
