"""Related posts (ranking, pins, unknown pins) and previous/next links."""

import sys
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from tests.site.conftest import ROOT, run_build

from .conftest import AWKWARD_SLUG, article_path, make_content

sys.path.insert(0, str(ROOT / "plugins"))
import related_posts  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def post(slug, tags, category, day, related=None):
    metadata = {} if related is None else {"related": related}
    return SimpleNamespace(
        slug=slug, date=START + timedelta(days=day), metadata=metadata,
        tags=[SimpleNamespace(slug=t) for t in tags], category=SimpleNamespace(slug=category),
        source_path=f"content/posts/{slug}.md")


def related_slugs(article):
    return [a.slug for a in article.related_posts]


def test_ranking_tags_then_category_then_recency_then_slug():
    me = post("me", ["a", "b", "c"], "x", 0)
    posts = [
        me,
        post("two-tags-old", ["a", "b"], "y", 1),
        post("one-tag-same-cat", ["c"], "x", 2),
        post("one-tag-other-cat-new", ["a"], "y", 9),
        post("one-tag-other-cat-old", ["b"], "y", 3),
        post("same-cat-no-tag-b", [], "x", 5),
        post("same-cat-no-tag-a", [], "x", 5),
        post("nothing-in-common", ["z"], "z", 99),
    ]
    related_posts.compute_related(posts, posts, 10)
    assert related_slugs(me) == [
        "two-tags-old", "one-tag-same-cat", "one-tag-other-cat-new",
        "one-tag-other-cat-old", "same-cat-no-tag-a", "same-cat-no-tag-b"]
    related_posts.compute_related(posts, posts, 3)
    assert related_slugs(me) == ["two-tags-old", "one-tag-same-cat", "one-tag-other-cat-new"]
    assert related_slugs(posts[-1]) == []


def test_pins_and_unknown_pins_are_reported():
    problems = []
    posts = [post("a", ["t"], "x", 0, related="c, b"), post("b", [], "x", 1),
             post("c", [], "y", 2), post("d", ["t"], "x", 3, related="b, nope")]
    related_posts.compute_related(posts, posts, 3, report=lambda a, m: problems.append((a.slug, m)))
    assert related_slugs(posts[0]) == ["c", "b"]
    assert problems == [("d", "Related: no published post has the slug 'nope'")]


def test_built_pages_show_related_posts(awkward_site, soup_of):
    soup = soup_of(AWKWARD_SLUG)
    links = [a["href"] for a in soup.select("section.related li > a")]
    assert [h.rstrip("/").rsplit("/", 1)[-1] for h in links] == [
        "writing-a-newsletter-people-open", "case-studies-that-sell-without-shouting"]
    # Unpinned posts get RELATED_POSTS_MAX (3) of the others.
    assert len(soup_of("case-studies-that-sell-without-shouting").select("section.related li")) == 3


def test_unknown_related_slug_fails_the_build_naming_the_file(tmp_path):
    content = make_content(tmp_path / "content", extra={"bad.md": """
        Title: A Post With a Bad Pin
        Date: 2026-10-03 09:00
        Category: Sales
        Authors: Dana Reyes
        Summary: This post pins a related slug that does not exist, which must fail the build.
        Related: no-such-post

        Text.
        """})
    result = run_build("publishconf.py", tmp_path / "out", content=content)
    assert result.returncode != 0
    assert "bad.md" in result.stderr and "no-such-post" in result.stderr, result.stderr


def test_prev_next_follow_publication_order(awkward_site):
    pages = [(soup.find("time", class_="dt-published")["datetime"], path, soup)
             for path, soup in awkward_site.article_pages()]
    pages.sort(key=lambda item: item[0])
    assert len(pages) >= 8
    for index, (_, path, soup) in enumerate(pages):
        nav = soup.find("nav", class_="prev-next")
        assert nav["aria-label"]
        prev, nxt = nav.find("a", rel="prev"), nav.find("a", rel="next")
        if index == 0:
            assert prev is None
        else:
            assert awkward_site.url_to_file(prev["href"]) == awkward_site.root / pages[index - 1][1]
        if index == len(pages) - 1:
            assert nxt is None
        else:
            assert awkward_site.url_to_file(nxt["href"]) == awkward_site.root / pages[index + 1][1]


def test_toc_and_heading_anchors(awkward_site, soup_of):
    soup = soup_of(AWKWARD_SLUG)
    toc = soup.find("nav", attrs={"aria-label": "Table of contents"})
    assert toc and toc.find_next_sibling("div", class_="prose")
    targets = [a["href"] for a in toc.find_all("a")]
    assert len(targets) == 3
    for target in targets:
        heading = soup.find(id=target[1:])
        assert heading and heading.name in ("h2", "h3")
    for heading in soup.select(".prose h2, .prose h3"):
        anchor = heading.find("a", class_="heading-anchor")
        assert anchor["href"] == "#" + heading["id"]
        text = heading.get_text().rsplit("#", 1)[0].strip()
        assert anchor["aria-label"] == f"Link to this section: {text}"
    assert soup_of("quiet-post").find("nav", attrs={"aria-label": "Table of contents"}) is None
    # The added headings and slots keep the outline: one h1, no skipped level.
    for path in awkward_site.html_files():
        levels = [int(h.name[1]) for h in awkward_site.soup(path).find_all(
            ["h1", "h2", "h3", "h4", "h5", "h6"])]
        assert levels.count(1) == 1 and levels[0] == 1, path
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (path, levels)


def brute_force(article, posts, maximum):
    tags = {t.slug for t in article.tags}
    scored = [o for o in posts if o is not article
              and ({t.slug for t in o.tags} & tags or o.category.slug == article.category.slug)]
    scored.sort(key=lambda o: (-len({t.slug for t in o.tags} & tags),
                               o.category.slug != article.category.slug, -o.date.timestamp(), o.slug))
    return [o.slug for o in scored[:maximum]]


def test_index_walk_matches_scoring_every_pair():
    import random
    rng = random.Random(7)
    vocabulary = [f"t{n}" for n in range(12)]
    posts = [post(f"p{n:03}", rng.sample(vocabulary, rng.choice([0, 1, 2, 3, 3, 4, 7])),
                  rng.choice("abc"), rng.randrange(60)) for n in range(300)]
    for maximum in (1, 3, 8):
        related_posts.compute_related(posts, posts, maximum)
        for article in posts:
            assert related_slugs(article) == brute_force(article, posts, maximum), article.slug
