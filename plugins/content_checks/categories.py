"""A category that is a near miss of one already in use: `Stratgy` or
`strategy` beside `Strategy`. Any new category is fine; a near miss would
split one category's posts across two pages, so it fails the build.

Of two near names, the one with more posts is the intended one; on a tie,
the one used first (oldest post)."""

import difflib
from collections import defaultdict

from .front_matter import line_of
from .rules import Finding

CUTOFF = 0.88  # Stratgy/Strategy 0.93, Emails/Email 0.91; Context/Content (0.86) are two words


def near_miss_categories(articles, cutoff=CUTOFF):
    users = defaultdict(list)
    for article in articles:
        category = getattr(article, "category", None)
        if category is not None:
            users[str(category)].append(article)
    if len(users) < 2:
        return []

    def standing(name):  # bigger is more established
        dates = [a.date.replace(tzinfo=None) for a in users[name] if getattr(a, "date", None)]
        return (len(users[name]), -min(dates).timestamp() if dates else 0, name)

    found = []
    names = sorted(users)
    for name in names:
        rivals = [other for other in names if other != name and _near(name, other, cutoff)
                  and standing(other) > standing(name)]
        if not rivals:
            continue
        intended = max(rivals, key=standing)
        count = len(users[intended])
        for article in users[name]:
            found.append(Finding(article.source_path,
                                 f"{line_of(article.source_path, 'category')}: Category '{name}' is a near "
                                 f"miss of '{intended}' ({count} post{'s' if count != 1 else ''}), "
                                 f"did you mean {intended}?"))
    return found


def _near(one, other, cutoff):
    a, b = one.strip().lower(), other.strip().lower()
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= cutoff
