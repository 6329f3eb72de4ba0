"""Related posts stay in today's order and scale with the posts sharing tags,
not with 2^tags: a WordPress import had a post with 45 tags, and indexing
every subset of a post's tags took minutes."""

import random
import resource
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from tests.site.conftest import ROOT, run_build

sys.path.insert(0, str(ROOT / "plugins"))
import related_posts  # noqa: E402

START = datetime(2020, 1, 1, tzinfo=timezone.utc)
VOCABULARY = [f"tag-{n}" for n in range(120)]


def post(n, tags, category, hours):
    return SimpleNamespace(slug=f"post-{n:04d}", date=START + timedelta(hours=hours), metadata={},
                           tags=[SimpleNamespace(slug=t) for t in tags],
                           category=SimpleNamespace(slug=category), source_path="")


def corpus(count, seed):
    rng = random.Random(seed)
    posts = []
    for n in range(count):
        width = 50 if n % 37 == 0 else rng.randint(0, 4)
        # Some posts share a date, so the slug tie-break is exercised too.
        posts.append(post(n, rng.sample(VOCABULARY[:60], width), rng.choice("abcd"), rng.randint(0, 400)))
    return posts


def reference(me, posts, maximum):
    """The ranking spelled out: shared tags, then same category, then newer, then slug."""
    mine = {t.slug for t in me.tags}

    def key(other):
        shared = len(mine & {t.slug for t in other.tags})
        return (-shared, other.category.slug != me.category.slug, -other.date.timestamp(), other.slug)
    eligible = [o for o in posts if o is not me and (key(o)[0] < 0 or not key(o)[1])]
    return [o.slug for o in sorted(eligible, key=key)[:maximum]]


def test_order_matches_the_spelled_out_ranking_with_many_tags():
    posts = corpus(400, seed=10)
    for maximum in (3, 8):
        related_posts.compute_related(posts, posts, maximum)
        for me in posts:
            assert [a.slug for a in me.related_posts] == reference(me, posts, maximum), me.slug


def test_posts_with_fifty_tags_cost_little():
    posts = corpus(2000, seed=11)
    # CPU time, not wall-clock time: the same on a machine busy on every core.
    started = time.process_time()
    related_posts.compute_related(posts, posts, 3)
    assert time.process_time() - started < 5
    assert all(len(p.related_posts) == 3 for p in posts if len(p.tags) == 50)


def test_a_post_with_fifty_tags_builds_in_seconds_of_cpu(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    tags = ", ".join(f"topic {n}" for n in range(50))
    (content / "posts" / "fifty-tags.md").write_text(
        f"Title: Fifty tags\nDate: 2026-01-05 10:00\nCategory: Strategy\nTags: {tags}\n\nBody.\n",
        encoding="utf-8")
    # The build's CPU time (its processes and their workers), not wall-clock time,
    # which a machine busy on every core stretches several times over. An
    # exponential blow-up in the tags would take minutes either way.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_build("pelicanconf.py", tmp_path / "out", content=content, siteurl="")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert result.returncode == 0, result.stderr
    assert cpu < 10, f"the build took {cpu:.1f} s of CPU"
    assert len(list((tmp_path / "out" / "tag").glob("topic-*/index.html"))) == 50
