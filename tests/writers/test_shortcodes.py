"""Form shortcodes in Markdown: rendered where written, left alone in code,
and an unknown one fails the build naming the file."""

import os
import shutil
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from tests.site.conftest import ROOT

POST = """Title: Forms inside a post
Date: 2026-02-02 10:00
Category: Email
Tags: newsletter
Slug: forms-inside-a-post

Intro paragraph.

[signup title="Sign up below to receive email updates!"]

Some text between.

[contact]

```
[signup]
```

Inline `[contact]` stays code, and so does [signup] inside a sentence.

[signup]
"""


def build(content, output, forms_url="http://127.0.0.1:8001", settings="pelicanconf.py"):
    siteurl = "" if settings == "pelicanconf.py" else "https://blog.example.test"
    env = {**os.environ, "SITEURL": siteurl, "FORMS_URL": forms_url}
    return subprocess.run([sys.executable, "-m", "tools.build", settings,
                           "--content", str(content), "--output", str(output)],
                          cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    root = tmp_path_factory.mktemp("shortcodes") / "content"
    shutil.copytree(ROOT / "content", root)
    (root / "posts" / "forms-inside-a-post.md").write_text(POST, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def page(content, tmp_path_factory):
    output = tmp_path_factory.mktemp("out")
    result = build(content, output)
    assert result.returncode == 0, result.stderr
    html = (output / "2026" / "02" / "forms-inside-a-post" / "index.html").read_text()
    return BeautifulSoup(html, "lxml")


def test_shortcodes_render_the_forms_where_written(page):
    prose = page.select_one(".prose")
    signups = prose.select("form.signup-form")
    contacts = prose.select("form.contact-form")
    # One signup form per page: the second [signup] links to the first, and
    # the article's default signup box is left out.
    assert len(signups) == 1 and len(contacts) == 1
    assert prose.select_one(".signup-again a")["href"] == "#" + signups[0]["id"]
    assert len(page.select("form.signup-form")) == 1
    assert signups[0].select_one(".form-title").get_text() == "Sign up below to receive email updates!"
    assert signups[0]["action"] == "http://127.0.0.1:8001/api/subscribe"
    assert contacts[0]["action"] == "http://127.0.0.1:8001/api/contact"
    assert signups[0].find("input", attrs={"name": "source"})["value"] == "/2026/02/forms-inside-a-post/"
    # No shortcode paragraph is left behind.
    assert not [p for p in prose.find_all("p") if p.get_text().strip() in ("[signup]", "[contact]")]


def test_ids_stay_unique_with_several_forms_on_a_page(page):
    ids = [element["id"] for element in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    for label in page.find_all("label"):
        assert page.find(id=label["for"]), label


def test_shortcodes_in_code_are_left_as_text(page):
    prose = page.select_one(".prose")
    assert prose.find("pre").get_text().strip() == "[signup]"
    assert prose.find("code", string="[contact]")
    assert "so does [signup] inside a sentence" in prose.get_text()


def test_zero_server_mode_renders_fallbacks(content, tmp_path):
    result = build(content, tmp_path, forms_url="", settings="publishconf.py")
    assert result.returncode == 0, result.stderr
    soup = BeautifulSoup((tmp_path / "2026" / "02" / "forms-inside-a-post" / "index.html").read_text(), "lxml")
    prose = soup.select_one(".prose")
    assert prose.select_one(".contact-mailto a")["href"].startswith("mailto:")
    assert not prose.select("form")


def test_unknown_shortcode_fails_the_build_naming_the_file(content, tmp_path):
    bad = content / "posts" / "zz-gallery.md"
    bad.write_text("Title: Gallery\nDate: 2026-02-03\nCategory: Email\n\n[gallery ids=\"1,2\"]\n",
                   encoding="utf-8")
    try:
        result = build(content, tmp_path)
    finally:
        bad.unlink()
    assert result.returncode != 0
    assert "zz-gallery.md" in result.stderr and "unknown shortcode [gallery]" in result.stderr
