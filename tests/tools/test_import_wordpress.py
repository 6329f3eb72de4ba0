"""Tests for tools.import_wordpress against a small WXR export (fixtures/export.xml)."""

import json
import logging
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools import import_wordpress as wp
from tools.wordpress import markup as wp_markup
from tools.slugs import read_front_matter

FIXTURE = Path(__file__).parent / "fixtures" / "export.xml"
POST = "posts/sales-and-marketing-sibling-rivalry.md"
PAGE = "pages/contact.md"
DRAFT = "posts/notes-on-pricing-workshops.md"


def run_import(content, capsys, *extra):
    code = wp.main([str(FIXTURE), "--content", str(content), *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def imported(tmp_path, capsys):
    content = tmp_path / "content"
    code, out, err = run_import(content, capsys)
    assert code == 0, err
    return content, out


def body_of(path):
    return path.read_text(encoding="utf-8").split("\n\n", 1)[1]


def test_writes_posts_and_pages_only(imported):
    content, _ = imported
    files = sorted(str(p.relative_to(content)) for p in content.rglob("*.md"))
    assert files == [PAGE, DRAFT, POST]


def test_post_front_matter(imported):
    content, _ = imported
    assert read_front_matter(content / POST) == {
        "title": "Sales & Marketing: The Classic Sibling Rivalry",
        "date": "2026-03-14 09:30",
        "modified": "2026-03-20 16:05",
        "category": "Strategy",
        "tags": "Teams, sales, marketing, alignment",
        "authors": "Dana Reyes",
        "summary": "Sales and marketing chase the same customers on different clocks. "
                   "Here is why they clash and how to get them working together.",
        "slug": "sales-and-marketing-sibling-rivalry",
        "status": "published", "newsletter": "off", "wordpress_id": "101",
    }


def test_page_and_draft_front_matter(imported):
    content, _ = imported
    assert read_front_matter(content / PAGE) == {
        "title": "Contact us", "date": "2026-01-05 08:00", "authors": "Dana Reyes",
        "slug": "contact", "status": "published", "wordpress_id": "7",
    }
    # no wp:post_name (never published): the slug comes from the title; Modified equal to Date is dropped
    assert read_front_matter(content / DRAFT) == {
        "title": "Notes on pricing workshops", "date": "2026-04-02 11:15", "category": "Strategy",
        "authors": "Dana Reyes", "slug": "notes-on-pricing-workshops", "status": "draft",
        "wordpress_id": read_front_matter(content / DRAFT)["wordpress_id"],
    }


def test_post_body_markdown(imported):
    content, _ = imported
    body = body_of(content / POST)
    headings = re.findall(r"^(#+) (.+)$", body, flags=re.M)
    assert headings == [("##", "1. The Audience"), ("##", "2. The Time Frame"), ("##", "3. The Goals"),
                        ("##", "Inherent Dysfunction"), ("##", "Best of Both Worlds")]
    blocks = body.strip().split("\n\n")
    assert blocks[0] == (
        '<figure class="aligncenter">\n'
        '<img src="https://old.example.com/wp-content/uploads/2026/03/two-teams.jpg" '
        'alt="Two teams pulling on one rope" width="800" height="450">\n'
        "<figcaption>Two teams, one rope, and nobody moving.</figcaption>\n"
        "</figure>")
    assert blocks[1].startswith("Ask a sales lead") and blocks[2].startswith("The friction")
    audience = blocks.index("## 1. The Audience")
    assert blocks[audience + 1].startswith("Marketing talks to many people")
    assert blocks[audience + 2].startswith("Sales talks to one buyer")
    assert blocks[audience + 3] == "## 2. The Time Frame"
    assert "**Want to get your teams on the same page? Let's grab a drink and talk.**" in blocks
    assert blocks[-2:] == ["Sign up below to receive email updates!", "[signup]"]
    assert "contact-form-7" not in body and "[caption" not in body


def test_page_body_keeps_contact_form_and_drops_an_empty_gallery(imported):
    content, out = imported
    # the gallery's ids are not in the export and the page has no attached images: removed, and reported
    assert body_of(content / PAGE) == (
        "Tell us about your project and we will get back to you within two working days.\n\n"
        "Prefer the phone? Call the office on weekdays.  \nWe answer between nine and five.\n\n"
        "[contact]\n")
    assert f"Galleries with no images in the export (removed; add the images by hand):\n  {content / PAGE}\n" in out


def test_summary_lists_what_needs_a_human(imported):
    content, out = imported
    assert "written: 2 posts, 1 page" in out
    assert "skipped: 1 attachment, 1 nav_menu_item" in out
    comments_file = content.parent / "var" / "import" / "wordpress-comments.json"
    assert f"Comments: 2 written to {comments_file} (1 approved, 1 pending; 2 comment)" in out
    data = json.loads(comments_file.read_text(encoding="utf-8"))
    assert [(c["author"], c["status"], c["post_path"]) for c in data["comments"]] == [
        ("Alex Moreno", "approved", "/sales-and-marketing-sibling-rivalry.html"),  # no pelicanconf: default URLs
        ("Priya Shah", "pending", "/sales-and-marketing-sibling-rivalry.html")]
    assert "Remote images (download them with --download-images, or by hand):" in out
    assert "https://old.example.com/wp-content/uploads/2026/03/two-teams.jpg (featured image" in out
    assert 'id=6727 "Email – Blog" -> [signup]' in out
    assert 'id=12 "Contact form 1" -> [contact]' in out
    for path in content.rglob("*.md"):  # comments go to the data file, never into posts
        assert "Alex Moreno" not in path.read_text(encoding="utf-8")


def test_no_overwrite_without_force(imported, capsys):
    content, _ = imported
    post = content / POST
    post.write_text("Title: Edited by hand\nDate: 2026-03-14 09:30\n\nMine.\n", encoding="utf-8")
    code, out, _ = run_import(content, capsys)
    assert code == 0
    assert "written: 0 posts, 0 pages" in out
    assert f"{post}: exists (use --force to overwrite)" in out
    assert post.read_text(encoding="utf-8").startswith("Title: Edited by hand")
    code, out, _ = run_import(content, capsys, "--force")
    assert code == 0 and "written: 2 posts, 1 page" in out
    assert read_front_matter(post)["title"] == "Sales & Marketing: The Classic Sibling Rivalry"


def test_form_id_overrides(tmp_path, capsys):
    code, out, _ = run_import(tmp_path, capsys, "--contact-form-ids", "6727", "--signup-form-ids", "12")
    assert code == 0
    assert body_of(tmp_path / POST).endswith("\n[contact]\n")
    assert "\n[signup]\n" in body_of(tmp_path / PAGE)


def test_warns_about_categories_the_site_does_not_allow(tmp_path, capsys):
    (tmp_path / "pelicanconf.py").write_text('CATEGORIES = ["Email", "Sales"]\n', encoding="utf-8")
    code, out, _ = run_import(tmp_path / "content", capsys)
    assert code == 0
    assert "Categories not in CATEGORIES (add them there, or empty it to allow any): 'Strategy' (2 posts)" in out


def test_unreadable_export(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text("<rss><channel>", encoding="utf-8")
    assert wp.main([str(bad), "--content", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("source, expected", [
    ("First para.\n\nSecond line one\nline two", "<p>First para.</p>\n\n<p>Second line one<br />\nline two</p>"),
    ("<h2>Title</h2>\nText under it", "<h2>Title</h2>\n\n<p>Text under it</p>"),
    ("<blockquote>One\n\nTwo</blockquote>", "<blockquote><p>One</p>\n\n<p>Two</p></blockquote>"),
    ("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "<ul>\n\n<li>a</li>\n\n<li>b</li>\n\n</ul>"),
    ("<pre>x\n\ny</pre>", "<pre>x\n\ny</pre>"),
])
def test_wpautop(source, expected):
    assert wp.wpautop(source) == expected


def test_caption_alt_falls_back_to_caption():
    figure = wp.caption_figure({"align": "alignnone"},
                               '<a href="https://x.test/big.jpg"><img src="https://x.test/a.jpg" alt="" /></a> A quiet desk')
    assert figure == ('<figure>\n<img src="https://x.test/a.jpg" alt="A quiet desk">\n'
                      "<figcaption>A quiet desk</figcaption>\n</figure>")


def test_plain_brackets_and_escapes_are_not_shortcodes():
    codes = wp.Shortcodes(wp.FormRules())
    markdown = wp.html_to_markdown("See [note below] and [[gallery]].\n\n1. Not a list", codes)
    assert codes.unknown == []
    assert markdown == "See [note below] and [gallery].\n\n1\\. Not a list\n"


def test_imported_and_new_content_builds_with_pelican(imported, tmp_path, caplog):
    from pelican import Pelican
    from pelican.settings import read_settings

    from tools.newpost import create_post

    content, _ = imported
    create_post("A fresh idea", content, category="Strategy", tags="ideas", author="Dana Reyes")
    output = tmp_path / "output"
    settings = read_settings(override={
        "PATH": str(content), "OUTPUT_PATH": str(output), "ARTICLE_PATHS": ["posts"],
        "PAGE_PATHS": ["pages"], "SITEURL": "", "TIMEZONE": "UTC", "PLUGINS": [],
        "LOAD_CONTENT_CACHE": False, "CACHE_CONTENT": False, "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None, "AUTHOR_FEED_ATOM": None, "AUTHOR_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None, "DELETE_OUTPUT_DIRECTORY": False,
    })
    with caplog.at_level(logging.WARNING):
        Pelican(settings).run()
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == []

    soup = BeautifulSoup((output / "sales-and-marketing-sibling-rivalry.html").read_text(encoding="utf-8"),
                         "html.parser")
    article = soup.find(class_="entry-content") or soup
    assert [h.get_text() for h in article.find_all("h2")][:5] == [
        "1. The Audience", "2. The Time Frame", "3. The Goals", "Inherent Dysfunction", "Best of Both Worlds"]
    figure = article.find("figure")
    assert figure.img["alt"] == "Two teams pulling on one rope"
    assert figure.figcaption.get_text() == "Two teams, one rope, and nobody moving."
    assert any(p.get_text() == "[signup]" for p in article.find_all("p"))
    assert (output / "pages" / "contact.html").is_file()
    assert (output / "drafts" / "notes-on-pricing-workshops.html").is_file()
    assert (output / "drafts" / "a-fresh-idea.html").is_file()


@pytest.mark.parametrize("attrs, kind", [
    ({"id": "6727", "title": "Email – Blog"}, "signup"),
    ({"id": "1", "title": "Monthly newsletter"}, "signup"),
    ({"id": "2", "title": "Contact – email us"}, "contact"),
    ({"id": "3", "title": "Get in touch"}, "contact"),
    ({"id": "40"}, "signup"),  # no title attribute: the title comes from the export's form item
])
def test_form_classification(attrs, kind):
    assert wp.FormRules(titles={"40": "Subscribe"}).classify(attrs) == kind


def test_embeds_become_links_and_scripts_go():
    codes = wp.Shortcodes(wp.FormRules())
    converted = wp_markup.convert(
        "Intro\n\nhttps://www.youtube.com/watch?v=abc123\n\n"
        '<iframe src="https://player.vimeo.com/video/42?title=0" width="640"></iframe>\n\n'
        '<blockquote class="twitter-tweet"><p>Hi</p></blockquote>'
        '<script async src="https://platform.twitter.com/widgets.js"></script>\n\n'
        '[video mp4="https://old.example.com/wp-content/uploads/clip.mp4"][/video]\n\n'
        "[embed]https://twitter.com/someone/status/1[/embed]", codes)
    md = converted.markdown
    assert '<p class="embed"><a href="https://www.youtube.com/watch?v=abc123">Watch on YouTube</a></p>' in md
    assert "[Watch on Vimeo](https://vimeo.com/42)" in md
    assert '<a href="https://old.example.com/wp-content/uploads/clip.mp4">Watch the video (clip.mp4)</a>' in md
    assert '<a href="https://twitter.com/someone/status/1">View on X (Twitter)</a>' in md
    assert "<iframe" not in md and "<script" not in md and "[video" not in md and "[embed" not in md
    assert converted.removed == ["<script src=https://platform.twitter.com/widgets.js>"]


def test_blocks_more_and_nextpage():
    codes = wp.Shortcodes(wp.FormRules())
    converted = wp_markup.convert(
        "<!-- wp:paragraph -->\n<p>Before the fold.</p>\n<!-- /wp:paragraph -->\n\n<!--more-->\n\n"
        "<!-- wp:paragraph -->\n<p>Part one.</p>\n<!-- /wp:paragraph -->\n\n<!--nextpage-->\n\n"
        "<!-- wp:latest-posts /-->\n<p>Part two.</p>", codes)
    assert converted.markdown == "Before the fold.\n\nPart one.\n\n---\n\nPart two.\n"
    assert converted.teaser == "Before the fold." and converted.pages == 2


def test_unknown_shortcodes_stay_visible_as_code():
    codes = wp.Shortcodes(wp.FormRules())
    md = wp.html_to_markdown('[column size="half"]Left text[/column]\n\n[button url="/x"]', codes)
    assert md == '`[column size="half"]`Left text`[/column]`\n\n`[button url="/x"]`\n'
    assert codes.unknown == ['[column size="half"]Left text[/column]', '[button url="/x"]']


def test_private_and_password_protected_posts_are_not_published(tmp_path, capsys):
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("<wp:post_password><![CDATA[]]></wp:post_password>",
                        "<wp:post_password><![CDATA[hunter2]]></wp:post_password>", 1)
    export = tmp_path / "export.xml"
    export.write_text(text, encoding="utf-8")
    assert wp.main([str(export), "--content", str(tmp_path / "content")]) == 0
    out = capsys.readouterr().out
    protected = [line for line in out.splitlines() if line.endswith(": password-protected")]
    assert len(protected) == 1
    path = Path(protected[0].strip().rsplit(": ", 1)[0])
    assert read_front_matter(path)["status"] == "draft" and "hunter2" not in path.read_text(encoding="utf-8")
    redirect_map = json.loads((tmp_path / "content/redirects/wordpress.json").read_text(encoding="utf-8"))
    assert all(entry["file"] != path.relative_to(tmp_path / "content").as_posix()
               for entry in redirect_map["redirects"])


def test_headings_start_at_h2_and_hashtags_stay_text():
    codes = wp.Shortcodes(wp.FormRules())
    md = wp.html_to_markdown("<h3>First</h3><p>Text</p><h4>Second</h4><dl><dt>#dowork</dt><dd>A motto.</dd></dl>"
                             "<pre># a comment in code</pre>", codes)
    assert md == "## First\n\nText\n\n### Second\n\n\\#dowork\n:   A motto.\n\n```\n# a comment in code\n```\n"
