"""A corpus of generated posts written the ways real Pelican blogs write them:
empty Tags/Authors/Category lines, lowercase keys, `---` fences, dates with
seconds and a time zone, `Author` instead of `Authors`, [TOC] markers.
Enough files (60) for the parallel reader's pool to start."""

from tools.bench.corpus import generate


def _rewrite(number, text):
    head, _, body = text.partition("\n\n")
    lines = head.splitlines()
    if number % 4 == 0:
        lines = [("Tags:" if line.startswith("Tags:") else line) for line in lines]
    if number % 6 == 1:
        lines = [("Authors:" if line.startswith("Authors:") else line) for line in lines]
    if number % 7 == 2:
        lines = [("Category: " if line.startswith("Category:") else line) for line in lines]
    if number % 8 == 5:
        lines = [line.replace("Authors:", "Author:") for line in lines]
    if number % 9 == 4:
        lines = [(f"Date: 2024-03-{number % 27 + 1:02d}T10:20:30+02:00" if line.startswith("Date:")
                  else line) for line in lines]
    if number % 5 == 3:
        lines = [line[:1].lower() + line[1:] for line in lines]
        return "---\n" + "\n".join(lines) + "\n---\n\n" + "[TOC]\n\n" + body
    return "\n".join(lines) + "\n\n" + body


def awkward_corpus(folder, count=60):
    generate(count, folder)
    for number in range(count):
        path = folder / "posts" / f"generated-post-{number}.md"
        path.write_text(_rewrite(number, path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder
