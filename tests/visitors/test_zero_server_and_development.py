"""Where the forms go, as a visitor finds out in Chromium. A publish build with
no forms service and no hosted signup form (zero-server) shows no form that
goes nowhere and no link from a page to itself, and the build says signups go
nowhere. The development build, as `make serve` previews it, posts its forms
to the preview's own /api: they work, with and without JavaScript."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.quality.helpers import ROOT, build_site
from tests.support.browser import serve_directory
from tests.support.servers import free_port, rows

from .look import ARTICLE, WIDTHS

NOWHERE_ENV = {"FORMS_URL": "", "MAILCHIMP_FORM_ACTION": "", "CONTACT_FORM_ACTION": ""}


@pytest.fixture(scope="module")
def zero_server(tmp_path_factory):
    output = tmp_path_factory.mktemp("zero-server")
    port = free_port()
    result = build_site(output, f"http://127.0.0.1:{port}", NOWHERE_ENV)
    assert result.returncode == 0, result.stderr
    with serve_directory(output, port=port) as origin:
        yield origin, result


def test_a_zero_server_build_says_signups_go_nowhere(zero_server):
    _, result = zero_server
    assert "Advice" in result.stderr and "signups go nowhere" in result.stderr


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_zero_server_pages_show_no_form_that_goes_nowhere(zero_server, site, width, javascript):
    origin, _ = zero_server
    for path in ("/", ARTICLE, "/newsletter/", "/contact/", "/about/"):
        context = site.browser.new_context(viewport={"width": width, "height": 800},
                                           java_script_enabled=javascript)
        page = context.new_page()
        page.goto(origin + path)
        posting = page.locator("form[method=post]:visible").count()
        self_links = page.evaluate("""[...document.querySelectorAll('main a[href]')]
            .filter(a => a.pathname === location.pathname && !a.hash).map(a => a.textContent)""")
        context.close()
        assert posting == 0, path
        assert self_links == [], (path, self_links)


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """`make serve` on a copy of the content: the development build and the forms API at /api."""
    root = tmp_path_factory.mktemp("preview")
    content = root / "content"
    shutil.copytree(ROOT / "content", content)
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FORMS_", "MAILCHIMP_", "SMTP_", "CONTACT_", "SUBSCRIBE_"))}
    env.update(SITEURL="", FORMS_DB=str(root / "forms.sqlite3"), FORMS_WORKER="0", FORMS_RATE_LIMIT="0",
               CONTACT_MIN_SECONDS="0")  # make serve points FORMS_ERROR_PAGE at its own build
    with open(root / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.serve", "--port", str(port), "--content", str(content),
             "--output", str(root / "output")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(url + "/newsletter/", timeout=2) as reply:
                        if reply.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, (root / "serve.log").read_text()
                time.sleep(0.2)
            yield url, root
        finally:
            process.terminate()
            process.wait(timeout=15)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_development_forms_post_to_the_preview_and_work(preview, site, javascript):
    url, root = preview
    address = f"dev.{'js' if javascript else 'nojs'}@example.com"
    context = site.browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(url + "/newsletter/")
    form = page.locator("main form.signup-form")
    action = form.evaluate("f => f.action")
    assert urlsplit(action)[:2] == urlsplit(url)[:2] and urlsplit(action).path == "/api/subscribe"
    form.locator("input[name=email]").fill(address)
    form.locator("input[name=consent]").check()
    form.locator("button:not([type=button])").click()
    if javascript:
        form.locator(".form-status.is-ok").wait_for(timeout=10000)
    else:
        page.wait_for_url(url + "/newsletter/thanks/")
    context.close()
    assert address in {r["email"] for r in rows(root / "forms.sqlite3", "select email from signups")}


def test_development_no_js_mistake_gets_the_filled_in_error_page(preview, site):
    url, _ = preview
    context = site.browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "/newsletter/")
    form = page.locator("main form.signup-form")
    form.locator("input[name=email]").fill("dev.example.com")
    form.locator("button:not([type=button])").click()
    page.locator(".error-summary").wait_for()
    kept = page.locator("main form.signup-form input[name=email]").input_value()
    context.close()
    assert kept == "dev.example.com"
