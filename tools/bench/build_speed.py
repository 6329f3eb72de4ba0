"""Build speed: our site against vanilla Pelican on the same generated corpus.

For N posts (default 1,000 and 5,000) it measures, in one run and interleaved
so the machine's noise hits both sides alike:
  cold   a full build with no cache and an empty output folder
  warm   the build after editing one post, with the content cache on
and reports ours / vanilla as a ratio (below 1.0 means we are faster).
Both sides run with the content cache written, so the warm builds can use it.

The writer's loop (the live preview, save to visible) is writer_loop.py's.

--lean runs issue 16's comparison instead: vanilla kept lean (notmyidea,
Atom feeds for all posts and per category, pagination 10, nothing else:
vanilla_lean_settings.py) on the generated posts; our site as it is
(pelicanconf.py, no overrides) on the same posts with the sample content
kept beside them. Median of 5 interleaved runs by default, cold and warm
(one post touched, content cache on), with each run's peak memory (the
largest resident set in its process tree, see measure_run.py).
--search-shards PAGES adds a third side: ours with SEARCH_SHARD_PAGES=PAGES
(the default is 250; 0 gives one index of every page, re-indexed whole after
any edit of a post).

    python -m tools.bench.build_speed [--sizes 1000 5000] [--repeat 3]
    python -m tools.bench.build_speed --lean [--sizes 1000 5000] [--repeat 5] [--search-shards 250]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.bench.corpus import generate

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CACHE_ON = ["CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true"]


def ours(content, output, cache):
    return [PYTHON, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
            "--output", str(output), "-e", "CATEGORIES=[]", *CACHE_ON,
            f"CACHE_PATH={json.dumps(str(cache))}"]


def vanilla(content, output, cache):
    return [PYTHON, "-m", "pelican", str(content), "-s", "tools/bench/vanilla_settings.py",
            "-o", str(output), "-q", "--cache-path", str(cache), "-e", *CACHE_ON]


def ours_as_is(content, output, cache):
    return [PYTHON, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
            "--output", str(output), "-e", *CACHE_ON, f"CACHE_PATH={json.dumps(str(cache))}"]


def vanilla_lean(content, output, cache):
    return [PYTHON, "-m", "pelican", str(content), "-s", "tools/bench/vanilla_lean_settings.py",
            "-o", str(output), "-q", "--cache-path", str(cache), "-e", *CACHE_ON]


def timed(command, cache):
    # The image cache goes with the content cache: a cold build draws every social card.
    env = {**os.environ, "SITEURL": "", "FORMS_URL": "http://127.0.0.1:8001",
           "IMAGES_CACHE_PATH": str(cache / "images")}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    return seconds


def edit_one_post(content, round_number):
    post = content / "posts" / "generated-post-7.md"
    post.write_text(post.read_text() + f"\nEdited in round {round_number}.\n")


def measure(size, repeat, workdir):
    content = generate(size, workdir / f"corpus-{size}")
    results = {"ours": {"cold": [], "warm": []}, "vanilla": {"cold": [], "warm": []}}
    for round_number in range(repeat):
        for name, make in (("vanilla", vanilla), ("ours", ours)):
            output, cache = workdir / f"out-{name}", workdir / f"cache-{name}"
            shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            results[name]["cold"].append(timed(make(content, output, cache), cache))
        edit_one_post(content, round_number)
        for name, make in (("vanilla", vanilla), ("ours", ours)):
            output, cache = workdir / f"out-{name}", workdir / f"cache-{name}"
            results[name]["warm"].append(timed(make(content, output, cache), cache))
    return {side: {kind: statistics.median(times) for kind, times in kinds.items()}
            for side, kinds in results.items()}


def measured(command, cache):
    """Seconds and peak MiB of one build, run under measure_run in its own process."""
    env = {**os.environ, "SITEURL": "", "FORMS_URL": "http://127.0.0.1:8001",
           "IMAGES_CACHE_PATH": str(cache / "images")}
    result = subprocess.run([PYTHON, "-m", "tools.bench.measure_run", *command],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    figures = json.loads(result.stdout)
    if result.returncode or figures["returncode"]:
        raise SystemExit(f"build failed: {' '.join(command)}\n{figures['stderr']}{result.stderr[-1000:]}")
    return figures["seconds"], figures["peak_mib"]


def lean_content(size, workdir):
    """The generated posts alone (vanilla) and with our sample content beside them (ours)."""
    corpus = generate(size, workdir / f"corpus-{size}")
    site = workdir / f"site-{size}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ROOT / "content", site)
    for post in (corpus / "posts").iterdir():
        shutil.copy2(post, site / "posts" / post.name)
    return corpus, site


def ours_sharded(pages):
    """Ours with the search index in shards of about `pages` pages (SEARCH_SHARD_PAGES)."""
    def command(content, output, cache):
        return ours_as_is(content, output, cache) + [f"SEARCH_SHARD_PAGES={pages}"]
    return command


def measure_lean(size, repeat, workdir, shards=None):
    corpus, site = lean_content(size, workdir)
    sides = {"vanilla": (vanilla_lean, corpus), "ours": (ours_as_is, site)}
    if shards is not None:
        label = f"search shards of {shards}" if shards else "one search index"
        sides[f"ours, {label}"] = (ours_sharded(shards), site)
    results = {side: {kind: [] for kind in ("cold", "warm", "cold_mib", "warm_mib")} for side in sides}
    for round_number in range(repeat):
        for kind in ("cold", "warm"):
            if kind == "warm":
                for content in {corpus, site}:
                    edit_one_post(content, round_number)
            for number, (name, (make, content)) in enumerate(sides.items()):
                output, cache = workdir / f"out-{number}", workdir / f"cache-{number}"
                if kind == "cold":
                    shutil.rmtree(output, ignore_errors=True)
                    shutil.rmtree(cache, ignore_errors=True)
                seconds, peak = measured(make(content, output, cache), cache)
                results[name][kind].append(seconds)
                results[name][kind + "_mib"].append(peak)
    return {side: {kind: statistics.median(values) for kind, values in kinds.items()}
            for side, kinds in results.items()}


def print_lean(sizes, repeat, workdir, shards=None):
    print(f"Lean comparison, median of {repeat} interleaved runs.\n")
    print("| posts | build | ours | ours (s) | lean vanilla (s) | ratio | ours peak (MiB) | vanilla peak (MiB) | memory ratio |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        figures = measure_lean(size, repeat, workdir, shards)
        theirs = figures.pop("vanilla")
        for kind in ("cold", "warm"):
            for name, mine in figures.items():
                print(f"| {size:,} | {kind} | {name} | {mine[kind]:.2f} | {theirs[kind]:.2f} "
                      f"| {mine[kind] / theirs[kind]:.2f} | {mine[kind + '_mib']:.0f} "
                      f"| {theirs[kind + '_mib']:.0f} | {mine[kind + '_mib'] / theirs[kind + '_mib']:.2f} |",
                      flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=None, help="default 3, or 5 with --lean")
    parser.add_argument("--lean", action="store_true", help="issue 16's lean-vanilla comparison")
    parser.add_argument("--search-shards", type=int, metavar="PAGES",
                        help="with --lean, also ours with SEARCH_SHARD_PAGES=PAGES")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        workdir = Path(folder)
        if args.lean:
            print_lean(args.sizes, args.repeat or 5, workdir, args.search_shards)
            return
        args.repeat = args.repeat or 3
        print("| posts | build | ours (s) | vanilla (s) | ratio |")
        print("|---:|---|---:|---:|---:|")
        for size in args.sizes:
            figures = measure(size, args.repeat, workdir)
            for kind in ("cold", "warm"):
                mine, theirs = figures["ours"][kind], figures["vanilla"][kind]
                print(f"| {size:,} | {kind} | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f} |", flush=True)


if __name__ == "__main__":
    main()
