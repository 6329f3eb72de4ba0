"""The build's problems, each put with the page it concerns.

A build's problem names its file where it can ("posts/launch.md: Date ...").
The preview shows such a problem on that file's own page, and serves every
other page as it is, with a note of the files that have errors; the writer
keeps working on the rest of the site. A problem of no one file (a broken
template, a plugin that failed) is shown on every page; when the build did
not get as far as writing the pages, the pages on disk are not what the
sources say, so every page is the error page until a build succeeds.
"""

import os
import re

_PATH = re.compile(r"[^\s:'\"()<>,]+\.(?:md|markdown|mkd|mdown|html?|rst)\b", re.I)


def split(problem):
    """One problem per file: a message listing several files' problems, a
    line each ("3 problem(s) in the content:\n  posts/a.md:4: ..."), is that many."""
    lines = [line.strip() for line in problem.splitlines()]
    named = [line for line in lines[1:] if _PATH.search(line)]
    return named if named and len(named) == len(lines) - 1 else [problem]


class Problems:
    """What the last full build and the fast renders since said, by page."""

    def __init__(self, content):
        self.content = os.path.abspath(content)
        self.pages = {}          # source path (absolute) -> output path (relative)
        self.by_source = {}      # source path -> [problem]
        self.general = []        # problems of no one file
        self.reached_pages = True

    def built(self, answer):
        """A full build's answer (hot.py)."""
        previous = self.pages
        self.pages = {os.path.abspath(k): v for k, v in answer.get("pages", {}).items()}
        self.by_source, self.general = {}, []
        self.reached_pages = answer.get("reached_pages", True)
        for problem in answer.get("problems", []):
            self._add(problem)
        # A file that no longer reads keeps the page it had, to show its error there.
        for source in self.by_source:
            if source not in self.pages and source in previous:
                self.pages[source] = previous[source]

    def rendered(self, answer):
        """A fast render's answer: its files' problems replace theirs."""
        reread = {os.path.abspath(p) for p in answer.get("reread", [])}
        fresh = {}
        for problem in (one for many in answer.get("problems", []) for one in split(many)):
            source = self.source_of(problem)
            if source:
                fresh.setdefault(source, []).append(problem)
        for source in reread | set(fresh):
            self.by_source.pop(source, None)
        self.by_source.update(fresh)
        self.pages.update({os.path.abspath(k): v for k, v in answer.get("pages", {}).items()})
        for removed in answer.get("removed", []):
            for source in [s for s, page in self.pages.items() if page == removed]:
                del self.pages[source]

    def _add(self, problem):
        for one in split(problem):
            source = self.source_of(one)
            if source:
                self.by_source.setdefault(source, []).append(one)
            else:
                self.general.append(one)

    def source_of(self, problem):
        """The content file a problem names, if it names one that exists or existed."""
        for match in _PATH.finditer(problem):
            candidate = match.group(0)
            path = candidate if os.path.isabs(candidate) else os.path.join(self.content, candidate)
            path = os.path.abspath(path)
            if path.startswith(self.content + os.sep) and (os.path.exists(path) or path in self.pages):
                return path
        return None

    # -- what the pages show ----------------------------------------------------------

    @property
    def ok(self):
        return not self.by_source and not self.general

    def for_page(self, output_path):
        """The problems shown instead of this page (relative output path), if any."""
        if self.general and not self.reached_pages:
            return self.all()
        found = []
        for source, problems in self.by_source.items():
            if self.pages.get(source) == output_path:
                found += problems
        return found

    def elsewhere(self, output_path):
        """The problems shown on this page as a note: every other one."""
        if self.general and not self.reached_pages:
            return []
        own = set(self.for_page(output_path))
        return [p for p in self.all() if p not in own]

    def files(self, problems):
        """The files `problems` name, as the writer knows them (or "the build")."""
        names = []
        for problem in problems:
            source = self.source_of(problem)
            name = os.path.relpath(source, self.content) if source else "the build"
            if name not in names:
                names.append(name)
        return names

    def all(self):
        return [*self.general, *(p for ps in self.by_source.values() for p in ps)]

    def report(self):
        return "\n".join(f"  - {problem}" for problem in self.all())
