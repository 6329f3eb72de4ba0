"""Pytest fixtures around the fake Mailchimp server.

Use from any conftest.py:   from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401
"""

from __future__ import annotations

import pytest

from .server import FakeMailchimp


@pytest.fixture
def fake_mailchimp():
    """A started FakeMailchimp on 127.0.0.1 (free port), stopped after the test.

    Seed an unsubscribed member: fake_mailchimp.seed_member("a@b.org", "unsubscribed")
    Inject faults:               fake_mailchimp.fail_next("empty503", times=2, path=r"/lists/[^/]+$")
    Point code at it:            fake_mailchimp.api_root, .api_key, .list_id
    """
    fake = FakeMailchimp(
        compliance_emails=["compliance@example.org"],
        forgotten_emails=["forgotten@example.org"],
    )
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
