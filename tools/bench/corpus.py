"""Generate N posts shaped like the sample posts, for build benchmarks.

`python -m tools.bench.corpus N DIR [--covers K]` writes DIR/posts/*.md and
DIR/pages/; with K covers, K photo-like JPEGs in DIR/images/covers/ and
every post's `Image:` one of them. Deterministic: the same N gives the same
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


def post(number, rng, start, covers=0):
    date = start + timedelta(hours=7 * number)
    tags = rng.sample(TAGS, 3)
    cover = [f"Image: images/covers/cover-{number % covers}.jpg",
             f"Image_alt: A {rng.choice(WORDS)} board, photographed"] if covers else []
    lines = [
        f"Title: Generated post {number}: {rng.choice(WORDS)} and {rng.choice(WORDS)}",
        f"Date: {date:%Y-%m-%d %H:%M}",
        f"Category: {CATEGORY_SET[number % 5]}",
        f"Tags: {', '.join(tags)}",
        "Authors: Dana Reyes",
        f"Summary: {summary(rng)}",
        f"Slug: generated-post-{number}",
        *cover,
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


def generate(count, folder, covers=0):
    folder = Path(folder)
    rng = random.Random(count)
    (folder / "posts").mkdir(parents=True, exist_ok=True)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    if covers:
        write_covers(folder / "images" / "covers", covers)
    start = datetime(2015, 1, 1, 9, 0)
    for number in range(count):
        (folder / "posts" / f"generated-post-{number}.md").write_text(
            post(number, rng, start, covers), encoding="utf-8")
    (folder / "pages" / "about.md").write_text("Title: About\nSlug: about\n\nAbout this corpus.\n", encoding="utf-8")
    return folder


def write_covers(folder, count):
    """`count` 1600x1000 JPEGs with gradients and shapes, so they encode as photos do."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        rng = random.Random(number)
        image = Image.linear_gradient("L").resize((1600, 1000)).convert("RGB")
        tint = Image.new("RGB", image.size, tuple(rng.randrange(40, 220) for _ in range(3)))
        image = Image.blend(image, tint, 0.6)
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.randrange(1600), rng.randrange(1000)
            size = rng.randrange(40, 300)
            draw.ellipse((x, y, x + size, y + size), fill=tuple(rng.randrange(256) for _ in range(3)))
        image.save(folder / f"cover-{number}.jpg", quality=88)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder")
    parser.add_argument("--covers", type=int, default=0)
    args = parser.parse_args()
    generate(args.count, args.folder, args.covers)
    print(f"wrote {args.count} posts to {args.folder}")
