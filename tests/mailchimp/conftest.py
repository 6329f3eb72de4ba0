"""Fixtures for the Mailchimp sync tests: the fake server, a temporary outbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` run without `python -m`
    sys.path.insert(0, str(ROOT))

from forms.mailchimp_client import MailchimpConfig  # noqa: E402
from forms.outbox import Outbox  # noqa: E402
from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: E402,F401

from .helpers import SECRET_KEY  # noqa: E402



@pytest.fixture
def fake(fake_mailchimp):  # noqa: F811
    fake_mailchimp.api_key = SECRET_KEY
    return fake_mailchimp


@pytest.fixture
def config(fake):
    return MailchimpConfig(
        api_key=fake.api_key, list_id=fake.list_id, api_root=fake.api_root, double_optin=True
    )


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()
