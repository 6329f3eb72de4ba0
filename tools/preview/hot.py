"""The preview's build process: one full build, then fast renders of saves.

`python -m tools.preview.hot SETTINGS --output DIR --content DIR [-e KEY=JSON ...]`
imports Pelican and the plugins, then answers commands on stdin, one JSON
object a line, with one JSON line each on stdout:

  {"do": "build"}            the full strict build (tools.build), once. Answer:
                             {"ok", "problems", "advice", "notes", "pages", "seconds"};
                             "pages" maps each content file to its output.
  {"do": "render", "changed": [path, ...]}
                             after the build: the pages of the files saved since
                             the build began, rendered in a fork of this process
                             (fast_render.py). Answer: {"written", "removed",
                             "pages", "reread", "problems", "seconds"}.
  {"do": "quit"} or the end of stdin: exit.

The preview keeps one such process ready (its imports done) for the next
full build, and the last one that built answers the renders, so a save's
page costs one file's parse and one page's render, whatever the site's size.
"""

import argparse
import json
import logging
import os
import sys
import time

from tools import build as strict_build
from tools.preview.fast_render import HotSite, render_changes


def _answer(stream, message):
    try:
        stream.write(json.dumps(message) + "\n")
        stream.flush()
    except BrokenPipeError:  # the preview has gone: so do we
        os._exit(0)


def full_build(args, overrides, hot):
    started = time.monotonic()
    hot.capture()
    advice = []
    problems = strict_build.build(args.settings, args.content, args.output, overrides, advice)
    # Reaching `finalized` means every page was handed to the writer: a
    # problem the build has then is one page's, or search's, not the whole site's.
    return {"ok": not problems, "problems": problems, "advice": advice,
            "notes": list(strict_build.NOTES), "pages": hot.pages() if hot.ready else {},
            "reached_pages": hot.finalized, "seconds": time.monotonic() - started}


def fast_render(hot, changed, answer):
    """Render in a child process, so this one keeps the build's state as it was."""
    sys.stdout.flush()
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    started = time.monotonic()
    collector = strict_build.Collector()
    logging.getLogger().addHandler(collector)
    cpu = time.process_time()
    try:
        rendered = render_changes(hot, changed)
        answer({"written": rendered.written, "removed": rendered.removed, "way": rendered.way,
                "pages": rendered.sources, "reread": rendered.reread, "problems": collector.messages,
                "seconds": time.monotonic() - started, "cpu": time.process_time() - cpu})
    except Exception as error:  # noqa: BLE001 - a problem of the saved files, as in a full build
        answer({"written": [], "removed": [], "way": "failed", "pages": {}, "reread": changed,
                "problems": [*collector.messages, f"{error.__class__.__name__}: {error}"],
                "seconds": time.monotonic() - started, "cpu": time.process_time() - cpu})
    finally:
        os._exit(0)  # an exit code other than 0: the child died before answering


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings")
    parser.add_argument("--content", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("-e", "--extra-settings", nargs="*", default=[], metavar="KEY=JSON")
    args = parser.parse_args(argv)
    overrides = strict_build.parse_overrides(args.extra_settings)
    strict_build.preload_plugins(args.settings)
    strict_build.quiet_logging()
    out = sys.stdout
    sys.stdout = sys.stderr  # what Pelican and the plugins print is not an answer
    hot, built = HotSite(), False
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "build" and not built:
            built = True
            _answer(out, full_build(args, overrides, hot))
        elif command["do"] == "render" and built and hot.ready:
            if fast_render(hot, command.get("changed", []), lambda m: _answer(out, m)) != 0:
                _answer(out, {"error": "the render process failed", "problems": []})
        elif command["do"] == "quit":
            break
        else:
            _answer(out, {"error": f"cannot {command['do']} now"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
