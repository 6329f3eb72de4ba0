"""Previous and next article, in date order, for every published article.

Pelican's own article list is newest first and may be reordered by
ARTICLE_ORDER_BY; this plugin orders published articles by date (then slug,
so posts on the same day stay in a fixed order) and links each to the ones
either side. Drafts get neither.

Adds to every article:
  prev_article   the one published just before it (older), or None
  next_article   the one published just after it (newer), or None

No settings, no front matter.
"""

from pelican import signals


def link_neighbors(generator):
    ordered = sorted(generator.articles, key=lambda a: (a.date.timestamp(), a.slug))
    for index, article in enumerate(ordered):
        article.prev_article = ordered[index - 1] if index > 0 else None
        article.next_article = ordered[index + 1] if index + 1 < len(ordered) else None
    for draft in getattr(generator, "drafts", []):
        draft.prev_article = draft.next_article = None


def register():
    signals.article_generator_finalized.connect(link_neighbors)
