"""Build speed: our site against vanilla Pelican on the same generated corpus.

For N posts (default 1,000 and 5,000) it measures, in one run and interleaved
so the machine's noise hits both sides alike:
  cold   a full build with no cache and an empty output folder
  warm   the build after editing one post, with the content cache on
and reports ours / vanilla as a ratio (below 1.0 means we are faster).
Both sides run with the content cache written, so the warm builds can use it.

It also times the writer's loop: the live preview (`tools.serve`) running on
the 1,000-post corpus, from saving a post to its rebuilt page on disk.

    python -m tools.bench.build_speed [--sizes 1000 5000] [--repeat 3]
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
import urllib.request
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


def timed(command):
    env = {**os.environ, "SITEURL": "", "FORMS_URL": "http://127.0.0.1:8001"}
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
            results[name]["cold"].append(timed(make(content, output, cache)))
        edit_one_post(content, round_number)
        for name, make in (("vanilla", vanilla), ("ours", ours)):
            output, cache = workdir / f"out-{name}", workdir / f"cache-{name}"
            results[name]["warm"].append(timed(make(content, output, cache)))
    return {side: {kind: statistics.median(times) for kind, times in kinds.items()}
            for side, kinds in results.items()}


def preview_edit_latency(workdir, repeat):
    """Seconds from saving a post to its page being rewritten, in the live preview."""
    content = generate(1000, workdir / "corpus-preview")
    output = workdir / "out-preview"
    port = 8790
    env = {**os.environ, "SITEURL": "", "FORMS_DB": str(workdir / "forms.sqlite3"),
           "FORMS_WORKER": "0", "PREVIEW_EXTRA_SETTINGS": "CATEGORIES=[]"}
    server = subprocess.Popen([PYTHON, "-m", "tools.serve", "--port", str(port), "--content",
                               str(content), "--output", str(output)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        generation = _wait_generation(port, 1, timeout=300)
        page = output / "2015" / "01" / "generated-post-7" / "index.html"
        post = content / "posts" / "generated-post-7.md"
        latencies = []
        for attempt in range(repeat):
            marker = f"Preview edit {attempt} {time.time()}"
            before = page.stat().st_mtime_ns
            started = time.perf_counter()
            post.write_text(post.read_text() + f"\n{marker}\n")
            while marker not in _read(page):
                if time.perf_counter() - started > 60:
                    raise SystemExit("preview never rewrote the page")
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
            generation = _wait_generation(port, generation + 1, timeout=120)
            assert page.stat().st_mtime_ns != before
            time.sleep(1.0)  # a writer reads the page before saving again
        return statistics.median(latencies), latencies
    finally:
        server.terminate()
        server.wait(timeout=20)


def _read(path):
    try:
        return path.read_text()
    except OSError:
        return ""


def _wait_generation(port, at_least, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__preview/status", timeout=2) as r:
                state = json.load(r)
            if state["generation"] >= at_least:
                if not state["ok"]:
                    raise SystemExit(f"preview build failed: {state['problems']}")
                return state["generation"]
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("preview did not finish building")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-preview", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        workdir = Path(folder)
        print("| posts | build | ours (s) | vanilla (s) | ratio |")
        print("|---:|---|---:|---:|---:|")
        for size in args.sizes:
            figures = measure(size, args.repeat, workdir)
            for kind in ("cold", "warm"):
                mine, theirs = figures["ours"][kind], figures["vanilla"][kind]
                print(f"| {size:,} | {kind} | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f} |", flush=True)
        if not args.no_preview:
            median, all_runs = preview_edit_latency(workdir, args.repeat + 2)
            runs = ", ".join(f"{t:.2f}" for t in all_runs)
            print(f"\nPreview, 1,000 posts: save → rebuilt page on disk, median {median:.2f} s ({runs})")


if __name__ == "__main__":
    main()
