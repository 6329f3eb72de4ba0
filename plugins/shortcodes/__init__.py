"""One-line shortcodes that drop a theme partial into a post or page.

A writer puts a shortcode on a line of its own, the way WordPress posts used
`[contact-form-7 id="..."]`:

    [signup]
    [signup title="Sign up below to receive email updates!"]
    [contact]

Markdown turns that line into a paragraph holding only the shortcode, which
this plugin swaps for the rendered partial named in SHORTCODES. Code blocks
never become paragraphs, so a shortcode shown as code stays text. An unknown
shortcode fails the build naming the file.

A form shows once per page: a second `[signup]` (or `[contact]`) becomes a
link to the form above, with advice naming the file and line. How often each
shortcode was used is left in ``content.shortcodes_used``; the theme reads it
to leave out its default signup form where the writer placed one. The text as it was before the
swap is kept as ``content.source_html`` so other renderings (the newsletter
email) can expand the same shortcodes with their own partials.

Settings:
  SHORTCODES       {name: template}; default {"signup": "partials/signup_form.html",
                   "contact": "partials/contact_form.html", ...}
  SHORTCODES_ONCE  the shortcodes shown once per page; default ("signup", "contact")
"""

import logging
import os
from collections import Counter

from pelican import signals
from pelican.contents import Article, Page

from .expand import expand_shortcodes

DEFAULT_SHORTCODES = {
    "signup": "partials/signup_form.html",
    "contact": "partials/contact_form.html",
    "comments-spam-check": "partials/comments_spam_check.html",
}

DEFAULT_ONCE = ("signup", "contact")

_environment = {}
advice_log = logging.getLogger("northwind.advice")


def _remember_environment(generator):
    # Pelican's own template environment: the theme's loaders, filters and
    # JINJA_ENVIRONMENT options (autoescape) apply to shortcodes as to pages.
    _environment["env"] = generator.env


def _expand(content):
    if not isinstance(content, (Article, Page)) or "env" not in _environment:
        return
    shortcodes = content.settings.get("SHORTCODES", DEFAULT_SHORTCODES)
    content.source_html = content._content

    def repeated(name, line):
        advice_log.warning("%s: %s[%s] is on this page already; this one is a link to the form "
                           "above (one form per page)", os.path.relpath(content.source_path), line, name,
                           extra={"advice": True})

    content.shortcodes_used = Counter()
    content._content = expand_shortcodes(
        content._content, shortcodes, _environment["env"], content,
        once=content.settings.get("SHORTCODES_ONCE", DEFAULT_ONCE), repeated=repeated,
        used=content.shortcodes_used)


def register():
    signals.generator_init.connect(_remember_environment)
    signals.content_object_init.connect(_expand)
