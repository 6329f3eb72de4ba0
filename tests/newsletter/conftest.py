"""Fixtures for the newsletter tests: the site built once the way `make publish`
builds it (plus posts that exercise the email's edge cases), its issues, and a
fake Mailchimp audience with subscribers and a tag."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "plugins") not in sys.path:
    sys.path.insert(0, str(ROOT / "plugins"))

from email_issues.campaigns import NewsletterSettings, parse_since  # noqa: E402
from forms.mailchimp_client import MailchimpConfig  # noqa: E402
from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: E402,F401

SITEURL = "https://blog.example.test"
SINCE = "2026-09-01"
# Posts dated on or after SINCE that get a campaign; the rest of content/ is archive.
NEW_POSTS = ("cold-email-without-the-chill", "email-edge-cases")
OFF_POST = "quiet-house-note"
SEED = "sales-and-marketing-sibling-rivalry"

EDGE_POST = """Title: Email <Edge> Cases & "Quotes"
Date: 2026-11-20 09:00
Category: Email
Tags: email
Authors: Dana Reyes
Summary: A post that holds everything an email must survive: forms, an SVG chart, a table, code and a relative link.
Newsletter_subject: Edge cases, inbox-safe
Slug: email-edge-cases
Image: images/pricing-handoff.svg
Image_alt: A hand passing a baton across a pricing table

The first paragraph says hello, with a [relative link](/about/) and an [anchor](#the-chart).

[signup title="Sign up below to receive email updates!"]

## The chart

![A bar chart of replies per week]({static}/images/case-study-story.svg)

| Week | Replies |
|------|---------|
| 1    | 4       |
| 2    | 9       |

    print("code stays code")

A closing paragraph with a question for you.

[contact]
"""

OFF = """Title: A Quiet House Note
Date: 2026-11-25 09:00
Category: Strategy
Summary: Office news that stays on the site and never goes to the newsletter.
Slug: quiet-house-note
Newsletter: off

We moved desks. Nobody needs an email about it.
"""


def run_build(content, output, issues_file, *extra):
    command = [sys.executable, "-m", "tools.build", "publishconf.py", "--content", str(content),
               "--output", str(output), "-e", f"NEWSLETTER_ISSUES_FILE={json.dumps(str(issues_file))}",
               "SEARCH_ENABLED=false", "ASSETS_PRECOMPRESS=false",
               f"CACHE_PATH={json.dumps(str(Path(output).parent / 'cache'))}", *extra]
    env = {**os.environ, "SITEURL": SITEURL, "NEWSLETTER_CAMPAIGNS": "off"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def make_content(folder: Path) -> Path:
    content = folder / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "posts" / "email-edge-cases.md").write_text(EDGE_POST, encoding="utf-8")
    (content / "posts" / "quiet-house-note.md").write_text(OFF, encoding="utf-8")
    return content


class Built:
    def __init__(self, root: Path, output: Path, issues_file: Path, content: Path):
        self.root, self.output, self.issues_file, self.content = root, output, issues_file, content
        self.issues = json.loads(issues_file.read_text(encoding="utf-8"))["issues"]

    def issue(self, slug: str) -> dict:
        return next(i for i in self.issues if i["slug"] == slug)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("newsletter-site")
    content = make_content(root)
    output, issues_file = root / "output", root / "issues.json"
    result = run_build(content, output, issues_file, "NEWSLETTER_PREVIEW_PAGES=true")
    assert result.returncode == 0, result.stdout + result.stderr
    return Built(root, output, issues_file, content)


@pytest.fixture
def issues(built):
    return [dict(i) for i in built.issues]


@pytest.fixture
def fake(fake_mailchimp):  # noqa: F811
    for n in range(5):
        fake_mailchimp.seed_member(f"reader{n}@example.org", tags=["newsletter"] if n < 3 else ())
    fake_mailchimp.seed_member("gone@example.org", "unsubscribed")
    return fake_mailchimp


def make_settings(fake, **changes) -> NewsletterSettings:
    base = NewsletterSettings(
        mode="draft", since=parse_since(SINCE), retry_backoff=0.01,
        mailchimp=MailchimpConfig(api_key=fake.api_key, list_id=fake.list_id,
                                  api_root=fake.api_root, connect_timeout=2, read_timeout=1.5),
    )
    return base.replace(**changes)


FIXED_NOW = datetime(2026, 12, 2, 10, 7, 30, tzinfo=timezone.utc)
