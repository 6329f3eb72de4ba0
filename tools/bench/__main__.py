"""`make bench`: every benchmark in one run, printed as Markdown for BENCHMARKS.md.

  forms_load      the forms service under load (target: >= 1,000 signups/s, p99 < 50 ms)
  sync            10,000 signups to the fake Mailchimp with 100 ms latency (target: < 20 s,
                  <= 20 member-batch calls)
  related_posts   the related-posts computation on 5,000 posts, 3 tags each and with 50-tag
                  posts (grows with the posts sharing tags, not 2^tags)
  build_speed     our build against vanilla Pelican, cold and warm, 1,000 and 5,000 posts
                  (target: ratio <= 1.0)
  writer_loop     the live preview in Chromium, save to visible in the open tab, p50 and
                  p95 per kind of edit, 1,000 and 10,000 posts with covers (target: p95
                  <= 0.5 s at 1,000)
  build_lean      our site as it is against vanilla kept lean (notmyidea, Atom feeds only,
                  pagination 10), cold and warm, with peak memory, median of 5 (issue 16:
                  cold <= 0.8x, warm <= 0.5x, memory <= 2x)
  images          100 photo covers cold and warm against no photos; Lighthouse on the photo
                  article and the home page with ten photo covers (target: 100, <= 80 KB)
  lighthouse      Lighthouse's performance score (median of 5) and timings on the home page,
                  an article, the newsletter and the search page (timed, so not a test)

`python -m tools.bench [name ...]` runs some of them.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCHES = {
    "forms_load": ["-m", "tools.bench.forms_load", "--seconds", "10", "--connections", "32"],
    "sync": ["-m", "tests.fake_mailchimp.bench_sync"],
    "related_posts": ["-m", "tools.bench.related_posts", "5000", "--no-build"],
    "build_speed": ["-m", "tools.bench.build_speed"],
    "build_lean": ["-m", "tools.bench.build_speed", "--lean"],
    "writer_loop": ["-m", "tools.bench.writer_loop"],
    "images": ["-m", "tools.bench.images"],
    "lighthouse": ["-m", "tools.bench.lighthouse"],
}


def main(argv=None):
    names = list(sys.argv[1:] if argv is None else argv) or list(BENCHES)
    failed = []
    for name in names:
        print(f"\n## {name}\n", flush=True)
        if subprocess.run([sys.executable, *BENCHES[name]], cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
