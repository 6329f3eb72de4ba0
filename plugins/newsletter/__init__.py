"""The newsletter plugin: signup forms in the theme, and the Mailchimp sync
after a publish build.

The forms themselves are theme partials (partials/signup_form.html), placed
after every article, in the footer box, on the Newsletter page and wherever a
writer puts `[signup]` (see the shortcodes plugin). This plugin supplies what
they need from the settings, and hooks the sync into `make publish`. The sync
code lives with the outbox in forms/, so the forms server never imports
build-time code; only this side imports that one, and only when it runs.

Settings (pelicanconf.py / publishconf.py):
  FORMS_URL                         forms service base URL; empty = zero-server mode
  NEWSLETTER_CONSENT_TEXT           wording of the consent checkbox
  NEWSLETTER_CONSENT_REQUIRED       whether the box must be ticked (default True)
  NEWSLETTER_DOUBLE_OPTIN           say a confirmation email follows (default True)
  NEWSLETTER_MAILCHIMP_FORM_ACTION  zero-server mode: the hosted form's action URL
  NEWSLETTER_SYNC_ON_PUBLISH        run the sync when the build ends (publishconf: True)
Environment for the sync: MAILCHIMP_API_KEY, MAILCHIMP_LIST_ID, FORMS_DB.
"""

import logging
from urllib.parse import parse_qs, urlparse

from pelican import signals

log = logging.getLogger(__name__)


def mailchimp_bot_field(form_action):
    """Mailchimp's hosted forms expect a honeypot named b_<u>_<id>."""
    query = parse_qs(urlparse(form_action).query)
    user, audience = query.get("u", [""])[0], query.get("id", [""])[0]
    return f"b_{user}_{audience}" if user and audience else "b_honeypot"


def add_form_settings(pelican):
    settings = pelican.settings
    settings.setdefault("NEWSLETTER_MAILCHIMP_FORM_ACTION", "")
    settings["NEWSLETTER_MAILCHIMP_BOT_FIELD"] = mailchimp_bot_field(
        settings["NEWSLETTER_MAILCHIMP_FORM_ACTION"])
    for key, default in (("FORMS_URL", ""), ("NEWSLETTER_CONSENT_REQUIRED", True),
                         ("NEWSLETTER_DOUBLE_OPTIN", True), ("CONTACT_FORM_ACTION", ""),
                         ("NEWSLETTER_CONSENT_TEXT", "Yes, send me the newsletter.")):
        settings.setdefault(key, default)


def sync_after_publish(pelican):
    if not pelican.settings.get("NEWSLETTER_SYNC_ON_PUBLISH"):
        return
    from .publish_sync import run_publish_sync
    run_publish_sync()


def register():
    signals.initialized.connect(add_form_settings)
    signals.finalized.connect(sync_after_publish)
