"""The newsletter plugin: signup forms in the theme, and the Mailchimp sync
after a publish build.

The forms themselves are theme partials (partials/signup_form.html). A page
has at most one signup form: where the writer put `[signup]` (see the
shortcodes plugin), else in one default place: after an article's text, or
in the footer box on every other page (not on pages with `Signup: off`).
This plugin works out from the settings where the forms post, and hooks the
sync into `make publish`.

Where forms post:
  FORMS_URL set                the forms service at FORMS_URL/api/...
  else FORMS_SAME_ORIGIN       this site's own /api/... (development: the
                               preview serves it, so a dev build always has
                               working forms)
  else (zero-server)           the signup form posts to
                               NEWSLETTER_MAILCHIMP_FORM_ACTION; without one the
                               site shows no signup form at all, and the build
                               says so in its advice The sync
code lives with the outbox in forms/, so the forms server never imports
build-time code; only this side imports that one, and only when it runs.

Settings (pelicanconf.py / publishconf.py):
  FORMS_URL                         forms service base URL; empty = zero-server mode
                                    (publish) or the same origin (development)
  FORMS_SAME_ORIGIN                 with FORMS_URL empty, post to SITEURL/api
                                    (pelicanconf: True, publishconf: False)
  NEWSLETTER_CONSENT_TEXT           wording of the consent checkbox
  NEWSLETTER_CONSENT_REQUIRED       whether the box must be ticked (default True)
  NEWSLETTER_DOUBLE_OPTIN           say a confirmation email follows (default True)
  NEWSLETTER_MAILCHIMP_FORM_ACTION  zero-server mode: the hosted form's action URL
  NEWSLETTER_SYNC_ON_PUBLISH        run the sync when the build ends (publishconf: True)
Environment for the sync: MAILCHIMP_API_KEY, MAILCHIMP_LIST_ID, FORMS_DB.

Settings it adds, for the templates:
  FORMS_ENDPOINT     the base the form actions start with ("" + /api/... in development)
  FORMS_ZERO_SERVER  True when no forms service takes the forms
"""

import logging
from urllib.parse import parse_qs, urlparse

from pelican import signals

log = logging.getLogger(__name__)
advice_log = logging.getLogger("northwind.advice")

NOWHERE = ("signups go nowhere: FORMS_URL and MAILCHIMP_FORM_ACTION are both empty, so the site "
           "shows no signup form. Set FORMS_URL to the forms service, or MAILCHIMP_FORM_ACTION to "
           "the audience's hosted signup form (see the README's forms section)")


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
                         ("NEWSLETTER_CONSENT_TEXT", "Yes, send me the newsletter."),
                         ("FORMS_SAME_ORIGIN", False)):
        settings.setdefault(key, default)
    settings.update(forms_endpoint(settings))
    if settings["FORMS_ZERO_SERVER"] and not settings["NEWSLETTER_MAILCHIMP_FORM_ACTION"]:
        advice_log.warning("%s", NOWHERE, extra={"advice": True})


def forms_endpoint(settings):
    """FORMS_ENDPOINT and FORMS_ZERO_SERVER from FORMS_URL, FORMS_SAME_ORIGIN and SITEURL."""
    forms_url = (settings.get("FORMS_URL") or "").rstrip("/")
    if forms_url:
        return {"FORMS_ENDPOINT": forms_url, "FORMS_ZERO_SERVER": False}
    if settings.get("FORMS_SAME_ORIGIN"):
        return {"FORMS_ENDPOINT": (settings.get("SITEURL") or "").rstrip("/"),
                "FORMS_ZERO_SERVER": False}
    return {"FORMS_ENDPOINT": "", "FORMS_ZERO_SERVER": True}


def sync_after_publish(pelican):
    if not pelican.settings.get("NEWSLETTER_SYNC_ON_PUBLISH"):
        return
    from .publish_sync import run_publish_sync
    run_publish_sync()


def register():
    signals.initialized.connect(add_form_settings)
    signals.finalized.connect(sync_after_publish)
