"""tools.build's collector: what the strict build counts as a problem."""

import logging

from tools.build import Collector


def _record(message, *args):
    return logging.LogRecord("pelican.cache", logging.WARNING, __file__, 1, message, args, None)


def test_a_file_deleted_while_the_build_ran_is_no_problem(tmp_path):
    """Pelican says "Cannot get modification stamp for <file>" when a file it
    listed is gone when it reads it: the writer deleted it mid-build, which
    the next build settles. A file that is there and cannot be read is a problem."""
    collector = Collector()
    gone = tmp_path / "posts" / "gone.md"
    collector.emit(_record("Cannot get modification stamp for %s\n\t%s", str(gone),
                           FileNotFoundError(2, "No such file or directory")))
    assert collector.messages == []
    there = tmp_path / "there.md"
    there.write_text("Title: x\n")
    collector.emit(_record("Cannot get modification stamp for %s\n\t%s", str(there), PermissionError(13, "denied")))
    assert len(collector.messages) == 1 and "there.md" in collector.messages[0]
