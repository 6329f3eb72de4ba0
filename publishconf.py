"""Production settings for `make publish`: pelicanconf.py plus absolute URLs,
a clean output folder and no drafts."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402,F401,F403

SITEURL = os.environ.get("SITEURL", "").rstrip("/")
if not SITEURL.startswith(("http://", "https://")):
    raise SystemExit(
        "publishconf.py: set SITEURL to the site's public base URL, "
        "e.g. SITEURL=https://blog.example.com make publish"
    )
SITE_ORIGIN = SITEURL
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True

# Drafts and scheduled posts are not written at all.
DRAFT_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
NEWSLETTER_SYNC_ON_PUBLISH = True
# No FORMS_URL here means no forms service: zero-server mode, never this
# static host's own /api.
FORMS_SAME_ORIGIN = False
# Newsletter issues: rendered for `make newsletter`, sent at the end of the
# build when NEWSLETTER_CAMPAIGNS is not off; no preview pages in production.
NEWSLETTER_SEND_ON_PUBLISH = True
NEWSLETTER_PREVIEW_PAGES = False
NEWSLETTER_ISSUES_FILE = os.environ.get("NEWSLETTER_ISSUES_FILE") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "var", "newsletter", "issues.json")

# Fingerprinted, minified CSS/JS/HTML plus .gz and .br copies (plugins/assets).
ASSETS_OPTIMIZE = True
ASSETS_PRECOMPRESS = True
