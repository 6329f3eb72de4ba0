"""The writer's loop, timed as a writer lives it: save a file, watch the open tab.

`python -m tools.bench.writer_loop [--posts 1000 10000] [--saves 10]` starts the
live preview (`tools.serve`) on a generated site with covers, opens a tab in
Chromium and, for each kind of edit, saves a file and times how long until the
change shows in that tab (the tab reloads by itself):

  known words          a sentence of words the site has, on the post's tab
  new word             a sentence with a word no page has, on the post's tab
  new post             a new post, on the home page's tab
  deleted post         that post deleted, on the home page's tab
  broken front matter  a Date that is no date, on the post's tab (its error shows)
  fixed                the Date put back, on the post's tab

Between saves the writer reads (the preview's full build finishes), so each
save is timed as a writer meets it. Prints p50 and p95 per kind, as Markdown
for BENCHMARKS.md, with the machine's load average.

tests/writers/test_preview_at_scale.py drives the same loop and asserts what
does not depend on speed: every edit shows, every page answers.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

from tools.bench.corpus import WORDS, generate

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("known words", "new word", "new post", "deleted post", "broken front matter", "fixed")


def site_of(size, workdir, covers):
    """The project's own content with `size` generated posts (with `covers` cover photos) beside it."""
    content = Path(workdir) / "content"
    shutil.copytree(ROOT / "content", content)
    generated = generate(size, Path(workdir) / "generated", covers=covers)
    shutil.copytree(generated / "posts", content / "posts" / "generated")
    if covers:
        shutil.copytree(generated / "images" / "covers", content / "images" / "covers")
    return content


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Preview:
    """`make serve` on a content folder, in a process of its own."""

    def __init__(self, content, workdir, env=None):
        self.content, self.workdir = Path(content), Path(workdir)
        self.output = self.workdir / "preview"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SITEURL": "", "FORMS_DB": str(self.workdir / "forms.sqlite3"),
                    "FORMS_WORKER": "0", "FORMS_RATE_LIMIT": "0", **(env or {})}
        for name in ("FORMS_URL", "SITE_ORIGIN", "COMMENTS_SOURCE", "COMMENTS_POSTS"):
            self.env.pop(name, None)
        self.process = None

    def __enter__(self):
        self.log = open(self.workdir / "serve.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.serve", "--port", str(self.port),
             "--content", str(self.content), "--output", str(self.output)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait(lambda s: s["builds"] >= 1, timeout=1800)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def status(self):
        with urllib.request.urlopen(self.url + "/__preview/status", timeout=10) as response:
            return json.load(response)

    def wait(self, condition, timeout=600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the preview ended: see {self.workdir / 'serve.log'}")
            try:
                state = self.status()
                if condition(state):
                    return state
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the preview did not get there in {timeout} s")

    def settled(self, timeout=1800):
        return self.wait(lambda s: not s["building"], timeout)

    def answer(self, path):
        """The HTTP status of a page of the preview."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class WriterLoop:
    """A writer at work on `post` (a file of the site), in one Chromium tab."""

    def __init__(self, preview, page, post, timeout=120):
        self.preview, self.page, self.post, self.timeout = preview, page, Path(post), timeout
        self.original = self.post.read_text(encoding="utf-8")
        self.post_url = None
        self.made = []          # (file, title) of the posts made by "new post"
        self.rng = random.Random(7)

    def open(self, path):
        self.page.goto(self.preview.url + path, wait_until="load")

    def save(self, kind):
        """Make one edit of `kind`; returns (seconds until it shows, the tab's path)."""
        return getattr(self, "_" + kind.replace(" ", "_"))()

    def _text_edit(self, sentence):
        self.open(self.post_url)
        started = time.monotonic()
        self.post.write_text(self.post.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
        return self._until(f"document.body.innerText.includes({json.dumps(sentence)})", started), self.post_url

    def _known_words(self):
        words = self.rng.sample(WORDS, 8)
        return self._text_edit(" ".join(words).capitalize() + ".")

    def _new_word(self):
        word = "zq" + "".join(self.rng.choice(string.ascii_lowercase) for _ in range(8))
        return self._text_edit(f"A word no page had before: {word}.")

    def _new_post(self):
        self.open("/")
        number = len(self.made)
        title = f"Writer loop {number}: {self.rng.choice(WORDS)} {self.rng.choice(WORDS)}"
        path = self.post.parent / f"writer-loop-{number}.md"
        date = datetime.now() - timedelta(hours=1, minutes=number)
        started = time.monotonic()
        path.write_text(f"Title: {title}\nDate: {date:%Y-%m-%d %H:%M}\nCategory: Sales\n"
                        f"Tags: pricing\nSummary: A post the writer loop made.\n\n"
                        f"{' '.join(self.rng.sample(WORDS, 12)).capitalize()}.\n", encoding="utf-8")
        self.made.append((path, title))
        return self._until(f"document.body.innerText.includes({json.dumps(title)})", started), "/"

    def _deleted_post(self):
        self.open("/")
        path, title = self.made[-1]
        started = time.monotonic()
        path.unlink()
        return self._until(f"!document.body.innerText.includes({json.dumps(title)})", started), "/"

    def _broken_front_matter(self):
        self.open(self.post_url)
        text = self.post.read_text(encoding="utf-8")
        date_line = _date_line(text)
        started = time.monotonic()
        self.post.write_text(text.replace(date_line, date_line.split(":")[0] + ": someday soon", 1),
                             encoding="utf-8")
        name = json.dumps(self.post.name)
        return self._until(f"document.body.innerText.includes('build failed')"
                           f" && document.body.innerText.includes({name})", started), self.post_url

    def _fixed(self):
        self.open(self.post_url)
        started = time.monotonic()
        self.post.write_text(self._with_date(self.post.read_text(encoding="utf-8")), encoding="utf-8")
        return self._until("!document.body.innerText.includes('build failed')"
                           " && !!document.querySelector('article h1')", started), self.post_url

    def _with_date(self, text):
        date_line = _date_line(self.original)
        return text.replace(date_line.split(":")[0] + ": someday soon", date_line, 1)

    def _until(self, condition, started):
        """Seconds from `started` until `condition` (JavaScript) holds in the tab."""
        deadline = started + self.timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # the tab is reloading
                if self.page.evaluate(condition):
                    return time.monotonic() - started
            time.sleep(0.005)
        raise TimeoutError(f"not visible after {self.timeout} s: {condition}")

    def restore(self):
        self.post.write_text(self.original, encoding="utf-8")
        for path, _ in self.made:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _date_line(text):
    return next(line for line in text.splitlines() if line.lower().startswith("date:"))


def post_url(preview, post):
    """The preview's URL of the post in file `post`, from its Slug."""
    for url in _sitemap(preview):
        if url.rstrip("/").endswith("/" + _slug(post)):
            return url
    raise LookupError(f"no page for {post}")


def _slug(post):
    for line in Path(post).read_text(encoding="utf-8").splitlines():
        if line.lower().startswith("slug:"):
            return line.split(":", 1)[1].strip()
    return Path(post).stem


def _sitemap(preview):
    import re

    with urllib.request.urlopen(preview.url + "/sitemap.xml", timeout=30) as response:
        text = response.read().decode()
    return [re.sub(r"^https?://[^/]+", "", url) for url in re.findall(r"<loc>([^<]+)</loc>", text)]


def run(preview, page, post, saves, between=None):
    """`saves` saves of every kind; returns {kind: [seconds]}. `between(loop,
    kind, path)` runs after each save (checks, or waiting for the build)."""
    loop = WriterLoop(preview, page, post)
    loop.post_url = post_url(preview, post)
    times = {kind: [] for kind in KINDS}
    try:
        for _ in range(saves):
            for kind in KINDS:
                seconds, path = loop.save(kind)
                times[kind].append(seconds)
                if between:
                    between(loop, kind, path)
    finally:
        loop.restore()
    return times


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv=None):
    from playwright.sync_api import sync_playwright

    from tools.browser import launch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--covers", type=int, default=20)
    args = parser.parse_args(argv)
    print("| posts | edit | p50 (s) | p95 (s) | saves | load average (1 min) |")
    print("|---:|---|---:|---:|---:|---|")
    for size in args.posts:
        with tempfile.TemporaryDirectory(prefix="writer-loop-") as folder:
            workdir = Path(folder)
            content = site_of(size, workdir, args.covers)
            with Preview(content, workdir) as preview, sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page()
                loads = []

                def reading(loop, kind, path):
                    preview.settled()
                    loads.append(os.getloadavg()[0])
                    time.sleep(0.5)

                preview.settled()
                times = run(preview, page, content / "posts" / "generated" / "generated-post-7.md", args.saves,
                            reading)
                browser.close()
            load = f"{min(loads):.1f}–{max(loads):.1f}"
            for kind in KINDS:
                values = times[kind]
                print(f"| {size:,} | {kind} | {statistics.median(values):.2f} "
                      f"| {percentile(values, 0.95):.2f} | {len(values)} | {load} |", flush=True)


if __name__ == "__main__":
    main()
