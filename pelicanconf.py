"""Development settings: `make html` and `make serve` build with these.

Every setting that differs by deployment comes from the environment, so the
same file serves a laptop, CI and a forms host. publishconf.py layers the
production choices on top.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

AUTHOR = "The Northwind Studio team"
SITENAME = "Northwind Notes"
SITESUBTITLE = "Marketing, sales and the craft of growing a small business"
SITEURL = os.environ.get("SITEURL", "").rstrip("/")
# Where the site really lives, for canonical links, Open Graph and the sitemap.
# In development SITEURL stays empty (relative links); SITE_ORIGIN still gives
# metadata an absolute base so the pages' structure matches production
# (`make serve` sets it to its own address, PORT included).
SITE_ORIGIN = SITEURL or os.environ.get("SITE_ORIGIN", "").rstrip("/") or "http://127.0.0.1:8000"
SITELOGO_ALT = SITENAME
DEFAULT_LANG = "en"
TIMEZONE = "Europe/London"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "extra"]
EXTRA_PATH_METADATA = {
    "extra/favicon.svg": {"path": "favicon.svg"},
    "extra/favicon.ico": {"path": "favicon.ico"},
}
IGNORE_FILES = [".#*", "*~", "*.swp"]

THEME = "theme"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["parallel_reader", "parallel_writer", "url_cache", "template_cache", "shortcodes", "article_facts", "content_checks", "newsletter", "redirects", "assets",
           "share", "toc", "related_posts", "neighbors", "comments", "search", "email_issues"]

# URLs: pretty, dated articles so period archives sit where readers expect.
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = DRAFT_URL + "index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = PAGE_URL + "index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = CATEGORY_URL + "index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = TAG_URL + "index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = AUTHOR_URL + "index.html"
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = "categories/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
AUTHORS_URL = "authors/"
AUTHORS_SAVE_AS = "authors/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
MONTH_ARCHIVE_URL = "{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"
INDEX_SAVE_AS = "index.html"
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
DEFAULT_PAGINATION = 10

DIRECT_TEMPLATES = ["index", "categories", "tags", "authors", "archives", "sitemap", "robots"]
SITEMAP_SAVE_AS = "sitemap.xml"
ROBOTS_SAVE_AS = "robots.txt"

# Feeds: site-wide and per category, Atom and RSS, with full content.
FEED_DOMAIN = SITE_ORIGIN
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/category/{slug}.rss.xml"
FEED_ATOM = None
FEED_RSS = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RSS_FEED_SUMMARY_ONLY = False
FEED_MAX_ITEMS = 20

# No smarty extension: it doubles Markdown's parse time (measured on the
# 1,000-post bench corpus); writers can type curly quotes themselves.
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.sane_lists": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}
SUMMARY_MAX_LENGTH = 40
TYPOGRIFY = False

# Escape everything the templates print unless marked safe: titles and
# summaries can hold &, quotes and angle brackets.
# auto_reload off: each build makes a new environment anyway, and on every
# {% include %} Jinja would otherwise stat the template file again.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True,
                     "auto_reload": False}

# --- Theme settings -------------------------------------------------------
MENUITEMS_PAGES = ["about", "newsletter", "contact"]
META_DESCRIPTION_LENGTH = 160
READING_WORDS_PER_MINUTE = 230
SOCIAL_CARD_TWITTER = ""  # e.g. "@northwind"; empty leaves twitter:site out

# --- Share and discover (docstrings in plugins/share, toc, related_posts, search)
SHARE_NETWORKS = ["linkedin", "x", "facebook", "bluesky", "mastodon", "reddit", "hackernews", "email"]
SHARE_UTM = {}  # e.g. {"utm_source": "{network}", "utm_medium": "social", "utm_campaign": "share"}
RELATED_POSTS_MAX = 3
TOC_MIN_HEADINGS = 0  # 0: a table of contents only on posts with `Toc: on`
SEARCH_ENABLED = os.environ.get("SEARCH_ENABLED", "1") not in ("0", "false", "off", "no")

# --- Forms (see the README's forms section) --------------------------------
# The forms service's public base URL, baked into the pages. Empty in
# development: the forms post to this site's own /api, which `make serve`
# serves (FORMS_SAME_ORIGIN). Empty in a publish build means zero-server mode:
# signups go to Mailchimp's hosted form (or no signup form is shown), contact
# messages to CONTACT_FORM_ACTION or an email link.
FORMS_URL = os.environ.get("FORMS_URL", "").rstrip("/")
FORMS_SAME_ORIGIN = True
NEWSLETTER_CONSENT_TEXT = "Yes, send me the Northwind Notes newsletter. I can unsubscribe at any time."
NEWSLETTER_CONSENT_REQUIRED = os.environ.get("SUBSCRIBE_CONSENT_REQUIRED", "1") not in ("0", "false", "off", "no")
NEWSLETTER_DOUBLE_OPTIN = os.environ.get("MAILCHIMP_DOUBLE_OPTIN", "1") not in ("0", "false", "off", "no")
# Zero-server mode: the audience's hosted signup form action, as shown in
# Mailchimp's embedded form code (https://<dc>.list-manage.com/subscribe/post?u=...&id=...).
NEWSLETTER_MAILCHIMP_FORM_ACTION = os.environ.get("MAILCHIMP_FORM_ACTION", "")
CONTACT_FORM_ACTION = os.environ.get("CONTACT_FORM_ACTION", "")
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "hello@northwind.example")

# --- Newsletter issues (plugins/email_issues; see the README) ---------------
# Each new post becomes one Mailchimp campaign at the end of `make publish`
# (NEWSLETTER_SEND_ON_PUBLISH, publishconf) or by `make newsletter`.
NEWSLETTER_CAMPAIGNS = os.environ.get("NEWSLETTER_CAMPAIGNS", "off")  # draft|test|schedule|send|off
NEWSLETTER_SINCE = os.environ.get("NEWSLETTER_SINCE", "")  # YYYY-MM-DD; required when not off
NEWSLETTER_SEGMENT = os.environ.get("NEWSLETTER_SEGMENT", "")  # a tag; empty: the whole audience
NEWSLETTER_FROM_NAME = os.environ.get("NEWSLETTER_FROM_NAME", "")  # empty: the audience's default
NEWSLETTER_REPLY_TO = os.environ.get("NEWSLETTER_REPLY_TO", "")  # empty: the audience's default
NEWSLETTER_TEST_EMAILS = os.environ.get("NEWSLETTER_TEST_EMAILS", "")  # comma-separated
NEWSLETTER_DELAY_MINUTES = os.environ.get("NEWSLETTER_DELAY_MINUTES", "30")
NEWSLETTER_FOLDER = os.environ.get("NEWSLETTER_FOLDER", "Newsletter: blog posts")
NEWSLETTER_SEND_ON_PUBLISH = False
# The emails as JSON for `make newsletter` (publishconf sets it); empty: none.
NEWSLETTER_ISSUES_FILE = os.environ.get("NEWSLETTER_ISSUES_FILE", "")
# /newsletter/preview/<slug>/ in `make serve`; never in `make publish`.
NEWSLETTER_PREVIEW_PAGES = os.environ.get("PREVIEW") == "1"

# --- Comments (plugins/comments; the service side in forms/comments) --------
# Approved comments come from COMMENTS_SOURCE at build time: the service's
# https://forms.example.com/api/comments/export, or an outbox file path.
COMMENTS_ENABLED = os.environ.get("COMMENTS_ENABLED", "1") not in ("0", "false", "off", "no")
COMMENTS_SOURCE = os.environ.get("COMMENTS_SOURCE", "")
COMMENTS_MAX_DEPTH = 2
# Set when the forms service has COMMENTS_AKISMET_KEY: the privacy page then says so.
COMMENTS_AKISMET = os.environ.get("COMMENTS_AKISMET", "0") not in ("0", "false", "off", "no", "")

# Categories: any is allowed; a name that is a near miss of one in use
# (Stratgy, strategy) fails the build. CATEGORIES = ["Strategy", ...] makes a
# closed list. A post without one goes under DEFAULT_CATEGORY, never its
# folder's name (set USE_FOLDER_AS_CATEGORY = True for that).
CATEGORIES = []
DEFAULT_CATEGORY = "General"
USE_FOLDER_AS_CATEGORY = False
# Advice (long Summary, image without alt text, ...) is printed and never
# fails the build, unless this is True.
ADVICE_FAILS_BUILD = False

# Posts dated in the future stay drafts until a build on or after their date
# (the scheduled CI build) publishes them.
WITH_FUTURE_DATES = False

# `make serve` sets PREVIEW=1: drafts and scheduled posts get a listing page.
PREVIEW = os.environ.get("PREVIEW") == "1"
if PREVIEW:
    DIRECT_TEMPLATES.append("drafts")
    DRAFTS_SAVE_AS = "drafts/index.html"

# Asset optimisation (plugins/assets): fingerprinting, minifying and
# precompressing are for production; previews stay fast and readable.
ASSETS_OPTIMIZE = False
ASSETS_PRECOMPRESS = False

LOAD_CONTENT_CACHE = False
# When a cache is on (the preview, benchmarks), keep it uncompressed: gzip
# made saving it a third of a one-post rebuild's time before the first page.
GZIP_CACHE = False
DELETE_OUTPUT_DIRECTORY = False
RELATIVE_URLS = False

# --- Images (plugins/images: variants, clean copies, social cards; see its docstring)
PLUGINS += ["images"]
IMAGES_WIDTHS = [320, 480, 720, 1080, 1440]
IMAGES_AVIF = os.environ.get("IMAGES_AVIF", "0") in ("1", "true", "on", "yes")
IMAGES_QUALITY = {"jpeg": 78, "webp": 75, "avif": 55, "card": 85}
# Kept outside output/ and between builds (CI restores it): a warm build encodes nothing.
IMAGES_CACHE_PATH = os.environ.get("IMAGES_CACHE_PATH", "cache/images")
HOME_FEATURE_NEWEST = True  # the newest post leads the home page with its cover, large
