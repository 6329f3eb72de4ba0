"""Runs the preview's builds and keeps what the writer should see.

Two kinds of work follow a save:

  * a fast render: the build process that made the current site (hot.py)
    renders the saved files' pages and the first home page, in a fraction of
    a second, whatever the site's size;
  * a full build, in a fresh process whose imports are already done (the
    spare), which then becomes the process that answers the fast renders.

A save of a post or page gets both, the fast render first; any other change
(theme, plugins, settings, images) a full build. Full builds run one at a
time, and saves made during one are gathered into the next. A change to the
plugins, the tools or the settings also starts a new spare, so the next
build runs the new code.
"""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from .problems import Problems
from .state import PreviewState

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".md", ".markdown", ".mkd", ".mdown", ".html", ".htm", ".rst"}
CODE_FOLDERS = ("plugins",)  # what the spare process has imported
RENDER_TIMEOUT = 60


class BuildProcess:
    """One `python -m tools.preview.hot` process: a line of JSON to it, a line back."""

    def __init__(self, process):
        self.process = process
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, settings, output, content, extra_settings):
        env = {**os.environ, "PREVIEW": "1"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tools.preview.hot", settings, "--output", str(output),
            "--content", str(content), "-e", *extra_settings, cwd=ROOT, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None,
            limit=1 << 26)
        return cls(process)

    @property
    def alive(self):
        return self.process.returncode is None

    async def ask(self, command, timeout=None):
        async with self._lock:
            if not self.alive:
                return {"error": "the build process has ended"}
            try:
                self.process.stdin.write((json.dumps(command) + "\n").encode())
                await self.process.stdin.drain()
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            except (asyncio.TimeoutError, ConnectionError) as error:
                await self.close()
                return {"error": f"the build process did not answer: {error!r}"}
            if not line:
                return {"error": f"the build process ended (exit {await self.process.wait()})"}
            return json.loads(line)

    async def close(self):
        if self.alive:
            try:
                self.process.stdin.write(b'{"do": "quit"}\n')
                self.process.stdin.close()
                await asyncio.wait_for(self.process.wait(), 5)
            except (asyncio.TimeoutError, ConnectionError, BrokenPipeError):
                self.process.kill()
                await self.process.wait()


class Builder:
    def __init__(self, output, content=None, settings="pelicanconf.py"):
        self.output = Path(output)
        self.content = Path(content) if content else ROOT / "content"
        self.settings = settings
        # The preview keeps a content cache (beside its output: <output>-cache)
        # so a full build re-reads only the saved files; PREVIEW_EXTRA_SETTINGS
        # adds KEY=JSON overrides (benchmarks use it).
        extra = os.environ.get("PREVIEW_EXTRA_SETTINGS", "").split()
        cache = json.dumps(str(self.output.parent / (self.output.name + "-cache")))
        self.extra_settings = ["CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true",
                               f"CACHE_PATH={cache}", *extra]
        self.state = PreviewState()
        self.problems = Problems(self.content)
        self._spare = None
        self._hot = None
        self._hot_since = 0          # the change number the hot process's build began after
        self._changes = {}           # content path -> number of its last change
        self._number = 0
        self._fast_pages = {}        # source -> output page, as fast renders wrote them
        self._wanted = asyncio.Event()
        self._idle = asyncio.Event()
        self._reasons = []
        self._loop = None

    # -- what the watcher calls ------------------------------------------------

    async def start(self):
        """The first build; later ones run when `changed` asks for them."""
        self._spare = await self._new_process()
        self._reasons.append("start")
        await self._full_build()
        self.state.building = self._wanted.is_set()
        self._loop = asyncio.create_task(self._build_when_wanted())

    async def changed(self, paths):
        paths = [os.path.abspath(p) for p in paths]
        for path in paths:
            self._number += 1
            self._changes[path] = self._number
        if any(self._is_code(p) for p in paths) and self._spare is not None:
            spare, self._spare = self._spare, None
            await spare.close()
        if self._hot is not None and paths and all(self._is_text_content(p) for p in paths):
            await self._fast_render()
        self._reasons.append(", ".join(sorted({Path(p).name for p in paths})[:3]))
        self._idle.clear()
        self.state.building = True
        self._wanted.set()

    async def settled(self, timeout=None):
        """Wait until no build is running or wanted (tests, benchmarks)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self):
        if self._loop:
            self._loop.cancel()
        for process in (self._spare, self._hot):
            if process is not None:
                await process.close()

    # -- the two kinds of work ----------------------------------------------------

    async def _fast_render(self):
        started = time.monotonic()
        since = self._hot_since
        changed = sorted(p for p, n in self._changes.items() if n > since)
        if not all(self._is_text_content(p) for p in changed):
            return  # the theme or the code changed since that build: only a full build will do
        answer = await self._hot.ask({"do": "render", "changed": changed}, timeout=RENDER_TIMEOUT)
        if "error" in answer:
            print(f"[preview] fast render skipped: {answer['error']}", file=sys.stderr, flush=True)
            return
        self._fast_pages.update((os.path.abspath(k), v) for k, v in answer["pages"].items())
        answer["removed"] += self._drop_pages_of_deleted(changed, answer["removed"])
        self.problems.rendered(answer)
        seconds = time.monotonic() - started
        await self.state.update(self.problems, seconds=seconds, written=answer["written"] + answer["removed"],
                                render={"way": answer["way"], "seconds": seconds, "cpu": answer["cpu"]})
        pages = ", ".join(answer["written"][:2]) or "nothing"
        print(f"[preview] rendered {pages} in {time.monotonic() - started:.2f} s "
              f"({answer['way']}, {answer['cpu']:.2f} s of CPU)", flush=True)

    async def _build_when_wanted(self):
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            await self._full_build()
            if not self._wanted.is_set():
                self.state.building = False
                self._idle.set()

    async def _full_build(self):
        started = time.monotonic()
        reason, self._reasons = ", ".join(r for r in self._reasons if r) or "change", []
        process = self._spare if self._spare and self._spare.alive else await self._new_process()
        self._spare = None
        since = self._number
        answer = await process.ask({"do": "build"})
        self._spare = await self._new_process()
        if "error" in answer:
            answer = {"ok": False, "problems": [answer["error"]], "advice": [], "notes": [],
                      "pages": {}, "reached_pages": False}
        previous, self._hot, self._hot_since = self._hot, process, since
        if previous is not None:
            await previous.close()
        self.problems.built(answer)
        built = {os.path.abspath(k): v for k, v in answer["pages"].items()}
        self._drop_stale_fast_pages(built)
        # Files made since this build began are still only the fast renders' to know.
        self._fast_pages = {s: p for s, p in self._fast_pages.items()
                            if s not in built and os.path.exists(s)}
        seconds = time.monotonic() - started
        await self.state.update(self.problems, seconds=seconds, advice=answer["advice"],
                                notes=answer.get("notes", []), full=True)
        if answer["ok"]:
            print(f"[preview] rebuilt ({reason}) in {seconds:.2f} s", flush=True)
            for line in answer["advice"]:
                print(f"[preview] advice: {line}", flush=True)
        else:
            print(f"[preview] build FAILED ({reason}):\n{self.problems.report()}",
                  file=sys.stderr, flush=True)
        return answer["ok"]

    def _drop_pages_of_deleted(self, changed, removed):
        """After a fast render: remove the pages of deleted files that the build
        process never knew (a file made and deleted since its build began)."""
        dropped = []
        for source in changed:
            page = self._fast_pages.get(source) or self.problems.pages.get(source)
            if page and page not in removed and not os.path.exists(source) \
                    and self._remove(page, keep=self.problems.pages, without=source):
                dropped.append(page)
        return dropped

    def _drop_stale_fast_pages(self, built):
        """After a full build (`built`: source -> page): remove the pages fast
        renders wrote that the build does not write (their file is gone, or
        its page moved), which its own clean-up never knew."""
        for source, page in self._fast_pages.items():
            if not os.path.exists(source) or built.get(source, page) != page:
                self._remove(page, keep=built, without=None)

    def _remove(self, page, keep, without):
        """Remove output `page` unless a file in `keep` (other than `without`) has it."""
        if any(p == page and s != without for s, p in keep.items()):
            return False
        try:
            os.remove(self.output / page)
            return True
        except OSError:
            return False

    async def _new_process(self):
        return await BuildProcess.start(self.settings, self.output, self.content, self.extra_settings)

    # -- which change is which ------------------------------------------------------

    def _is_text_content(self, path):
        return Path(path).suffix.lower() in TEXT_SUFFIXES and _inside(path, self.content)

    def _is_code(self, path):
        return any(_inside(path, ROOT / folder) for folder in CODE_FOLDERS) \
            or Path(path).name in ("pelicanconf.py", "publishconf.py")


def _inside(path, folder):
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) \
            == os.path.abspath(folder)
    except ValueError:
        return False
