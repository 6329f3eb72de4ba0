"""What the preview last built, and a way to wait for the next change of it."""

import asyncio
from dataclasses import dataclass, field


@dataclass
class PreviewState:
    generation: int = 0          # bumps after every full build and every fast render
    builds: int = 0              # full builds finished, good or bad
    ok: bool = True
    problems: object = None      # problems.Problems
    advice: list = field(default_factory=list)   # tools.build's advice lines, of the last full build
    notes: list = field(default_factory=list)    # warnings about the setup (COMMENTS_SOURCE, ...)
    seconds: float = 0.0
    written: list = field(default_factory=list)  # the pages the last fast render wrote
    building: bool = True        # a full build runs or is wanted
    render: dict = field(default_factory=dict)   # the last fast render: way, seconds, cpu
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def update(self, problems, seconds, written=(), advice=None, notes=None, full=False,
                     render=None):
        self.problems = problems
        if render is not None:
            self.render = render
        self.ok = problems.ok
        self.seconds = seconds
        self.written = list(written)
        if advice is not None:
            self.advice = list(advice)
        if notes is not None:
            self.notes = list(notes)
        async with self.changed:
            self.generation += 1
            self.builds += full
            self.changed.notify_all()

    async def wait(self, timeout):
        """Until the next update, or `timeout` seconds."""
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait(), timeout)
            except asyncio.TimeoutError:
                pass

    def as_json(self):
        problems = self.problems.all() if self.problems else []
        return {"generation": self.generation, "builds": self.builds, "ok": self.ok,
                "building": self.building,
                "problems": "\n".join(f"  - {p}" for p in problems),
                "advice": self.advice, "seconds": self.seconds, "written": self.written,
                "render": self.render}
