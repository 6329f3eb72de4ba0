"""The sync at the end of `make publish`, when Mailchimp credentials are set
and the outbox is reachable; the same code the forms worker and `make sync` run."""

import logging
import os

log = logging.getLogger(__name__)


def run_publish_sync(environ=os.environ):
    if not (environ.get("MAILCHIMP_API_KEY") and environ.get("MAILCHIMP_LIST_ID")):
        log.info("Newsletter sync skipped: MAILCHIMP_API_KEY and MAILCHIMP_LIST_ID are not set.")
        return None
    from forms.mailchimp_sync import sync_signups
    from forms.outbox import Outbox
    from forms.settings import Settings

    settings = Settings.from_env(environ)
    if not settings.db_url and not os.path.exists(settings.db_path):
        log.info("Newsletter sync skipped: no outbox at %s on this host.", settings.db_path)
        return None
    from forms.db import DB_ERRORS
    from forms.queues import backlog

    try:
        outbox = Outbox.from_settings(settings)  # the file, or the PostgreSQL outbox
    except DB_ERRORS as exc:
        print(f"Newsletter sync skipped: the outbox database cannot be reached "
              f"({settings.redact(str(exc)).strip()}); the worker and `make sync` will send.")
        return None
    try:
        report = sync_signups(outbox, settings)
        state = backlog(outbox)
    finally:
        outbox.close()
    print(f"Newsletter sync: {report.summary()} | outbox: {state.summary()}")
    if state.errored:
        # Printed, not a warning: the strict build fails on warnings, and a
        # Mailchimp outage must not stop the site from publishing. The worker
        # and `make sync` retry, and /api/health reports the backlog's age.
        print(f"Newsletter sync: {state.errored} outbox item(s) undelivered after errors; see `make outbox`")
    if report.error:
        log.error("Newsletter sync failed: %s", report.error)
    return report
