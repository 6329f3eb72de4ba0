"""Facts the theme shows about each post and page: reading time, a
plain-text meta description, and the cover image's size (so the browser
reserves its space and the layout never shifts).

Each is worked out the first time a template asks and then kept, so the
work happens while pages render (on every core, see parallel_writer), not
while Pelican reads the content one file at a time.

Adds to every article and page:
  word_count        words in the text
  reading_time      whole minutes, at least 1 (READING_WORDS_PER_MINUTE, default 230)
  description       Summary, else the start of the text, at most
                    META_DESCRIPTION_LENGTH characters (default 160)
  scheduled         True when the date is in the future (a draft until then)
  cover             None, or a Cover(path, width, height, alt) from the
                    `Image` and `Image_alt` front matter
"""

from datetime import datetime
from functools import cached_property

from pelican.contents import Article, Page

from .cover import cover_of
from .text import plain_text, shorten, word_count


def _word_count(content):
    return word_count(content._content or "")


def _reading_time(content):
    per_minute = content.settings.get("READING_WORDS_PER_MINUTE", 230)
    return max(1, round(content.word_count / per_minute))


def _description(content):
    source = content.metadata.get("summary") or content._content or ""
    return shorten(plain_text(source), content.settings.get("META_DESCRIPTION_LENGTH", 160))


def _cover(content):
    return cover_of(content.metadata, content.settings["PATH"])


def _scheduled(content):
    # Pelican makes a future-dated post a draft when WITH_FUTURE_DATES is
    # off; the date alone says it is scheduled.
    date = getattr(content, "date", None)
    now = datetime.now(date.tzinfo) if date and date.tzinfo else datetime.now()
    return bool(date) and date > now


FACTS = {"word_count": _word_count, "reading_time": _reading_time,
         "description": _description, "cover": _cover, "scheduled": _scheduled}


def register():
    for cls in (Article, Page):
        for name, compute in FACTS.items():
            fact = cached_property(compute)
            fact.__set_name__(cls, name)
            setattr(cls, name, fact)
