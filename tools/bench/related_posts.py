"""Benchmark the related-posts plugin on a generated corpus.

`python -m tools.bench.related_posts [N] [--no-build]` (default N=5000):

1. generates N posts with tools.bench.corpus in a temp folder (40 tags,
   3 per post, 5 categories: a small vocabulary, so every tag is shared by
   ~N*3/40 posts, which is harsher than a real blog's);
2. runs a full strict build of them with pelicanconf.py (all plugins,
   Pagefind included) and reports its wall time;
3. times the plugin's computation alone (compute_related over the
   articles that build read; best of 3), and the same computation on
   N/4, N/2 and N synthetic posts to show how it scales, with 3 tags each
   and again with one post in 100 carrying 50 tags (a WordPress import had
   a post with 45). The baseline in the same run is the cheapest thing any
   ranking must do: reading every post's tags once.
"""

import argparse
import logging
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random
from types import SimpleNamespace

from pelican import signals

from tools.bench import corpus
from tools.build import build

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))
import related_posts  # noqa: E402


def best_of(runs, function):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


WIDE_TAGS = [f"{word}-{n}" for n in range(3) for word in corpus.TAGS]  # 120 tags to draw 50 from


def synthetic(count, wide_every=0):
    rng = Random(count)
    start = datetime(2015, 1, 1, tzinfo=timezone.utc)
    return [SimpleNamespace(
        slug=f"post-{n}", date=start + timedelta(hours=7 * n), metadata={},
        tags=[SimpleNamespace(slug=t) for t in (
            rng.sample(WIDE_TAGS, 50) if wide_every and n % wide_every == 0 else rng.sample(corpus.TAGS, 3))],
        category=SimpleNamespace(slug=corpus.CATEGORY_SET[n % 5]), source_path="")
        for n in range(count)]


def read_tags_once(posts):
    return sum(len({t.slug for t in p.tags}) for p in posts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=5000)
    parser.add_argument("--no-build", action="store_true", help="skip the full build")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    print(f"related posts, {args.count} posts, RELATED_POSTS_MAX=3")
    print("| posts | tags per post | related posts (ms) | baseline: read tags once (ms) | ratio |")
    print("|---:|---|---:|---:|---:|")
    for wide_every, label in ((0, "3"), (100, "3; 1 in 100 has 50")):
        for count in (args.count // 4, args.count // 2, args.count):
            posts = synthetic(count, wide_every)
            seconds = best_of(3, lambda: related_posts.compute_related(posts, posts, 3))
            baseline = best_of(3, lambda: read_tags_once(posts))
            print(f"| {count:,} | {label} | {seconds * 1000:.0f} | {baseline * 1000:.1f} | "
                  f"{seconds / baseline:.0f} |")
    if args.no_build:
        return 0

    with tempfile.TemporaryDirectory() as temp:
        content = corpus.generate(args.count, Path(temp) / "content")
        seen = {}
        signals.article_generator_finalized.connect(
            lambda generator: seen.update(articles=list(generator.articles)), weak=False)
        started = time.perf_counter()
        problems = build("pelicanconf.py", content, Path(temp) / "output",
                         overrides={"CATEGORIES": []})
        elapsed = time.perf_counter() - started
        if problems:
            print("build FAILED:\n  " + "\n  ".join(problems[:10]))
            return 1
        articles = seen["articles"]
        seconds = best_of(3, lambda: related_posts.compute_related(articles, articles, 3))
        print(f"  computation, {len(articles):>6} built articles:   {seconds * 1000:8.0f} ms")
        print(f"  full build (all plugins, Pagefind):   {elapsed:8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
