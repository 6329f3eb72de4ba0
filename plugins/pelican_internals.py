"""The one place that touches Pelican's private names.

Pelican marks with an underscore what is not its API; the speed machinery
and the live preview need a few such names all the same. Each is used here
and only here, so a Pelican upgrade that changes one fails in one module,
and tests/writers/test_pelican_internals.py, pinned to the Pelican version
in constraints.txt, names what changed.
"""

from pelican.log import LimitFilter

PELICAN_VERSION = "4.12.0"  # the version these names were checked against


def forget_logged_messages():
    """Pelican's log filter drops a message it has logged before, for the
    whole process. A process that builds again (the preview's fork) clears
    its memory, so it reports its own problems, not only new ones."""
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    LimitFilter._ignore.clear()
