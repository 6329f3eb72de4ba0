"""Runs builds for the preview, one at a time, and remembers how the last went."""

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def advice_lines(report):
    """The advice tools.build printed under its ADVICE_HEADING."""
    from tools.build import ADVICE_HEADING

    lines, inside = [], False
    for line in report.splitlines():
        if line.strip() == ADVICE_HEADING:
            inside = True
        elif inside and line.startswith("  - "):
            lines.append(line[4:])
        elif inside:
            inside = False
    return lines


@dataclass
class BuildState:
    generation: int = 0          # bumps after every build, good or bad
    ok: bool = True
    problems: str = ""
    advice: list = field(default_factory=list)   # tools.build's advice lines, good build or bad
    seconds: float = 0.0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class Builder:
    def __init__(self, output, content=None, settings="pelicanconf.py"):
        self.output = Path(output)
        self.content = Path(content) if content else ROOT / "content"
        self.settings = settings
        # The preview keeps a content cache so a save re-reads one file;
        # PREVIEW_EXTRA_SETTINGS adds KEY=JSON overrides (benchmarks use it).
        extra = os.environ.get("PREVIEW_EXTRA_SETTINGS", "").split()
        cache = json.dumps(str(self.output.parent / "cache" / "preview"))
        self.extra_settings = ["-e", "CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true",
                               f"CACHE_PATH={cache}", *extra]
        self.state = BuildState()
        self._lock = asyncio.Lock()
        self._spare = None

    async def _start_process(self):
        """A build process that has done its imports and waits for "go" on stdin,
        so a save does not also pay for starting Python and loading Pelican."""
        env = {**os.environ, "PREVIEW": "1"}
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tools.build", self.settings, "--wait-for-go",
            "--output", str(self.output), "--content", str(self.content),
            *self.extra_settings, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )

    async def build(self, reason="start"):
        async with self._lock:
            started = time.monotonic()
            process = self._spare if self._spare and self._spare.returncode is None \
                else await self._start_process()
            self._spare = None
            stdout, stderr = await process.communicate(b"go\n")
            self._spare = await self._start_process()
            state = self.state
            state.seconds = time.monotonic() - started
            state.ok = process.returncode == 0
            report = stderr.decode("utf-8", "replace")
            state.problems = "" if state.ok else (report or stdout.decode("utf-8", "replace")).strip()
            state.advice = advice_lines(report)
            async with state.changed:
                state.generation += 1
                state.changed.notify_all()
            if state.ok:
                print(f"[preview] rebuilt ({reason}) in {state.seconds:.2f} s", flush=True)
                for line in state.advice:
                    print(f"[preview] advice: {line}", flush=True)
            else:
                print(f"[preview] build FAILED ({reason}):\n{state.problems}", file=sys.stderr, flush=True)
            return state.ok

    async def close(self):
        if self._spare and self._spare.returncode is None:
            self._spare.kill()
            await self._spare.wait()
