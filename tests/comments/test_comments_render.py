"""The shared Markdown-to-safe-HTML function, avatars and signed tokens."""

import time

import pytest

from forms.comments import tokens
from forms.comments.avatar import avatar_key, hue, initials
from forms.comments.render import count_links, markdown_to_html, wordpress_to_html


@pytest.mark.parametrize("text, expected", [
    ("*hi* **there** `code`", "<p><em>hi</em> <strong>there</strong> <code>code</code></p>"),
    ("[site](https://example.com/)", '<p><a href="https://example.com/" rel="nofollow ugc noopener">site</a></p>'),
    ("[mail](mailto:a@example.com)", '<p><a href="mailto:a@example.com" rel="nofollow ugc noopener">mail</a></p>'),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("[rel](/local/)", "<p>rel</p>"),
    # An image is never loaded: it stays a plain link.
    ("![img](https://tracker.example/p.gif)",
     "<p>!<a href=\"https://tracker.example/p.gif\" rel=\"nofollow ugc noopener\">img</a></p>"),
    ("# Heading", "<p># Heading</p>"),
    ("<b onclick=x>raw</b>", "<p>&lt;b onclick=x&gt;raw&lt;/b&gt;</p>"),
    ("> quote\n\n- a\n- b", "<blockquote>\n<p>quote</p>\n</blockquote>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
])
def test_markdown(text, expected):
    assert markdown_to_html(text) == expected


def test_wordpress_html():
    assert wordpress_to_html("Line one\nline two\n\nNext <strong>para</strong>") == \
        "<p>Line one<br>line two</p><p>Next <strong>para</strong></p>"
    assert wordpress_to_html('<p style="x" class="y" title="t">a<img src=x onerror=alert(1)></p>') == "<p>a</p>"
    assert wordpress_to_html("<h1>Head</h1><table><tr><td>cell</td></tr></table>") == "Headcell"


def test_link_count():
    assert count_links("see https://a.example and www.b.example and mailto:c@d.example") == 3


def test_avatar():
    a = avatar_key("secret", "Ada@Example.com ")
    assert a == avatar_key("secret", "ada@example.com") != avatar_key("other", "ada@example.com")
    assert len(a) == 12 and 0 <= hue(a) < 360
    assert initials("Ada Lovelace") == "AL" and initials("grace") == "G"
    assert initials("John Γιάννης Doe Κάποιος") == "JΚ" and initials("  !!  ") == "?"


def test_tokens():
    token = tokens.sign("k", "approve", 7, 60)
    parsed = tokens.verify("k", token)
    assert (parsed.action, parsed.comment_id) == ("approve", 7)
    with pytest.raises(tokens.BadToken, match="expired"):
        tokens.verify("k", token, now=time.time() + 61)
    with pytest.raises(tokens.BadToken, match="not made by this site"):
        tokens.verify("other", token)
    head, _, tail = token.partition(".")
    forged = tokens._b64(tokens._unb64(head).replace(b"approve:7", b"approve:8")) + "." + tail
    with pytest.raises(tokens.BadToken):
        tokens.verify("k", forged)
