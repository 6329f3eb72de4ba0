"""The site as a visitor meets it: `make publish`'s build on a loopback static
server, the forms service under uvicorn on another origin (as deployed), and
headless Chromium at a phone's and a desktop's width, in light and dark, with
JavaScript on and off.

    site        the running stack: .url, .forms, .db, .output, .open(path, ...)

What the tests look at, and how, is in look.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.quality.helpers import StaticServer, build_site
from tests.support.browser import launch
from tests.support.servers import FormsServer, base_env, free_port



class Site:
    def __init__(self, url, forms, db, output, browser):
        self.url, self.forms, self.db, self.output, self.browser = url, forms, db, output, browser

    def open(self, path, width=1280, scheme="light", javascript=True, height=800):
        """A new page in its own context, loaded; close it with page.context.close()."""
        context = self.browser.new_context(viewport={"width": width, "height": height},
                                           color_scheme=scheme, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(self.url + path, wait_until="load")
        return page


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("visitor-site")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    db = root / "outbox.sqlite3"
    forms = FormsServer(base_env(db, SITEURL=origin, FORMS_ALLOWED_ORIGINS=origin,
                                 FORMS_ERROR_PAGE=origin + "/form-error/",
                                 CONTACT_MIN_SECONDS="0"), root / "forms.log")
    result = build_site(root / "output", origin, {"FORMS_URL": forms.url})
    assert result.returncode == 0, result.stderr + result.stdout
    forms.start()
    try:
        with StaticServer(root / "output", port), sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                yield Site(origin, forms, db, root / "output", browser)
            finally:
                browser.close()
    finally:
        forms.stop()
