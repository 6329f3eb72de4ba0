"""Helpers shared by the Mailchimp tests."""

from __future__ import annotations

from forms.mailchimp_sync import RetryPolicy

# A distinctive key, so a leak anywhere is easy to find.
SECRET_KEY = "5ec12e7k3y0f7e57ab1e9a2c0ffee42d-us7"
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, backoff_cap=0.05)


def add(outbox, email, name="", source="/posts/hello/", ip="203.0.113.7", consent=True):
    outbox.add_signup(email, name, consent, "I agree" if consent else "", source, ip)


def statuses(outbox):
    conn = outbox._conn()
    return {email: status for email, status in conn.execute("SELECT email, status FROM signups")}
