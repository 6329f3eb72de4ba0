"""A visitor comments, a moderator approves from the mail, the rebuilt page shows
it threaded and escaped; replies notify after approval; links are single-use."""

import json
import re
import time
import urllib.request

from bs4 import BeautifulSoup

from forms.comments import tokens
from tests.comments.conftest import SECRET, links

SLUG = "sales-and-marketing-sibling-rivalry"


def post_with_browser(stack, path, javascript, name, address, body, notify=False, reply_to=None):
    page = stack.page(javascript)
    page.goto(stack.site + path)
    form = page.locator("#comments form.comment-form")
    if reply_to is not None:
        if javascript:
            page.locator("#comments").scroll_into_view_if_needed()
            page.wait_for_selector("html[data-comments=ready]", state="attached")
            page.locator(f"#comment-{reply_to} .comment-reply").first.click()
        else:
            form.locator("select[name=parent]").select_option(str(reply_to))
    form.locator("textarea[name=body]").fill(body)
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(address)
    if notify:
        form.locator("input[name=notify]").check()
    form.locator("button[type=submit]").click()
    return page


def soup_of(stack, path):
    return BeautifulSoup((stack.root / "site" / path.strip("/") / "index.html").read_text(), "lxml")


def confirm_in_browser(stack, url, javascript=False):
    """Open a mailed link (a GET changes nothing), then press its one button."""
    page = stack.page(javascript)
    page.goto(url)
    buttons = page.locator("form button")
    assert buttons.count() == 1
    return page, buttons


def test_post_moderate_rebuild_reply_unsubscribe(stack):
    path = stack.article_path(SLUG)

    # 1. A visitor without JavaScript posts: 303 back to the article, notice shown.
    body = "First! <script>alert('x')</script> I *really* liked [this](https://example.com/a)."
    page = post_with_browser(stack, path, False, "Ada <Lovelace>", "ada@example.com", body, notify=True)
    page.wait_for_url(re.compile(r"\?comment=pending#comments$"))
    assert page.locator(".comment-pending").is_visible()
    [row] = stack.rows("SELECT * FROM comments")
    assert row["status"] == "pending" and row["post"] == path and row["notify"] == "requested"
    assert row["ip"] == "127.0.0.0"  # truncated

    # 2. Each moderator gets one mail with the post, the author, the address and the text.
    mod_mails = stack.wait_mail(2, subject="New comment")
    time.sleep(0.5)
    assert len(stack.mails(subject="New comment")) == 2
    assert sorted(m["To"] for m in mod_mails) == ["mod1@example.org", "mod2@example.org"]
    text = mod_mails[0].get_content()
    assert "ada@example.com" in text and "Ada <Lovelace>" in text and "> First! <script>" in text
    assert "Sales & Marketing" in text
    approve = links(mod_mails[0], "Approve")
    assert approve.startswith(stack.forms.url + "/api/comments/action?t=")
    assert links(mod_mails[0], "Reject") and links(mod_mails[0], "Spam")

    # 3. Opening the Approve link (as a mail scanner would) changes nothing; the button does.
    for _ in range(2):
        with urllib.request.urlopen(approve) as resp:
            assert resp.status == 200 and b"Approve this comment?" in resp.read()
    assert stack.rows("SELECT status FROM comments")[0]["status"] == "pending"
    page, button = confirm_in_browser(stack, approve)
    button.click()
    page.wait_for_load_state()
    assert "The comment is approved" in page.content()
    assert stack.rows("SELECT status FROM comments")[0]["status"] == "approved"
    # Replaying it is refused (a GET still only shows the page; the POST says why).
    page = stack.page(False)
    page.goto(approve)
    assert "already been used" not in page.content()
    reply = stack.client.request("POST", approve[len(stack.forms.url):])
    assert reply.status == 410 and b"already been used" in reply.body

    # 4. The commenter is told, with a delete link and the opt-in confirmation link.
    [published] = stack.wait_mail(1, to="ada@example.com", subject="is published")
    confirm = links(published, None)
    notify_link = [u for u in confirm if "/api/comments/action" in u][0]
    page, button = confirm_in_browser(stack, notify_link)
    assert "Email you when someone replies?" in page.content()
    button.click()
    page.wait_for_load_state()
    assert stack.rows("SELECT notify FROM comments")[0]["notify"] == "confirmed"

    # 5. Rebuild with COMMENTS_SOURCE: the comment is on the page, escaped, counted.
    stack.build()
    soup = soup_of(stack, path)
    [first_id] = [r["id"] for r in stack.rows("SELECT id FROM comments")]
    li = soup.select_one(f"#comments #comment-{first_id}")
    assert li.select_one(".comment-author").get_text() == "Ada <Lovelace>"
    html = str(li.select_one(".comment-text"))
    assert "<script" not in html and "<em>really</em>" in html
    assert 'rel="nofollow ugc noopener"' in html
    assert li.select_one("time")["datetime"].startswith("20")
    assert li.select_one("a.comment-link")["href"] == f"#comment-{first_id}"
    assert soup.select_one(".meta a[href='#comments-title']").get_text() == "1 comment"
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["commentCount"] == 1 and data["comment"][0]["author"]["name"] == "Ada <Lovelace>"

    # 6. A reply with JavaScript: Reply link, posted in place, awaiting moderation.
    page = post_with_browser(stack, path, True, "Grace", "grace@example.com",
                             "Agreed, and a reply.", reply_to=first_id)
    page.locator(".comment-form .form-status.is-ok").wait_for()
    assert "awaiting moderation" in page.locator(".comment-form .form-status").inner_text()
    reply_row = stack.rows("SELECT * FROM comments WHERE email = 'grace@example.com'")[0]
    assert reply_row["parent_id"] == first_id and reply_row["status"] == "pending"
    stack.wait_mail(4, subject="New comment")
    time.sleep(0.6)
    assert not stack.mails(to="ada@example.com", subject="replied")  # not before approval

    # 7. Approved with `make comments`: now the first commenter hears of it, with RFC 8058 headers.
    result = stack.comments_cli("approve", str(reply_row["id"]))
    assert result.returncode == 0, result.stderr
    [notice] = stack.wait_mail(1, to="ada@example.com", subject="replied")
    assert "Agreed, and a reply." in notice.get_content()
    unsubscribe = notice["List-Unsubscribe"].strip("<>")
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in notice.get_content()
    one_click = stack.client.request("POST", unsubscribe[len(stack.forms.url):],
                                     b"List-Unsubscribe=One-Click",
                                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status == 200
    assert stack.rows("SELECT notify FROM comments WHERE id = ?", (first_id,))[0]["notify"] == "unsubscribed"

    # 8. A later approved reply sends Ada nothing.
    stack.client.post_json("/api/comments", {"post": path, "name": "Linus", "email": "linus@example.com",
                                              "body": "Another reply", "parent": first_id})
    linus = stack.rows("SELECT id FROM comments WHERE email = 'linus@example.com'")[0]["id"]
    assert stack.comments_cli("approve", str(linus)).returncode == 0
    stack.wait_mail(1, to="linus@example.com", subject="is published")
    time.sleep(0.6)
    assert len(stack.mails(to="ada@example.com", subject="replied")) == 1

    # 9. The page, rebuilt, threads the replies under the first comment; the list lists them.
    stack.build()
    soup = soup_of(stack, path)
    nested = soup.select(f"#comment-{first_id} > ol.comment-replies > li.comment")
    assert [li["id"] for li in nested] == [f"comment-{reply_row['id']}", f"comment-{linus}"]
    listed = stack.comments_cli("list", "approved")
    assert "3 approved comment(s)" in listed.stdout

    # 10. The commenter deletes her comment with the mailed link: replies move up.
    delete = [u for u in links(published) if "/api/comments/action" in u and u != notify_link][0]
    page, button = confirm_in_browser(stack, delete)
    assert "Delete your comment?" in page.content()
    button.click()
    page.wait_for_load_state()
    assert not stack.rows("SELECT * FROM comments WHERE id = ?", (first_id,))
    assert stack.rows("SELECT parent_id FROM comments WHERE id = ?", (reply_row["id"],))[0]["parent_id"] is None


def test_spam_reject_replay_expired(stack):
    path = stack.article_path(SLUG)
    before = len(stack.mails(subject="New comment"))
    for who in ("spammer", "rude"):
        reply = stack.client.form("/api/comments", {"post": path, "name": who, "email": f"{who}@example.net",
                                                   "body": f"Comment from {who}"})
        assert reply.status == 303 and reply.location == f"{stack.site}{path}?comment=pending#comments"
    mails = stack.wait_mail(before + 4, subject="New comment")[before:]
    spam_mail = [m for m in mails if "spammer" in m["Subject"]][0]
    rude_mail = [m for m in mails if "rude" in m["Subject"]][0]

    for mail, label, status in ((spam_mail, "Spam", "spam"), (rude_mail, "Reject", "rejected")):
        page, button = confirm_in_browser(stack, links(mail, label), javascript=True)
        button.click()
        page.wait_for_load_state()
        assert f"marked {status}" in page.content()
    assert stack.rows("SELECT status FROM comments WHERE name = 'spammer'")[0]["status"] == "spam"
    assert stack.rows("SELECT status FROM comments WHERE name = 'rude'")[0]["status"] == "rejected"

    # The same link again, and the other moderator's Approve for a comment already handled.
    again = stack.client.request("POST", links(spam_mail, "Spam")[len(stack.forms.url):])
    assert again.status == 410 and b"already been used" in again.body
    other = [m for m in mails if "spammer" in m["Subject"] and m is not spam_mail][0]
    late = stack.client.request("POST", links(other, "Approve")[len(stack.forms.url):])
    assert late.status == 200
    assert stack.rows("SELECT status FROM comments WHERE name = 'spammer'")[0]["status"] == "approved"

    # Expired and forged links are refused, by GET and by POST, and change nothing.
    rude = stack.rows("SELECT id FROM comments WHERE name = 'rude'")[0]["id"]
    expired = tokens.sign(SECRET, "approve", rude, -5)
    forged = tokens.sign("another-secret", "approve", rude, 3600)
    for token, reason in ((expired, b"expired"), (forged, b"not made by this site"), ("garbage", b"damaged")):
        for method in ("GET", "POST"):
            reply = stack.client.request(method, f"/api/comments/action?t={token}")
            assert reply.status == 410 and reason in reply.body, (method, reply.body)
    assert stack.rows("SELECT status FROM comments WHERE id = ?", (rude,))[0]["status"] == "rejected"
    # Spam/reject from the command line too.
    assert stack.comments_cli("spam", str(rude)).returncode == 0
    assert stack.rows("SELECT status FROM comments WHERE id = ?", (rude,))[0]["status"] == "spam"
    assert stack.comments_cli("reject", "999999").returncode == 1
