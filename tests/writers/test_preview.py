"""`make serve` as a writer uses it: a real preview server, a real browser.

The preview builds a temporary copy of the content, reloads the open tab
after a save, shows a broken post as an error page naming file and field,
lists drafts, and answers the forms API on the same origin."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch
from tests.support.servers import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = "sales-and-marketing-sibling-rivalry"


def status(url):
    with urllib.request.urlopen(url + "/__preview/status", timeout=5) as response:
        return json.load(response)


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()
    except urllib.error.HTTPError:
        return ""


def settled(url, timeout=120):
    """Until no build runs or waits: a tab opened now is not reloaded under the test."""
    wait_for(lambda: not status(url)["building"], timeout)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    root = tmp_path_factory.mktemp("preview")
    content = root / "content"
    shutil.copytree(os.path.join(ROOT, "content"), content)
    future = content / "posts" / "zz-scheduled.md"
    future.write_text("Title: A post from the future\nDate: 2099-01-01 09:00\n"
                      "Category: Strategy\nTags: planning\n\nNot yet.\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "FORMS_DB": str(root / "forms.sqlite3"), "FORMS_WORKER": "0",
           "FORMS_RATE_LIMIT": "0", "CONTACT_MIN_SECONDS": "0", "SITEURL": ""}
    env.pop("FORMS_URL", None)
    log = open(root / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.serve", "--port", str(port),
         "--content", str(content), "--output", str(root / "output")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return status(url)["generation"] >= 1
        except OSError:
            return False

    try:
        wait_for(ready, timeout=60)
        yield {"url": url, "content": content, "root": root}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def article_url(preview):
    with urllib.request.urlopen(preview["url"] + "/archives/") as response:
        page = response.read().decode()
    start = page.index(f"/{SEED}/")
    return preview["url"] + page[page.rindex('"', 0, start) + 1:start + len(SEED) + 2]


def test_saving_a_post_reloads_the_open_tab(preview, browser):
    page = browser.new_page()
    page.goto(article_url(preview))
    assert "Sibling Rivalry" in page.locator("h1").inner_text()
    post = preview["content"] / "posts" / f"{SEED}.md"
    original = post.read_text(encoding="utf-8")
    try:
        post.write_text(original.replace("Title: Sales & Marketing: The Classic Sibling Rivalry",
                                         "Title: Siblings, Edited Live"), encoding="utf-8")
        page.wait_for_function("document.querySelector('h1').textContent.includes('Edited Live')",
                               timeout=20000)
    finally:
        post.write_text(original, encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').textContent.includes('Sibling Rivalry')",
                           timeout=20000)
    page.close()


def test_a_broken_post_shows_an_error_page_naming_file_and_field(preview, browser):
    page = browser.new_page()
    page.goto(article_url(preview))
    post = preview["content"] / "posts" / f"{SEED}.md"
    original = post.read_text(encoding="utf-8")
    try:
        post.write_text(original.replace("Date: 2026-03-14 09:30", "Date: someday soon"),
                        encoding="utf-8")
        page.wait_for_function("document.querySelector('h1').textContent.includes('build failed')",
                               timeout=20000)
        report = page.locator("pre").inner_text()
        assert f"{SEED}.md" in report and "Date" in report and "someday soon" in report
        # Only that page: the rest of the site answers as it is, with a note
        # naming the broken file, so the writer keeps working on it.
        other = browser.new_page()
        response = other.goto(preview["url"] + "/")
        assert response.status == 200 and "build failed" not in other.locator("h1").first.inner_text()
        assert f"{SEED}.md" in other.locator("#preview-problems").inner_text()
        assert "this page is fine" in other.locator("#preview-problems summary").inner_text()
        other.close()
    finally:
        post.write_text(original, encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').textContent.includes('Sibling Rivalry')",
                           timeout=20000)
    page.close()


def test_a_broken_link_in_the_text_shows_on_its_page_at_once(preview, browser):
    """An edit of the text alone (the front matter as it was) is checked as a
    full build checks it: a broken {filename} link shows on the post's page."""
    settled(preview["url"])
    page = browser.new_page()
    page.goto(article_url(preview))
    post = preview["content"] / "posts" / f"{SEED}.md"
    original = post.read_text(encoding="utf-8")
    try:
        post.write_text(original + "\nSee [the plan]({filename}/posts/no-such-post.md).\n", encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('build failed')", timeout=30000)
        report = page.locator("pre").inner_text()
        assert f"{SEED}.md" in report and "no-such-post.md" in report
    finally:
        post.write_text(original, encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').textContent.includes('Sibling Rivalry')",
                           timeout=30000)
    # Putting the text back was read as an edit of the text: one file read, one page rendered.
    assert status(preview["url"])["render"]["way"] == "text"
    page.close()


def test_drafts_and_scheduled_posts_are_listed_in_preview(preview, browser):
    page = browser.new_page()
    page.goto(preview["url"] + "/drafts/")
    listing = page.locator("main").inner_text()
    assert "A Landing Page Checklist" in listing
    assert "A post from the future" in listing and "(scheduled)" in listing
    page.click("text=A post from the future")
    assert "Scheduled" in page.locator(".meta").first.inner_text()
    page.goto(preview["url"] + "/")
    assert "A post from the future" not in page.locator("main").inner_text()
    page.close()


def test_forms_work_on_the_same_origin(preview, browser):
    settled(preview["url"])
    page = browser.new_page()
    page.goto(preview["url"] + "/newsletter/")
    form = page.locator("main form.signup-form")
    assert form.get_attribute("action") == preview["url"] + "/api/subscribe"
    form.locator("input[type=email]").fill("preview.reader@example.com")
    form.locator("input[type=checkbox]").check()
    form.locator("button[type=submit]").click()
    # "Sending…" shows at once; wait for the answer itself.
    page.wait_for_function("document.querySelector('main .form-status.is-ok, main .form-status.is-bad')")
    assert "is-ok" in form.locator(".form-status").get_attribute("class"), form.locator(".form-status").inner_text()
    import sqlite3
    with sqlite3.connect(preview["root"] / "forms.sqlite3") as db:
        emails = [row[0] for row in db.execute("select email from signups")]
    assert "preview.reader@example.com" in emails
    page.close()


def test_advice_shows_over_the_page_and_the_site_still_builds(preview, browser):
    page = browser.new_page()
    page.goto(article_url(preview))
    assert page.locator("#preview-advice").count() == 0
    post = preview["content"] / "posts" / "zz-advice.md"
    summary = "A summary that runs on " + "and on " * 22 + "past what search results show."
    post.write_text(f"Title: Advice please\nDate: 2026-01-05 10:00\nCategory: Strategy\n"
                    f"Summary: {summary}\n\nText with ![](https://images.example.org/x.png).\n",
                    encoding="utf-8")
    try:
        page.wait_for_selector("#preview-advice", timeout=20000)
        page.locator("#preview-advice summary").click()
        advice = page.locator("#preview-advice").inner_text()
        assert "zz-advice.md:4: Summary is" in advice
        assert "no alt text" in advice and "another host (images.example.org)" in advice
        assert "Sibling Rivalry" in page.locator("h1").inner_text()  # the page itself, not an error page
        assert status(preview["url"])["ok"] is True
        assert any("zz-advice.md" in line for line in status(preview["url"])["advice"])
        # Another post saved: the preview reads only that one from its content
        # cache, and the advice about the first is still there.
        seed = preview["content"] / "posts" / f"{SEED}.md"
        original = seed.read_text(encoding="utf-8")
        generation = status(preview["url"])["generation"]
        try:
            seed.write_text(original + "\nOne more line.\n", encoding="utf-8")
            wait_for(lambda: status(preview["url"])["generation"] > generation)
            assert any("zz-advice.md:4: Summary" in line for line in status(preview["url"])["advice"])
        finally:
            seed.write_text(original, encoding="utf-8")
    finally:
        post.unlink()
    page.wait_for_function("!document.querySelector('#preview-advice')", timeout=20000)
    page.close()


def test_comments_work_in_preview(preview, browser):
    """A comment posted in the preview and approved with make comments shows
    by itself: the approval rebuilds the site, and the open tab reloads."""
    settled(preview["url"])
    page = browser.new_page()
    page.goto(preview["url"] + "/2026/03/sales-and-marketing-sibling-rivalry/")
    form = page.locator("#comments form")
    assert form.get_attribute("action") == preview["url"] + "/api/comments"
    form.locator("textarea[name=body]").fill("Written in the preview.")
    form.locator("input[name=name]").fill("Pat Preview")
    form.locator("input[name=email]").fill("pat@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#comments .form-status.is-ok, #comments .form-status.is-bad')")
    assert "awaiting moderation" in form.locator(".form-status").inner_text()
    with sqlite3.connect(preview["root"] / "forms.sqlite3") as db:
        [(comment_id,)] = db.execute("select id from comments where name = 'Pat Preview'").fetchall()
    env = {**os.environ, "FORMS_DB": str(preview["root"] / "forms.sqlite3")}
    approved = subprocess.run([sys.executable, "-m", "forms.comments", "approve", str(comment_id)],
                              cwd=ROOT, env=env, capture_output=True, text=True)
    assert approved.returncode == 0, approved.stderr
    page.wait_for_function(f"document.getElementById('comment-{comment_id}')", timeout=60000)
    page.close()


def test_the_pages_name_the_preview_s_own_port(preview, browser):
    """Canonical URLs, share links and the email previews' images use the
    preview's address, whatever PORT it was given."""
    page = browser.new_page()
    page.goto(article_url(preview))
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical.startswith(preview["url"] + "/"), canonical
    shares = page.eval_on_selector_all("a[href*='share'], a[href^='mailto:']", "as => as.map(a => a.href)")
    assert shares and not any("127.0.0.1:8000" in href for href in shares)
    page.goto(preview["url"] + f"/newsletter/preview/{SEED}/")
    images = page.eval_on_selector_all("img", "is => is.map(i => [i.src, i.naturalWidth])")
    assert images and all(src.startswith(preview["url"]) and width > 0 for src, width in images), images
    page.close()


def test_a_broken_draft_shows_its_error_on_its_own_page_only(preview, browser):
    draft = preview["content"] / "posts" / "zz-draft.md"
    draft.write_text("Title: A draft in the works\nDate: 2026-01-06 10:00\nStatus: draft\n"
                     "Category: Strategy\n\nFirst lines.\n", encoding="utf-8")
    page = browser.new_page()
    try:
        wait_for(lambda: "First lines" in _fetch(preview["url"] + "/drafts/a-draft-in-the-works/"), timeout=60)
        page.goto(preview["url"] + "/drafts/a-draft-in-the-works/")
        draft.write_text(draft.read_text(encoding="utf-8").replace("Date: 2026-01-06 10:00", "Date: tomorrow-ish"),
                         encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('build failed')", timeout=60000)
        assert "zz-draft.md" in page.locator("pre").inner_text()
        for path in ("/", "/archives/", "/drafts/", "/about/"):
            assert urllib.request.urlopen(preview["url"] + path).status == 200, path
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(preview["url"] + "/drafts/a-draft-in-the-works/")
        assert error.value.code == 500
    finally:
        draft.unlink()
        page.close()


def test_a_failing_search_index_is_shown_not_served_as_500s(tmp_path):
    """Pagefind failing (here: an argument it does not know) is one output's
    failure: every page still answers, with a note naming the problem."""
    from tools.bench.writer_loop import Preview

    content = tmp_path / "content"
    shutil.copytree(os.path.join(ROOT, "content"), content)
    env = {"PREVIEW_EXTRA_SETTINGS": 'SEARCH_PAGEFIND_ARGS=["--no-such-option"]'}
    with Preview(content, tmp_path, env=env) as preview:
        state = preview.settled()
        assert not state["ok"] and "Pagefind failed" in state["problems"]
        for path in ("/", "/about/", "/search/", "/archives/"):
            assert preview.answer(path) == 200, path
        page = _fetch(preview.url + "/")
        assert 'id="preview-problems"' in page and "Pagefind failed" in page
