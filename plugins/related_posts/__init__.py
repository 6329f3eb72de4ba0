"""Related posts for every article.

Ranking, best first: most tags shared, then same category, then newer, then
slug (so every build gives the same list). Only published articles are
candidates, never the post itself. A post can pin its own list instead:

    Related: slug-one, slug-two

Each slug must be a published article's slug; an unknown one is logged as an
error naming the post's file, which fails the strict build (tools.build).
A pinned slug that belongs to a draft or scheduled post is skipped quietly,
so scheduling a post never breaks the build.

Cost: an inverted index from each tag to the posts that carry it, in
ranking order; each article counts, for the posts on its tags' lists, how
many tags they share. So the work grows with the number of posts sharing a
tag with it, whatever the number of tags a post has (a 50-tag post costs as
much as its tags' lists are long, not 2^50). See tools/bench/related_posts.py.

Adds to every article (and draft):
  related_posts   list of Article, at most RELATED_POSTS_MAX (pins: all pins)

Settings:
  RELATED_POSTS_MAX   how many to show; default 3 (0 turns the feature off)

Front matter:
  Related: slug1, slug2   pin this post's list (comma-separated slugs)
"""

import logging
import os
from collections import defaultdict

from pelican import signals

log = logging.getLogger(__name__)


def _pins(article):
    raw = article.metadata.get("related")
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        raw = ",".join(str(item) for item in raw)
    return [slug.strip() for slug in str(raw).split(",") if slug.strip()]


def _tags(article):
    return {tag.slug for tag in getattr(article, "tags", None) or []}


def _category(article):
    category = getattr(article, "category", None)
    return category.slug if category is not None else None


def compute_related(targets, candidates, maximum, all_slugs=(), report=None):
    """Set `related_posts` on each of `targets`, chosen from `candidates`.

    `all_slugs` are slugs that exist but are not candidates (drafts):
    pinning one is not an error. `report(article, message)` gets problems.

    Candidates are numbered in ranking order (newer first, then slug), so a
    smaller number is a better tie-break, and each tag's list of numbers is
    sorted as it is built. Counting a target's tags' lists gives each
    candidate's shared-tag count; the best `maximum` are taken level by
    level (most shared tags first, same category first within a level), and
    same-category posts with no tag in common fill what is left.
    """
    ranked = sorted(candidates, key=lambda a: (-a.date.timestamp(), a.slug))
    number = {id(a): n for n, a in enumerate(ranked)}
    index = _Index(ranked)
    by_slug = {article.slug: article for article in candidates}

    for article in targets:
        pins = _pins(article)
        if pins is not None:
            chosen = []
            for slug in pins:
                if slug in by_slug and slug != article.slug:
                    chosen.append(by_slug[slug])
                elif slug not in all_slugs and report:
                    report(article, f"Related: no published post has the slug '{slug}'")
            article.related_posts = chosen
            continue
        if maximum <= 0:
            article.related_posts = []
            continue
        article.related_posts = [ranked[n] for n in index.best(
            _tags(article), _category(article), number.get(id(article)), maximum)]


class _Index:
    """Candidates numbered in ranking order (newer first, then slug): a smaller
    number wins a tie. Per tag, and per tag within a category, the set of
    numbers that carry it; per category, its numbers in order."""

    def __init__(self, ranked):
        self.categories = [_category(a) for a in ranked]
        self.by_tag = defaultdict(set)
        self.by_tag_in_category = defaultdict(set)
        self.by_category = defaultdict(list)
        for n, article in enumerate(ranked):
            category = self.categories[n]
            self.by_category[category].append(n)
            for tag in _tags(article):
                self.by_tag[tag].add(n)
                self.by_tag_in_category[(tag, category)].add(n)

    def best(self, tags, category, own, maximum):
        """The best `maximum` numbers for a post with these tags and category.

        Counting is done with set operations: a post on two or more of the
        tags' lists is in `multi`, and only those few are scored one by one;
        the many that share one tag are taken in rank order, same category
        first, only when the multi-tag ones are not enough."""
        lists = [self.by_tag[t] for t in tags if t in self.by_tag]
        multi = _on_two_or_more(lists)
        multi.discard(own)
        shared = {n: sum(n in members for members in lists) for n in multi}
        chosen = sorted(multi, key=lambda n: (-shared[n], self.categories[n] != category, n))[:maximum]
        seen = None
        if len(chosen) < maximum:
            seen = set().union(*lists)
            seen.discard(own)
            once = seen - multi
            same = set().union(*(self.by_tag_in_category.get((t, category), ()) for t in tags)) & once
            chosen += sorted(same)[:maximum - len(chosen)]
            if len(chosen) < maximum:
                chosen += sorted(once - same)[:maximum - len(chosen)]
        if len(chosen) < maximum:  # same category, no tag in common
            for n in self.by_category.get(category, ()):
                if n != own and n not in seen:  # `seen` is set: fewer than `maximum` shared a tag
                    chosen.append(n)
                    if len(chosen) == maximum:
                        break
        return chosen


def _on_two_or_more(lists):
    """The numbers found in at least two of the sets. Few tags: the pairwise
    intersections, which never build the (large) union; many tags: one pass
    that keeps the union so far."""
    if len(lists) <= 4:
        found = set()
        for i, one in enumerate(lists):
            for other in lists[i + 1:]:
                found |= one & other
        return found
    found, so_far = set(), set()
    for members in lists:
        found |= so_far & members
        so_far |= members
    return found


def _run(generator):
    settings = generator.settings
    maximum = settings.get("RELATED_POSTS_MAX", 3)
    drafts = list(getattr(generator, "drafts", []))
    published = list(generator.articles)
    draft_slugs = {draft.slug for draft in drafts}

    def report(article, message):
        path, root = article.source_path, os.getcwd()
        if os.path.abspath(path).startswith(root + os.sep):
            path = os.path.relpath(path, root)
        log.error("%s: %s", path, message)

    compute_related(published + drafts, published, maximum, draft_slugs, report)


def register():
    signals.article_generator_finalized.connect(_run)
