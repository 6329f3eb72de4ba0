"""A malformed post stops the build with a message naming its file and field.

Each case writes one bad post into a temporary copy of the real content."""

import shutil

import pytest

from .conftest import ROOT, run_build

GOOD_HEAD = "Title: A fine post\nDate: 2026-01-05 10:00\nCategory: Strategy\nTags: testing\n"

CASES = {
    "missing-title": ("Date: 2026-01-05\nCategory: Strategy\n\nBody.\n", ["title"]),
    "empty-title": ("Title:\nDate: 2026-01-05\nCategory: Strategy\n\nBody.\n", ["title"]),
    "bad-date": ("Title: Bad date\nDate: the fifth of never\nCategory: Strategy\n\nBody.\n",
                 ["Date", "the fifth of never"]),
    "modified-before-date": (GOOD_HEAD + "Modified: 2025-01-01\n\nBody.\n", ["Modified", ":5"]),
    "unknown-status": (GOOD_HEAD + "Status: publsihed\n\nBody.\n", ["Status", "publsihed"]),
    "broken-filename-link": (GOOD_HEAD + "\nSee [this]({filename}/posts/no-such-post.md).\n",
                             ["{filename}", "no-such-post.md"]),
    "missing-inline-image": (GOOD_HEAD + "\n![A chart]({static}/images/no-such-chart.png)\n",
                             ["no-such-chart.png"]),
    "missing-cover-image": (GOOD_HEAD + "Image: images/no-such-cover.svg\n\nBody.\n",
                            ["Image", "no-such-cover.svg", ":5"]),
    "misspelled-key": (GOOD_HEAD + "Sumary: short\n\nBody.\n", ["did you mean Summary?", ":5"]),
    "misspelled-title": ("Tittle: Typo\nDate: 2026-01-05\nCategory: Strategy\n\nBody.\n",
                         [":1: unknown front-matter key 'Tittle', did you mean Title?", ":1: Title is missing"]),
    "near-miss-category": ("Title: X\nDate: 2026-01-05\nCategory: Stratgy\n\nBody.\n",
                           [":3: Category 'Stratgy' is a near miss of 'Strategy'", "did you mean Strategy?"]),
    "near-miss-category-case": ("Title: X\nDate: 2026-01-05\nCategory: strategy \n\nBody.\n",
                                ["Category 'strategy' is a near miss of 'Strategy'"]),
    "missing-date": ("Title: No date\nCategory: Strategy\n\nBody.\n", ["Date is missing"]),
    "broken-attach-link": (GOOD_HEAD + "\nGet [the file]({attach}/images/no-such.pdf).\n",
                           ["{attach}", "no-such.pdf", ":6"]),
    "unknown-shortcode": (GOOD_HEAD + "\n[gallery ids=\"1,2\"]\n", ["line 6: unknown shortcode [gallery]"]),
}


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("content")
    shutil.copytree(ROOT / "content", root / "content")
    return root / "content"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_post_fails_the_build_naming_file_and_field(content_copy, tmp_path, name):
    text, expected = CASES[name]
    bad = content_copy / "posts" / f"zz-{name}.md"
    bad.write_text(text, encoding="utf-8")
    try:
        result = run_build("pelicanconf.py", tmp_path / "out", content=content_copy)
    finally:
        bad.unlink()
    assert result.returncode != 0
    report = result.stderr
    assert "Build FAILED" in report
    assert f"zz-{name}.md" in report, report
    for fragment in expected:
        assert fragment in report, (fragment, report)
    assert "Traceback" not in report and "AttributeError" not in report


def test_duplicate_slug_names_both_files(content_copy, tmp_path):
    first = next((content_copy / "posts").glob("*.md"))
    slug = first.stem
    copy = content_copy / "posts" / "zz-duplicate.md"
    copy.write_text(GOOD_HEAD + f"Slug: {slug}\n\nBody.\n", encoding="utf-8")
    try:
        result = run_build("pelicanconf.py", tmp_path / "out", content=content_copy)
    finally:
        copy.unlink()
    assert result.returncode != 0
    assert "zz-duplicate.md" in result.stderr and first.name in result.stderr


def test_clean_content_builds(content_copy, tmp_path):
    result = run_build("pelicanconf.py", tmp_path / "out", content=content_copy, siteurl="")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "index.html").is_file()


def test_publish_refuses_to_build_without_a_siteurl(tmp_path):
    result = run_build("publishconf.py", tmp_path / "out", siteurl="")
    assert result.returncode != 0
    assert "SITEURL" in result.stderr
