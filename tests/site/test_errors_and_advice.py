"""Errors fail the build; advice is printed and never does (unless the site
asks for it). The failures a new user met, each as a test: a fresh
`make newpost` draft, a new category, a long Summary, unknown keys that
other themes use, posts in sub-folders."""

import os
import re
import shutil
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from .conftest import ROOT

GOOD_HEAD = "Title: {title}\nDate: 2026-01-05 10:00\nCategory: {category}\nTags: testing\n"
SUMMARY_170 = ("Search engines shorten long descriptions; so this summary, of exactly one hundred and "
               "seventy characters builds with advice and a description cut at a tidy word boundary.")
assert len(SUMMARY_170) == 170


def build(content, output, *extra):
    command = [sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
               "--output", str(output)]
    if extra:
        command += ["-e", *extra]
    return subprocess.run(command, cwd=ROOT, env={**os.environ, "SITEURL": ""},
                          capture_output=True, text=True, timeout=300)


def advice_of(result):
    _, _, tail = result.stderr.partition("Advice (the build does not fail on these):")
    return [line[4:] for line in tail.splitlines() if line.startswith("  - ")]


@pytest.fixture
def content(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path / "content"


def write(content, name, text):
    path = content / "posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sample_site_gives_no_advice(content, tmp_path):
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert advice_of(result) == []


def test_newpost_then_build(content, tmp_path):
    made = subprocess.run([sys.executable, "-m", "tools.newpost", "My First Post", "--content", str(content)],
                          cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "drafts" / "my-first-post" / "index.html").is_file()
    assert advice_of(result) == [f"{content}/posts/my-first-post.md:3: no Category; the post is filed "
                                 "under 'General' (DEFAULT_CATEGORY)"]


def test_a_new_category_builds(content, tmp_path):
    write(content, "zz-marketing.md", GOOD_HEAD.format(title="Sales meets marketing", category="Marketing")
          + "\nBody.\n")
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "category" / "marketing" / "index.html").is_file()


def test_a_closed_category_list_still_works(content, tmp_path):
    write(content, "zz-marketing.md", GOOD_HEAD.format(title="Sales meets marketing", category="Marketing")
          + "\nBody.\n")
    result = build(content, tmp_path / "out", 'CATEGORIES=["Strategy", "Content", "Email", "Sales"]')
    assert result.returncode != 0
    assert "zz-marketing.md:3: Category 'Marketing' is not one of Strategy, Content, Email, Sales" in result.stderr


def test_a_170_character_summary_builds_with_advice(content, tmp_path):
    write(content, "zz-long-summary.md", GOOD_HEAD.format(title="Long summary", category="Strategy")
          + f"Summary: {SUMMARY_170}\n\nBody.\n")
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert advice_of(result) == [
        f"{content}/posts/zz-long-summary.md:5: Summary is 170 characters; search results show about 160 "
        "(META_DESCRIPTION_LENGTH), so the meta description is cut there"]
    page = next((tmp_path / "out").glob("2026/01/long-summary/index.html"))
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    description = soup.find("meta", attrs={"name": "description"})["content"]
    assert len(description) <= 160 and description.endswith("…")
    assert SUMMARY_170.startswith(description[:-1]) and SUMMARY_170[len(description) - 1] == " "
    # Lists and feeds keep the whole Summary.
    assert SUMMARY_170 in (tmp_path / "out" / "tag" / "testing" / "index.html").read_text(encoding="utf-8")
    assert SUMMARY_170 in (tmp_path / "out" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")


def test_advice_fails_the_build_when_the_site_asks(content, tmp_path):
    write(content, "zz-long-summary.md", GOOD_HEAD.format(title="Long summary", category="Strategy")
          + f"Summary: {SUMMARY_170}\n\nBody.\n")
    result = build(content, tmp_path / "out", "ADVICE_FAILS_BUILD=true")
    assert result.returncode != 0
    assert "zz-long-summary.md:5: Summary is 170 characters" in result.stderr
    assert "Build FAILED" in result.stderr


def test_images_in_the_text_get_advice(content, tmp_path):
    write(content, "zz-images.md", GOOD_HEAD.format(title="Images", category="Strategy")
          + "\nIntro.\n\n![]({static}/images/sales-marketing-siblings.svg)\n\n"
            "![A chart](https://cdn.example.org/chart.png)\n")
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    advice = advice_of(result)
    assert any("zz-images.md:8: image '{static}/images/sales-marketing-siblings.svg' has no alt text" in a
               for a in advice), advice
    assert any("zz-images.md:10: image 'https://cdn.example.org/chart.png' is on another host "
               "(cdn.example.org)" in a for a in advice), advice
    assert not any("chart.png' has no alt" in a for a in advice)


def test_keys_other_themes_use_stay_metadata(content, tmp_path):
    write(content, "zz-extra-keys.md", GOOD_HEAD.format(title="Extra keys", category="Strategy")
          + "Subtitle: A second line\nKeywords: a, b\nseries: Growth\ncomments: true\n"
            "headerimage: /img/x.jpg\n\nBody.\n")
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert advice_of(result) == []


def test_a_post_in_a_folder_is_not_filed_under_the_folder(content, tmp_path):
    write(content, "notes/zz-no-category.md", "Title: In a folder\nDate: 2026-01-05 10:00\n\nBody.\n")
    result = build(content, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "category" / "general" / "index.html").is_file()
    assert not (tmp_path / "out" / "category" / "notes").exists()
    assert any("zz-no-category.md: no Category" in a for a in advice_of(result))
    # A site that wants folders as categories opts in.
    result = build(content, tmp_path / "out2", "USE_FOLDER_AS_CATEGORY=true")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out2" / "category" / "notes" / "index.html").is_file()
    assert advice_of(result) == []


def test_errors_are_reported_together_with_advice(content, tmp_path):
    write(content, "zz-typo.md", "Tittle: Typo\nDate: 2026-01-05\nCategory: Strategy\n\nBody.\n")
    write(content, "zz-long-summary.md", GOOD_HEAD.format(title="Long summary", category="Strategy")
          + f"Summary: {SUMMARY_170}\n\nBody.\n")
    result = build(content, tmp_path / "out")
    assert result.returncode != 0
    assert re.search(r"zz-typo\.md:1: unknown front-matter key 'Tittle', did you mean Title\?", result.stderr)
    assert "AttributeError" not in result.stderr
    assert any("zz-long-summary.md:5" in a for a in advice_of(result))

