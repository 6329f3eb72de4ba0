"""The private Pelican names plugins/pelican_internals.py relies on are still
there, for the Pelican version constraints.txt pins. An upgrade that moves one
fails here, by name, before it fails a build in some subtler way."""

from importlib import metadata

from pelican.log import LimitFilter

from plugins import pelican_internals


def test_the_pinned_pelican_is_the_one_checked():
    assert metadata.version("pelican") == pelican_internals.PELICAN_VERSION


def test_the_log_filter_keeps_its_memory_where_forget_logged_messages_clears_it():
    for name in ("_raised_messages", "_group_count", "_ignore"):
        assert hasattr(LimitFilter, name), f"pelican.log.LimitFilter.{name} is gone"
    LimitFilter._raised_messages.add(("x", "y"))
    pelican_internals.forget_logged_messages()
    assert not LimitFilter._raised_messages
