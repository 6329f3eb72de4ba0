"""Tests for tools.newpost: the draft it writes and the slugs it refuses."""

from datetime import datetime

import pytest
from pelican.utils import get_date

from tools import newpost
from tools.slugs import read_front_matter

TITLE = "Sales & Marketing: The Classic Sibling Rivalry"
SLUG = "sales-marketing-the-classic-sibling-rivalry"


def run(capsys, *args):
    code = newpost.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_creates_draft_with_full_front_matter(tmp_path, capsys):
    content = tmp_path / "content"
    code, out, err = run(capsys, TITLE, "--content", str(content), "--category", "Strategy",
                         "--tags", "sales, marketing,, alignment", "--author", "Dana Reyes")
    path = content / "posts" / f"{SLUG}.md"
    assert code == 0
    assert out.strip() == str(path)
    assert "Image:" in err and "Share: off" in err  # optional keys are hinted, not written
    meta = read_front_matter(path)
    assert list(meta) == ["title", "date", "category", "tags", "authors", "summary", "slug", "status"]
    assert meta["title"] == TITLE
    assert meta["category"] == "Strategy"
    assert meta["tags"] == "sales, marketing, alignment"
    assert meta["authors"] == "Dana Reyes"
    assert meta["slug"] == SLUG
    assert meta["status"] == "draft"
    date = get_date(meta["date"])
    assert abs((datetime.now() - date).total_seconds()) < 120
    body = path.read_text(encoding="utf-8").split("\n\n", 1)[1]
    assert "\n## " in body
    assert "[signup]" not in body  # the signup form follows the post by itself, once


def test_slug_matches_pelican(tmp_path):
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import slugify

    path = newpost.create_post("Ça va? 10 Tips—for Q&A", tmp_path, author="")
    expected = slugify("Ça va? 10 Tips—for Q&A", regex_subs=DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"])
    assert path.name == f"{expected}.md"


def test_refuses_existing_file(tmp_path, capsys):
    run(capsys, TITLE, "--content", str(tmp_path))
    before = (tmp_path / "posts" / f"{SLUG}.md").read_text(encoding="utf-8")
    code, out, err = run(capsys, TITLE, "--content", str(tmp_path))
    assert code != 0
    assert out == ""
    assert "already exists" in err
    assert (tmp_path / "posts" / f"{SLUG}.md").read_text(encoding="utf-8") == before


def test_refuses_slug_used_in_metadata(tmp_path, capsys):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "old-name.md").write_text(f"Title: Something else\nSlug: {SLUG}\n\nBody.\n", encoding="utf-8")
    code, out, err = run(capsys, TITLE, "--content", str(tmp_path))
    assert code != 0
    assert f"slug '{SLUG}' is already used by" in err and "old-name.md" in err
    assert not (posts / f"{SLUG}.md").exists()


@pytest.mark.parametrize("title", ["", "   ", "!!!"])
def test_refuses_empty_title(tmp_path, capsys, title):
    code, out, err = run(capsys, title, "--content", str(tmp_path))
    assert code != 0
    assert out == ""
    assert "newpost:" in err
    assert not (tmp_path / "posts").exists() or not list((tmp_path / "posts").iterdir())
