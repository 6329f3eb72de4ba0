"""Vanilla Pelican 4.12 kept lean, as issue 16's benchmark has it: the
default notmyidea theme, Atom feeds only (all posts and one per category),
pagination 10, no plugins and nothing else (no RSS, author or translation
feeds)."""

AUTHOR = "Bench"
SITENAME = "Vanilla"
SITEURL = ""
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
FEED_DOMAIN = "http://127.0.0.1:8000"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
FEED_ATOM = None
FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
PLUGINS = []
