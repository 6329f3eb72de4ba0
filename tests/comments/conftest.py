"""The comments stack, all real and on loopback: the site built with FORMS_URL
on a static server, the forms service under uvicorn (`python -m forms.serve`)
with its worker delivering to an aiosmtpd server (the moderators' and
commenters' inbox), and headless Chromium."""

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.site.conftest import ROOT
from tests.support.browser import launch, serve_directory
from tests.support.postgres import outbox_target, postgres  # noqa: F401  (fixtures)
from tests.support.servers import (Client, FormsServer, RecordingHandler, base_env, free_port, rows,
                                   smtp_env, smtp_server)

SECRET = "test-forms-secret-0123456789abcdef"
MODERATORS = "mod1@example.org,mod2@example.org"
CLOSED_POST = "case-studies-that-sell-without-shouting.md"  # gets `Comments: off` in the test content


def content_copy(root: Path) -> Path:
    """The real content, with one post closed to comments."""
    target = root / "content"
    shutil.copytree(ROOT / "content", target)
    post = target / "posts" / CLOSED_POST
    text = post.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    post.write_text(head + "\nComments: off\n\n" + body, encoding="utf-8")
    return target


class Stack:
    def __init__(self, root, site, forms, db, browser, handler, content):
        self.root, self.site, self.forms, self.db = root, site, forms, db
        self.browser, self.smtp, self.content = browser, handler, content
        self.client = Client(forms.url)

    def build(self, comments_source=True, forms_url=None, output=None, extra=()):
        """The development build; `extra`: KEY=JSON setting overrides (tools.build -e)."""
        env = {**os.environ, "SITEURL": "", "FORMS_URL": self.forms.url if forms_url is None else forms_url}
        env.pop("COMMENTS_SOURCE", None)
        if comments_source:
            env["COMMENTS_SOURCE"] = str(self.db) if comments_source is True else comments_source
        result = subprocess.run(
            [sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(self.content),
             "--output", str(output or self.root / "site"), *(["-e", *extra] if extra else [])],
            cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def page(self, javascript=True):
        context = self.browser.new_context(java_script_enabled=javascript)
        return context.new_page()

    def article_path(self, slug):
        [found] = list((self.root / "site").glob(f"20*/*/{slug}/index.html"))
        return "/" + str(found.parent.relative_to(self.root / "site")) + "/"

    def mails(self, to=None, subject=None):
        found = []
        for received in self.smtp.messages:
            mail = email.message_from_bytes(received.data, policy=email.policy.default)
            if to and to not in received.rcpt_tos:
                continue
            if subject and subject not in mail["Subject"]:
                continue
            found.append(mail)
        return found

    def wait_mail(self, count, timeout=15, **match):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mails(**match)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} mail(s) {match}, got {len(self.mails(**match))}: "
                             f"{[m['Subject'] for m in self.mails()]}")

    def rows(self, sql, params=()):
        return rows(self.db, sql, params)

    def comments_cli(self, *args):
        env = {**self.forms.env, "COMMENTS_POSTS": str(self.root / "site" / "comments-posts.json")}
        return subprocess.run([sys.executable, "-m", "forms.comments", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)


def links(mail, label=None):
    """The links in a mail's text, or the one after `label:`."""
    text = mail.get_content()
    if label:
        match = re.search(rf"^{label}:\r?\n(\S+)", text, re.MULTILINE)
        return match.group(1) if match else None
    return re.findall(r"https?://\S+", text)


def make_stack(tmp_path_factory, name, **env):
    root = tmp_path_factory.mktemp(name)
    handler = RecordingHandler()
    controller = smtp_server(handler)
    site_port = free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    db = root / "outbox.sqlite3"
    settings = dict(
        SITEURL=site_origin, FORMS_ALLOWED_ORIGINS=site_origin, FORMS_SECRET=SECRET,
        COMMENTS_MODERATORS=MODERATORS, FORMS_WORKER="1", FORMS_WORKER_INTERVAL="0.3",
        **smtp_env(controller),
    )
    settings.update(env)
    forms = FormsServer(base_env(db, **settings), root / "forms.log")
    settings["FORMS_URL"] = forms.url
    forms.env = base_env(db, **settings)
    forms.start()
    content = content_copy(root)
    (root / "site").mkdir()
    with serve_directory(root / "site", port=site_port) as origin:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            stack = Stack(root, origin, forms, db, browser, handler, content)
            stack.build(comments_source=False)
            yield stack
            browser.close()
    forms.stop()
    controller.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from make_stack(tmp_path_factory, "comments")
