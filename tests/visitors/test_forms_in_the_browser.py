"""A visitor signs up and writes to the team, with and without JavaScript.

The real pieces, all on loopback: the built site on a static server, the
forms service under its production server on another origin (as deployed),
an aiosmtpd mail server, and `python -m forms.sync` (what `make sync` runs)
to deliver the contact messages."""

import email
import email.policy
import os
import subprocess
import sys
import time

import pytest
from playwright.sync_api import sync_playwright

from tests.site.conftest import ROOT, run_build
from tests.support.browser import launch, serve_directory
from tests.support.servers import (FormsServer, RecordingHandler, base_env, free_port, rows,
                                   smtp_env, smtp_server)

# Seconds the contact form must be open before sending. Generous, so that a
# busy machine's slow typing never looks like a bot; the bot below is timed
# from the moment it stamps the form, not from the page load.
TIME_TRAP = 5.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("visitors")
    site_port = free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    forms = FormsServer(base_env(root / "outbox.sqlite3", SITEURL=site_origin,
                                 FORMS_ALLOWED_ORIGINS=site_origin,
                                 CONTACT_MIN_SECONDS=str(TIME_TRAP)), root / "forms.log")
    forms.start()
    env_build = {**os.environ, "FORMS_URL": forms.url}
    result = subprocess.run([sys.executable, "-m", "tools.build", "pelicanconf.py", "--output",
                             str(root / "site")], cwd=ROOT, env={**env_build, "SITEURL": ""},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with serve_directory(root / "site", port=site_port) as origin:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            yield {"site": origin, "forms": forms, "db": root / "outbox.sqlite3",
                   "browser": browser, "root": root}
            browser.close()
    forms.stop()


def page_for(stack, javascript):
    context = stack["browser"].new_context(java_script_enabled=javascript)
    return context.new_page()


def subscribe(stack, javascript, address, name=""):
    """Open the Newsletter page, fill in the form as a visitor would, send it."""
    page = page_for(stack, javascript)
    page.goto(stack["site"] + "/newsletter/")
    form = page.locator("main form.signup-form")
    form.locator("input[name=email]").fill(address)
    if name:
        form.locator("input[name=name]").fill(name)
    form.locator("input[name=consent]").check()
    form.locator("button").click()
    return page, form


def signups(stack):
    return {row["email"]: row for row in rows(stack["db"], "select * from signups")}


def test_signup_without_javascript_redirects_to_thanks_and_is_stored(stack):
    page, _ = subscribe(stack, False, "NoScript.Reader@Example.com", name="Nora")
    page.wait_for_url(stack["site"] + "/newsletter/thanks/")
    assert "Thanks for subscribing" in page.locator("h1").inner_text()
    row = signups(stack)["noscript.reader@example.com"]
    assert row["name"] == "Nora" and row["consent"] == 1 and row["source"] == "/newsletter/"
    page.context.close()


def test_signup_with_javascript_shows_the_result_in_the_page(stack):
    page, form = subscribe(stack, True, "script.reader@example.com")
    status = form.locator(".form-status")
    status.filter(has_text="confirm").wait_for()
    assert status.get_attribute("role") == "status"
    assert page.url == stack["site"] + "/newsletter/"
    assert "script.reader@example.com" in signups(stack)
    page.context.close()


def test_signup_error_with_javascript_marks_the_field_and_focuses_it(stack):
    page, form = subscribe(stack, True, "not-an-address")
    email_field = form.locator("input[name=email]")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'email'")
    assert email_field.get_attribute("aria-invalid") == "true"
    error = page.locator("#" + email_field.get_attribute("aria-describedby"))
    assert "valid email address" in error.inner_text()
    page.context.close()


def test_signup_error_without_javascript_explains_it_on_the_error_page(stack):
    page, _ = subscribe(stack, False, "not-an-address")
    page.wait_for_url("**/form-error/**")
    assert page.url.endswith("#email-invalid")
    assert page.locator("li#email-invalid").is_visible()
    page.context.close()


def send_contact(stack, javascript, name, address, message):
    page = page_for(stack, javascript)
    page.goto(stack["site"] + "/contact/")
    form = page.locator("main form.contact-form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(address)
    form.locator("textarea[name=message]").fill(message)
    time.sleep(TIME_TRAP + 0.2)  # a person takes longer than the time trap
    form.locator("button").click()
    return page, form


def test_contact_messages_from_both_kinds_of_browser_reach_the_inbox_after_sync(stack):
    page, _ = send_contact(stack, False, "Ada Noscript", "ada@example.com", "Hello without JS.")
    page.wait_for_url(stack["site"] + "/contact/thanks/")
    page.context.close()
    page, form = send_contact(stack, True, "Bo Script", "bo@example.com", "Hello with JS.\nLine two.")
    form.locator(".form-status.is-ok").wait_for()
    page.context.close()

    handler = RecordingHandler()
    controller = smtp_server(handler)
    try:
        env = base_env(stack["db"], **smtp_env(controller))
        result = subprocess.run([sys.executable, "-m", "forms.sync"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        controller.stop()
    received = [email.message_from_bytes(m.data, policy=email.policy.default) for m in handler.messages]
    by_sender = {m["Reply-To"].addresses[0].addr_spec: m for m in received}
    assert set(by_sender) == {"ada@example.com", "bo@example.com"}
    message = by_sender["bo@example.com"]
    assert str(message["Reply-To"]) == "Bo Script <bo@example.com>"
    assert message["From"] == "website@example.org" and message["To"] == "team@example.org"
    body = message.get_content().replace("\r\n", "\n")
    assert "> Hello with JS.\n> Line two." in body


def test_contact_sent_too_fast_is_refused_with_a_message(stack):
    page = page_for(stack, javascript=True)
    page.goto(stack["site"] + "/contact/")
    form = page.locator("main form.contact-form")
    form.locator("input[name=name]").fill("Speedy Bot")
    form.locator("input[name=email]").fill("speedy@example.com")
    form.locator("textarea[name=message]").fill("Instant.")
    # A bot posts the moment the page is there: the time trap's stamp is "now".
    form.evaluate("f => f.elements.rendered_at.value = String(Math.floor(Date.now() / 1000))")
    form.locator("button").click()
    form.locator(".form-status.is-bad").wait_for()
    assert "quicker than anyone" in form.locator(".form-status").inner_text()
    stored = rows(stack["db"], "select email from messages")
    assert "speedy@example.com" not in {row["email"] for row in stored}
    page.context.close()
