"""Start a new blog post: ``python -m tools.newpost "Title"`` (``make newpost TITLE="..."``).

Writes content/posts/<slug>.md with the full front matter and a body skeleton,
as a draft, and prints its path. The slug is Pelican's own slugify of the title,
and a slug that is already taken (by a file name or by another post's ``Slug:``)
is refused so two posts never publish to the same URL.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tools.slugs import default_settings_file, existing_slugs, make_slug, slug_settings

# Pelican's Markdown reader has no comment syntax in the metadata header (any
# non "Key: value" line ends it and becomes body text), so optional keys are
# printed as a hint instead of being written commented out.
OPTIONAL_KEYS_HINT = """\
Optional front matter keys (add them above the blank line if you need them):
  Modified: YYYY-MM-DD HH:MM        date of a substantial update
  Image: images/some-cover.svg      cover image, path relative to content/
  Image_alt: What the cover shows   alt text of the cover image
  Image_caption: Photo credit       caption under the cover image
  Share: off                        hide the share buttons
The newsletter signup form follows the post by itself; a [signup] line of
its own in the text puts it there instead (one form per page).
Fill in Category, Tags and Summary, then set Status: published when it is ready."""

BODY_SKELETON = """\
Open with one or two sentences that tell readers what they will get from this post.

A second paragraph sets up the problem or the question the post answers.

## First section

Make your first point here.

## Wrapping up

Close with a call to action: what should the reader do next?
"""


class NewPostError(Exception):
    """A reason not to create the post, meant for the writer."""


def clean_title(title: str) -> str:
    """Collapse whitespace (a header value must be one line); refuse an empty title."""
    title = " ".join((title or "").split())
    if not title:
        raise NewPostError("a title is required, e.g. make newpost TITLE=\"My new post\"")
    return title


def clean_list(value: str) -> str:
    """Normalise a comma-separated list such as the tags."""
    return ", ".join(item.strip() for item in (value or "").split(",") if item.strip())


def git_author() -> str:
    """The writer's name from git, if git knows it."""
    try:
        result = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip()


def front_matter(title: str, slug: str, now: datetime, category: str, tags: str, author: str) -> str:
    """The metadata header of a new draft."""
    lines = [
        f"Title: {title}",
        f"Date: {now:%Y-%m-%d %H:%M}",
        f"Category: {category}",
        f"Tags: {tags}",
        f"Authors: {author}",
        "Summary: ",
        f"Slug: {slug}",
        "Status: draft",
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def choose_slug(title: str, posts_dir: Path, settings: dict) -> str:
    """Slugify the title and make sure no post already uses the slug."""
    slug = make_slug(title, settings)
    if not slug:
        raise NewPostError(f"the title {title!r} gives an empty slug; use some letters or digits")
    target = posts_dir / f"{slug}.md"
    if target.exists():
        raise NewPostError(f"{target} already exists; choose another title")
    owner = existing_slugs(posts_dir, settings).get(slug)
    if owner is not None:
        raise NewPostError(f"slug {slug!r} is already used by {owner}; choose another title")
    return slug


def create_post(title: str, content_dir: Path, category: str = "", tags: str = "",
                author: str = "", now: datetime | None = None, settings: dict | None = None) -> Path:
    """Write the new draft and return its path."""
    title = clean_title(title)
    posts_dir = Path(content_dir) / "posts"
    settings = settings or slug_settings(default_settings_file(content_dir))
    slug = choose_slug(title, posts_dir, settings)
    now = now or datetime.now()
    text = front_matter(title, slug, now, " ".join(category.split()), clean_list(tags), author) + "\n" + BODY_SKELETON
    posts_dir.mkdir(parents=True, exist_ok=True)
    path = posts_dir / f"{slug}.md"
    with open(path, "x", encoding="utf-8") as handle:  # "x": never clobber a file created meanwhile
        handle.write(text)
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.newpost", description=__doc__.splitlines()[0])
    parser.add_argument("title", nargs="?", default="", help="the post's title")
    parser.add_argument("--content", default="content", type=Path, help="content folder (default: content)")
    parser.add_argument("--category", default="", help="Category value")
    parser.add_argument("--tags", default="", help="comma-separated tags")
    parser.add_argument("--author", default=None, help="Authors value (default: git config user.name)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    author = args.author if args.author is not None else git_author()
    try:
        path = create_post(args.title, args.content, args.category, args.tags, author)
    except (NewPostError, FileExistsError) as exc:
        print(f"newpost: {exc}", file=sys.stderr)
        return 1
    print(path)
    print(OPTIONAL_KEYS_HINT, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
