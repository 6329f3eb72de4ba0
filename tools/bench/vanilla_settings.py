"""Vanilla Pelican 4.12 with its default theme (notmyidea), for comparison:
no plugins, settings equivalent to ours where they change the work done."""

AUTHOR = "Bench"
SITENAME = "Vanilla"
SITEURL = ""
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
FEED_DOMAIN = "http://127.0.0.1:8000"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/category/{slug}.rss.xml"
RSS_FEED_SUMMARY_ONLY = False
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
PLUGINS = []
