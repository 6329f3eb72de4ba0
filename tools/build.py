"""Build the site strictly: `python -m tools.build [pelicanconf.py] [--content DIR] [--output DIR]`.

Pelican logs a broken link, a post without a title or a bad date and carries
on; here every warning fails the build. Advice (plugins/content_checks: a
long Summary, an image without alt text, ...) is printed after the build
and fails it only when ADVICE_FAILS_BUILD is set. The build still runs to the end, so
the writer sees every problem at once, each naming its file, without
tracebacks (set BUILD_DEBUG=1 to see them).
"""

import argparse
import json
import logging
import os
import sys
import time

from pelican import Pelican
from pelican.log import init as init_pelican_logging
from pelican.settings import read_settings


ADVICE_HEADING = "Advice (the build does not fail on these):"
# Warnings about the build's setup that a plugin marks advisory (extra={"advisory": True}),
# e.g. "COMMENTS_SOURCE is not set": printed once, never fatal, not advice on the content.
NOTES = []


class Collector(logging.Handler):
    """Keeps every warning and error the build logs; advice apart."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []
        self.advice = []

    def emit(self, record):
        if getattr(record, "advisory", False):
            if record.getMessage() not in NOTES:
                NOTES.append(record.getMessage())
            return
        message = record.getMessage()
        if getattr(record, "advice", False):
            self.advice.append(message)
            return
        if _deleted_while_building(record):
            return
        if record.exc_info and record.exc_info[1] is not None:
            message += f": {record.exc_info[1]}"
        self.messages.append(message)


def build(settings_file="pelicanconf.py", content=None, output=None, overrides=None, advice=None):
    """Run one strict build; return the list of problems (empty when clean).
    Advice, which never fails the build, is appended to `advice` if given."""
    override = {"DEBUG": True, **(overrides or {})}  # DEBUG: keep read errors' text
    if content:
        override["PATH"] = os.path.abspath(content)
    if output:
        override["OUTPUT_PATH"] = os.path.abspath(output)
    collector = Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        settings = read_settings(settings_file, override=override)
        Pelican(settings).run()
    except Exception as error:  # reported as a build problem, like a warning
        collector.messages.append(f"{error.__class__.__name__}: {error}")
    finally:
        root.removeHandler(collector)
    if advice is not None:
        advice.extend(collector.advice)
    return collector.messages


def _deleted_while_building(record):
    """Pelican's "Cannot get modification stamp for <file>" about a file that is
    gone: it was deleted while the build ran, which is no problem of the site
    (the next build, which the deletion starts in the preview, does without it)."""
    if not str(record.msg).startswith("Cannot get modification stamp for"):
        return False
    path = record.args[0] if isinstance(record.args, tuple) and record.args else None
    return isinstance(path, str) and not os.path.exists(path)


def preload_plugins(settings_file):
    """Import the plugins (and what they import) ahead of the build."""
    import importlib

    settings = read_settings(settings_file)
    sys.path[:0] = [p for p in settings.get("PLUGIN_PATHS", []) if p not in sys.path]
    for name in settings.get("PLUGINS") or []:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # Pelican reports it properly during the build


def quiet_logging():
    """Problems are printed once, together, at the end; debug mode
    (BUILD_DEBUG=1) also streams them with their tracebacks as they happen."""
    if os.environ.get("BUILD_DEBUG"):
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    else:
        console = logging.NullHandler()
    init_pelican_logging(level=logging.WARNING, handler=console)


def parse_overrides(items):
    """KEY=JSON settings, as Pelican's -e takes them; a bare word is a string."""
    overrides = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except ValueError:
            overrides[key] = value
    return overrides


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="?", default="pelicanconf.py")
    parser.add_argument("--content", help="content folder (default: the settings' PATH)")
    parser.add_argument("--output", help="output folder (default: the settings' OUTPUT_PATH)")
    parser.add_argument("-e", "--extra-settings", nargs="*", default=[], metavar="KEY=JSON",
                        help="override settings, as Pelican's -e does")
    args = parser.parse_args(argv)
    quiet_logging()
    started = time.monotonic()
    overrides = parse_overrides(args.extra_settings)
    advice = []
    problems = build(args.settings, args.content, args.output, overrides, advice)
    for note in NOTES:
        print(f"warning: {note}", file=sys.stderr)
    if advice:
        print(f"\n{ADVICE_HEADING}", file=sys.stderr)
        for line in advice:
            print("  - " + line, file=sys.stderr)
    if problems:
        print(f"\nBuild FAILED with {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print("  - " + problem.replace("\n", "\n    "), file=sys.stderr)
        return 1
    print(f"Built the site in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
