"""`make newsletter` (python -m tools.newsletter) and the end of `make publish`,
as processes with the settings in the environment, against the fake Mailchimp.
Each run is a fresh process with no local state: Mailchimp is the record."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import NEW_POSTS, ROOT, SINCE, SITEURL, make_content, run_build


def newsletter(fake, built, *args, **env):
    environ = {**os.environ, "MAILCHIMP_API_KEY": fake.api_key, "MAILCHIMP_LIST_ID": fake.list_id,
               "MAILCHIMP_API_ROOT": fake.api_root, "NEWSLETTER_SINCE": SINCE,
               "NEWSLETTER_CAMPAIGNS": "send", "SITEURL": SITEURL}
    environ.update(env)
    for name, value in env.items():
        if value is None:
            environ.pop(name)
    command = [sys.executable, "-m", "tools.newsletter", "--issues", str(built.issues_file), *args]
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def test_make_newsletter_sends_each_new_post_once(fake, built):
    first = newsletter(fake, built)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Newsletter: created 2, scheduled 0, sent 2, skipped 7, failed 0" in first.stdout
    second = newsletter(fake, built)  # another "runner": nothing on disk links the two runs
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Newsletter: created 0, scheduled 0, sent 0, skipped 9, failed 0" in second.stdout
    assert sorted(d["title"] for d in fake.deliveries) == sorted(f"post:{s}" for s in NEW_POSTS)
    assert fake.api_key not in first.stdout + first.stderr + second.stdout + second.stderr


def test_without_since_nothing_is_created_and_it_says_why(fake, built):
    result = newsletter(fake, built, NEWSLETTER_SINCE=None)
    assert result.returncode == 2
    assert "NEWSLETTER_SINCE is not set, so no campaign was created" in result.stdout
    assert fake.calls == []


def test_bad_settings_exit_2_naming_the_setting(fake, built):
    result = newsletter(fake, built, NEWSLETTER_CAMPAIGNS="sned")
    assert result.returncode == 2 and "NEWSLETTER_CAMPAIGNS='sned'" in result.stderr
    result = newsletter(fake, built, NEWSLETTER_SINCE="last week")
    assert result.returncode == 2 and "NEWSLETTER_SINCE='last week' is not a date" in result.stderr
    result = newsletter(fake, built, MAILCHIMP_API_KEY="wrong-us7")
    assert result.returncode == 2 and "API Key Invalid" in result.stdout
    assert "wrong-us7" not in result.stdout + result.stderr
    assert fake.campaigns == {}


def test_failure_exits_non_zero(fake, built):
    fake.fail_next("http500", method="POST", path=r"/campaigns$", times=None)
    result = newsletter(fake, built)
    assert result.returncode == 1
    assert "failed 2" in result.stdout
    assert fake.campaigns == {}


def test_dry_run(fake, built):
    result = newsletter(fake, built, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would create post:email-edge-cases" in result.stdout
    assert "would create post:cold-email-without-the-chill" in result.stdout
    assert {c.method for c in fake.calls} == {"GET"}


def test_off_does_nothing(fake, built):
    result = newsletter(fake, built, NEWSLETTER_CAMPAIGNS="off")
    assert result.returncode == 0 and "off" in result.stdout and fake.calls == []


def test_publish_runs_it_at_its_end(fake, tmp_path):
    content = make_content(tmp_path)
    env = {"MAILCHIMP_API_KEY": fake.api_key, "MAILCHIMP_LIST_ID": fake.list_id,
           "MAILCHIMP_API_ROOT": fake.api_root, "NEWSLETTER_SINCE": SINCE}
    os.environ.update(env)
    try:
        off = run_build(content, tmp_path / "out1", tmp_path / "i1.json")  # conftest sets off
        assert off.returncode == 0 and fake.calls == [], off.stderr
        command = [sys.executable, "-m", "tools.build", "publishconf.py", "--content", str(content),
                   "--output", str(tmp_path / "out2")]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "SITEURL": SITEURL, "NEWSLETTER_CAMPAIGNS": "draft",
                                     "NEWSLETTER_ISSUES_FILE": str(tmp_path / "i2.json"),
                                     "SEARCH_ENABLED": "0"})
    finally:
        for name in env:
            os.environ.pop(name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Newsletter: created 2, scheduled 0, sent 0" in result.stdout
    assert sorted(c["settings"]["title"] for c in fake.campaigns.values()) == \
        sorted(f"post:{s}" for s in NEW_POSTS)


def test_the_preview_build_shows_every_email_drafts_included(tmp_path):
    command = [sys.executable, "-m", "tools.build", "pelicanconf.py", "--output", str(tmp_path / "out")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PREVIEW": "1", "SEARCH_ENABLED": "0"})
    assert result.returncode == 0, result.stderr
    preview = tmp_path / "out" / "newsletter" / "preview"
    drafts = [p for p in (ROOT / "content" / "posts").glob("*.md") if "Status: draft" in p.read_text()]
    assert drafts
    for post in (ROOT / "content" / "posts").glob("*.md"):
        slug = next(line.split(":", 1)[1].strip() for line in post.read_text().splitlines()
                    if line.startswith("Slug:"))
        page = preview / slug / "index.html"
        assert page.exists(), slug
        assert 'http://127.0.0.1:8000/' in page.read_text()  # absolute, on the preview's origin


def test_the_preview_renders_only_emails_whose_post_changed(tmp_path):
    content = make_content(tmp_path)
    output = tmp_path / "out"
    command = [sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
               "--output", str(output)]
    env = {**os.environ, "PREVIEW": "1", "SEARCH_ENABLED": "0"}
    assert subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300).returncode == 0
    preview = output / "newsletter" / "preview"
    edited, untouched = preview / "quiet-house-note" / "index.html", preview / "email-edge-cases" / "index.html"
    before = {p: p.stat().st_mtime_ns for p in (edited, untouched)}
    post = content / "posts" / "quiet-house-note.md"
    post.write_text(post.read_text().replace("We moved desks.", "We moved desks again."))
    assert subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300).returncode == 0
    assert untouched.stat().st_mtime_ns == before[untouched]
    assert edited.stat().st_mtime_ns != before[edited]
    assert "We moved desks again." in edited.read_text()


def test_make_newsletter_renders_the_site_itself_without_an_issues_file(fake):
    environ = {**os.environ, "MAILCHIMP_API_KEY": fake.api_key, "MAILCHIMP_LIST_ID": fake.list_id,
               "MAILCHIMP_API_ROOT": fake.api_root, "NEWSLETTER_SINCE": "2026-09-01",
               "NEWSLETTER_CAMPAIGNS": "draft", "SITEURL": SITEURL}
    result = subprocess.run([sys.executable, "-m", "tools.newsletter"], cwd=ROOT, env=environ,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created  post:cold-email-without-the-chill" in result.stdout
    [campaign] = fake.campaigns.values()
    assert f"{SITEURL}/2026/09/cold-email-without-the-chill/" in campaign["content"]["html"]
    no_site = subprocess.run([sys.executable, "-m", "tools.newsletter"], cwd=ROOT,
                             env={**environ, "SITEURL": ""}, capture_output=True, text=True, timeout=300)
    assert no_site.returncode == 2 and "SITEURL" in no_site.stderr
