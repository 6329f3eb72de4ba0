"""Related posts for every article.

Ranking, best first: most tags shared, then same category, then newer, then
slug (so every build gives the same list). Only published articles are
candidates, never the post itself. A post can pin its own list instead:

    Related: slug-one, slug-two

Each slug must be a published article's slug; an unknown one is logged as an
error naming the post's file, which fails the strict build (tools.build).
A pinned slug that belongs to a draft or scheduled post is skipped quietly,
so scheduling a post never breaks the build.

Cost is near-linear in the number of posts: an inverted index from tags
(each subset of a post's tags, up to SUBSET_TAGS = 5 of them) to posts, each
list sorted once, so each article only visits the few candidates that can
make its list: those sharing its tags, then its category (see
compute_related). See tools/bench/related_posts.py for the 5,000-post figure.

Adds to every article (and draft):
  related_posts   list of Article, at most RELATED_POSTS_MAX (pins: all pins)

Settings:
  RELATED_POSTS_MAX   how many to show; default 3 (0 turns the feature off)

Front matter:
  Related: slug1, slug2   pin this post's list (comma-separated slugs)
"""

import heapq
import logging
import os
from collections import defaultdict
from itertools import combinations

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


# Posts are indexed under every set of up to this many of their tags; a post
# with more tags than this is ranked by plain counting instead (rare, slower).
SUBSET_TAGS = 5


def compute_related(targets, candidates, maximum, all_slugs=(), report=None):
    """Set `related_posts` on each of `targets`, chosen from `candidates`.

    `all_slugs` are slugs that exist but are not candidates (drafts):
    pinning one is not an error. `report(article, message)` gets problems.

    Index: every candidate is filed under each subset of its tags (and each
    subset plus its category), in ranking order (newer first, then slug).
    The posts sharing exactly k tags with a target are, for each k-subset S
    of its tags, the ones filed under S whose shared count is exactly k; each
    such post is filed under exactly one S. So walking k from most to fewest,
    same category first, and merging those few lists lazily yields the posts
    already in rank order, and the walk stops after `maximum` posts. What it
    skips on the way (posts with more tags in common, already taken) is
    fewer than `maximum` per list, so each target costs about
    2^tags x maximum steps, whatever the corpus size.
    """
    by_slug = {article.slug: article for article in candidates}
    order = {id(a): (-a.date.timestamp(), a.slug) for a in candidates}
    rank = lambda a: order[id(a)]  # noqa: E731
    tagsets = {id(a): _tags(a) for a in candidates}
    by_subset = defaultdict(list)
    by_category = defaultdict(list)
    for article in candidates:
        category = _category(article)
        by_category[category].append(article)
        tags = sorted(tagsets[id(article)])
        for size in range(1, min(len(tags), SUBSET_TAGS) + 1):
            for subset in combinations(tags, size):
                by_subset[frozenset(subset)].append(article)
                by_subset[(frozenset(subset), category)].append(article)
    for members in (*by_subset.values(), *by_category.values()):
        members.sort(key=rank)

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
        tags = _tags(article)
        if len(tags) > SUBSET_TAGS:
            article.related_posts = _by_counting(article, candidates, tagsets, order, maximum)
            continue
        category = _category(article)
        chosen, taken = [], {id(article)}

        def walk(lists, shared, same_category):
            for other in heapq.merge(*lists, key=rank):
                if id(other) in taken or len(tags & tagsets[id(other)]) != shared:
                    continue
                if not same_category and _category(other) == category:
                    continue
                chosen.append(other)
                taken.add(id(other))
                if len(chosen) == maximum:
                    return True
            return False

        done = False
        for shared in range(len(tags), 0, -1):
            subsets = [frozenset(s) for s in combinations(sorted(tags), shared)]
            if walk([by_subset.get((s, category), ()) for s in subsets], shared, True) or \
                    walk([by_subset.get(s, ()) for s in subsets], shared, False):
                done = True
                break
        if not done:
            # Same category, no tag in common: already in rank order.
            for other in by_category.get(category, ()):
                if id(other) not in taken and not tags & tagsets[id(other)]:
                    chosen.append(other)
                    if len(chosen) == maximum:
                        break
        article.related_posts = chosen


def _by_counting(article, candidates, tagsets, order, maximum):
    """The plain ranking, scoring every candidate (for posts with many tags)."""
    tags, category = _tags(article), _category(article)
    scored = [other for other in candidates if other is not article
              and (tags & tagsets[id(other)] or _category(other) == category)]
    return heapq.nsmallest(maximum, scored, key=lambda other: (
        -len(tags & tagsets[id(other)]), _category(other) != category, order[id(other)]))


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
