"""Generate N posts shaped like the sample posts, for build benchmarks.

`python -m tools.bench.corpus N DIR` writes DIR/posts/*.md and DIR/pages/,
plus the images the covers use. Deterministic: the same N gives the same
files, so runs compare like with like.
"""

import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

# The sample posts' categories plus DEFAULT_CATEGORY: names the site's
# category check accepts as they are (no near-duplicates, same spelling).
CATEGORY_SET = ["Strategy", "Content", "Email", "Sales", "General"]
SUMMARY_MAX = 150  # content_checks advises past META_DESCRIPTION_LENGTH (160)
WORDS = ("audience message pipeline campaign customer pricing story signal budget "
         "funnel brief launch offer proof email reader trust handoff quarter goal "
         "metric team draft review channel partner lead rhythm habit value").split()


# Word-only tag names: "topic-1" page 5 would collide with "topic-15" in
# vanilla Pelican's default pagination file names.
TAGS = WORDS + [f"{word}-tips" for word in WORDS[:10]]


def sentence(rng, length=14):
    words = [rng.choice(WORDS) for _ in range(length)]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        index = rng.randrange(1, length)
        words[index] = f"*{words[index]}*"
    if rng.random() < 0.2:
        index = rng.randrange(1, length)
        words[index] = f"[{words[index]}](https://example.com/{words[index]})"
    return " ".join(words) + "."


def summary(rng):
    """A plain sentence of at most SUMMARY_MAX characters, cut at a word."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 22))]
    words[0] = words[0].capitalize()
    text = " ".join(words)
    while len(text) + 1 > SUMMARY_MAX:
        text = text.rsplit(" ", 1)[0]
    return text + "."


def paragraph(rng):
    return " ".join(sentence(rng, rng.randint(9, 18)) for _ in range(rng.randint(3, 5)))


def post(number, rng, start):
    date = start + timedelta(hours=7 * number)
    tags = rng.sample(TAGS, 3)
    lines = [
        f"Title: Generated post {number}: {rng.choice(WORDS)} and {rng.choice(WORDS)}",
        f"Date: {date:%Y-%m-%d %H:%M}",
        f"Category: {CATEGORY_SET[number % 5]}",
        f"Tags: {', '.join(tags)}",
        "Authors: Dana Reyes",
        f"Summary: {summary(rng)}",
        f"Slug: generated-post-{number}",
        "",
        paragraph(rng), "", paragraph(rng), "",
    ]
    for section in range(1, 4):
        lines += [f"## {section}. The {rng.choice(WORDS).capitalize()}", "",
                  paragraph(rng), "", paragraph(rng), ""]
        if section == 2:
            lines += [f"- {sentence(rng, 6)}" for _ in range(4)] + [""]
    lines += ["## Best of Both Worlds", "", paragraph(rng), "",
              "1. " + sentence(rng, 5), "2. " + sentence(rng, 5), "3. " + sentence(rng, 5), "",
              "## Let's talk", "", paragraph(rng), ""]
    return "\n".join(lines)


def generate(count, folder):
    folder = Path(folder)
    rng = random.Random(count)
    (folder / "posts").mkdir(parents=True, exist_ok=True)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    start = datetime(2015, 1, 1, 9, 0)
    for number in range(count):
        (folder / "posts" / f"generated-post-{number}.md").write_text(post(number, rng, start), encoding="utf-8")
    (folder / "pages" / "about.md").write_text("Title: About\nSlug: about\n\nAbout this corpus.\n", encoding="utf-8")
    return folder


if __name__ == "__main__":
    generate(int(sys.argv[1]), sys.argv[2])
    print(f"wrote {sys.argv[1]} posts to {sys.argv[2]}")
