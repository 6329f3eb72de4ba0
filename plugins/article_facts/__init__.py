"""Facts the theme shows about each post and page, worked out once at build
time: reading time, a plain-text meta description, and the cover image's
size (so the browser reserves its space and the layout never shifts).

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

from pelican import signals
from pelican.contents import Article, Page

from .cover import cover_of
from .text import plain_text, shorten, word_count


def add_facts(content):
    if not isinstance(content, (Article, Page)):
        return
    settings = content.settings
    body = content._content or ""
    per_minute = settings.get("READING_WORDS_PER_MINUTE", 230)
    content.word_count = word_count(body)
    content.reading_time = max(1, round(content.word_count / per_minute))
    source = content.metadata.get("summary") or body
    limit = settings.get("META_DESCRIPTION_LENGTH", 160)
    content.description = shorten(plain_text(source), limit)
    content.cover = cover_of(content.metadata, settings["PATH"])
    date = getattr(content, "date", None)
    # Pelican turns a future-dated post into a draft after this signal, when
    # WITH_FUTURE_DATES is off; the date alone says it is scheduled.
    content.scheduled = bool(date) and date > _now(date)


def _now(date):
    return datetime.now(date.tzinfo) if date.tzinfo else datetime.now()


def register():
    signals.content_object_init.connect(add_facts)
