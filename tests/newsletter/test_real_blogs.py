"""Two real, public Pelican blogs (tests/fixtures/pelican_blog/README.md names
their sources and licences: 66 Full Stack Python posts with raw <img> tags and
site-relative links, 84 Bossy Lobster posts with remote images) become
newsletter emails: every one inbox-safe, none over the size limit, and their
`newsletters: False` honoured."""

from __future__ import annotations

import json
import re
import shutil

from lxml import html as lxml_html

from .conftest import ROOT, SITEURL, run_build
from .test_email import LIMIT, absolute

FIXTURES = ROOT / "tests" / "fixtures" / "pelican_blog"
BLOGS = {"fullstackpython": 66, "bossylobster": 84}


def test_real_posts_make_inbox_safe_emails(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    for blog in BLOGS:
        (content / "posts" / blog).mkdir()
        for post in (FIXTURES / blog).glob("*.m*d*"):
            shutil.copy(post, content / "posts" / blog / post.name)
    issues_file = tmp_path / "issues.json"
    result = run_build(content, tmp_path / "out", issues_file)
    assert result.returncode == 0, result.stderr[-3000:]
    issues = json.loads(issues_file.read_text())["issues"]
    real = [i for i in issues if i["source_path"].startswith(("posts/fullstackpython", "posts/bossylobster"))]
    assert len(real) == sum(BLOGS.values()) == 150
    off = {i["slug"] for i in real if not i["newsletter"]}
    # Full Stack Python marks posts `newsletter: False` (55) or `newsletters: False` (1).
    declared = [p for p in (FIXTURES / "fullstackpython").glob("*.markdown")
                if re.search(r"(?m)^newsletters?: False$", p.read_text(encoding="utf-8"))]
    assert len(declared) == 56 and len(off) == len(declared)
    images = converted = 0
    for issue in real:
        root = lxml_html.document_fromstring(issue["html"])
        name = issue["source_path"]
        assert not root.xpath("//script | //svg | //form | //iframe | //link | //object"), name
        assert issue["size"] < LIMIT, (name, issue["size"])
        assert "*|UNSUB|*" in issue["html"], name
        for node in root.xpath("//*[@href] | //*[@src]"):
            url = node.get("href") or node.get("src")
            assert absolute(url), f"{name}: {url!r}"
        for img in root.iter("img"):
            images += 1
            assert img.get("alt") is not None, name
            assert not img.get("src").lower().split("?")[0].endswith(".svg"), name
            converted += img.get("src").startswith(f"{SITEURL}/images/email/")
        assert issue["text"].strip(), name
    assert images > 150  # raw <img> tags and Markdown images of both blogs
    print(f"\nreal Pelican blogs: {len(real)} emails, {images} images, largest "
          f"{max(i['size'] for i in real) / 1024:.1f} KB, {len(off)} with newsletters: False, "
          f"{converted} SVG images as PNG")
