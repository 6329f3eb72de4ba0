"""A comment approved after the last build, as a reader meets it in Chromium:
the page's script adds it from the service's export looking like the built
ones (the same date format, in the site's time zone, an avatar), with a Reply
link, and a reply to it is stored as a reply (with its parent), whether the
page was built with comments (an "In reply to" list) or without any."""

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.comments.conftest import make_stack

SLUG = "sales-and-marketing-sibling-rivalry"
BUILT_DATE = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")  # plugins/comments/thread.py's date_text


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from make_stack(tmp_path_factory, "comments-after-build", COMMENTS_MODERATION="all")


def post_and_approve(stack, path, name, body, parent=None):
    fields = {"post": path, "name": name, "email": f"{name.split()[0].lower()}@example.com", "body": body}
    if parent:
        fields["parent"] = str(parent)
    reply = stack.client.json_form("/api/comments", fields, {"Origin": stack.site})
    assert reply.status == 200, reply.body
    approved = stack.comments_cli("approve", str(reply.json["id"]))
    assert approved.returncode == 0, approved.stdout + approved.stderr
    return reply.json["id"]


def open_comments(stack, path, width, scheme):
    context = stack.browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(stack.site + path)
    page.locator("#comments").scroll_into_view_if_needed()
    page.wait_for_selector("html[data-comments]", state="attached", timeout=15000)
    return page


def expected_date(stack, comment_id):
    [row] = stack.rows("SELECT created_at FROM comments WHERE id = ?", (comment_id,))
    moment = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ZoneInfo("Europe/London"))
    return f"{moment.day} {moment:%B %Y}"


def reply_in_browser(page, comment_id, name, body):
    page.locator(f"#comment-{comment_id} > .comment-reply").click()
    form = page.locator("#comments form.comment-form")
    form.locator("textarea[name=body]").fill(body)
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill("reply@example.com")
    form.locator("button:not([type=button])").click()
    form.locator(".form-status.is-ok").wait_for(timeout=10000)


def parent_of_newest(stack):
    return stack.rows("SELECT parent_id FROM comments ORDER BY id DESC LIMIT 1")[0]["parent_id"]


def test_on_a_page_built_without_comments(stack):
    path = stack.article_path(SLUG)
    first = post_and_approve(stack, path, "Ada Lovelace", "Approved after the build.")
    page = open_comments(stack, path, 375, "dark")
    try:
        added = page.locator(f"#comment-{first}")
        added.wait_for()
        assert added.locator(".comment-reply").is_visible()
        shown = added.locator("time").inner_text()
        assert BUILT_DATE.match(shown) and shown == expected_date(stack, first)
        assert added.locator(".avatar").inner_text() == "AL"
        assert page.locator(".comments-none").count() == 0
        page.locator(f"#comment-{first} > .comment-reply").click()
        assert "Replying to Ada Lovelace" in page.locator(".comment-replying").inner_text()
        page.locator(".comment-reply-cancel").click()
        assert page.locator("#comments [name=parent]").input_value() == ""
        reply_in_browser(page, first, "Bo Reply", "A reply to a comment the build never saw.")
    finally:
        page.context.close()
    assert parent_of_newest(stack) == first


def test_on_a_page_built_with_comments(stack):
    path = stack.article_path(SLUG)
    stack.build(comments_source=True)  # the comments so far are in the page
    built = stack.rows("SELECT id FROM comments WHERE status = 'approved' ORDER BY id")[0]["id"]
    later = post_and_approve(stack, path, "Cy Later", "Approved after this build.")
    page = open_comments(stack, path, 1280, "light")
    try:
        built_date = page.locator(f"#comment-{built} time").inner_text()
        added = page.locator(f"#comment-{later}")
        added.wait_for()
        assert BUILT_DATE.match(added.locator("time").inner_text()) and BUILT_DATE.match(built_date)
        assert added.locator(".comment-reply").is_visible()
        page.locator(f"#comment-{later} > .comment-reply").click()
        assert page.locator("#comments select[name=parent]").input_value() == str(later)
        reply_in_browser(page, later, "Di Reply", "A reply through the In reply to list.")
    finally:
        page.context.close()
    assert parent_of_newest(stack) == later
