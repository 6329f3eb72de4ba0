"""The parallel reader gives exactly what Pelican's serial reader gives.

Pelican drops empty Tags/Authors/Category lines by marking them with its
`_DISCARD` sentinel, compared by identity; a worker's result is pickled, so a
careless pool hands the generator a stranger object ("TypeError: 'object'
object is not iterable"). Checked on 60 posts (the pool starts at 40), file
by file in one process and as whole builds against serial Pelican."""

import json
import shutil
import sys

import pytest
from pelican import readers
from pelican.settings import read_settings

from tests.site.conftest import ROOT
from tests.writers.awkward_corpus import awkward_corpus
from tests.writers.test_build_equivalence import build, differences, plugins_without_speedups

sys.path.insert(0, str(ROOT / "plugins"))
from parallel_reader import prefetch  # noqa: E402

SENTINEL = object()  # a value that does not survive pickling: identity is its meaning


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return awkward_corpus(tmp_path_factory.mktemp("awkward"))


@pytest.fixture
def settings(corpus):
    readers.METADATA_PROCESSORS["mood"] = lambda value, _settings: SENTINEL
    try:
        yield read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(corpus)})
    finally:
        del readers.METADATA_PROCESSORS["mood"]
        prefetch.reset()


def test_every_file_reads_as_pelican_reads_it(corpus, settings):
    posts = sorted((corpus / "posts").glob("*.md"))
    moody = posts[7]
    moody.write_text(moody.read_text().replace("Slug:", "Mood: sunny\nSlug:", 1))
    serial = {path: readers.MarkdownReader(settings).read(str(path)) for path in posts}
    prefetch.reset()
    prefetch.prefetch_all(settings, workers=2, minimum=40)
    pooled = {path for path in prefetch._state["results"] if "/posts/" in path}
    assert len(pooled) == len(posts) - 1  # all but the SENTINEL one came from the pool
    assert str(moody) not in pooled
    fast = prefetch.PrefetchedMarkdownReader(settings)
    discarded = 0
    for path in posts:
        content, metadata = fast.read(str(path))
        want_content, want = serial[path]
        assert content == want_content, path
        assert metadata.keys() == want.keys(), path
        for key, value in want.items():
            if value is readers._DISCARD or value is SENTINEL:
                assert metadata[key] is value, (path, key)
                discarded += value is readers._DISCARD
            else:
                assert metadata[key] == value, (path, key)
    assert discarded >= 15 + 10 + 8  # empty Tags, Authors, Category lines
    assert readers.MarkdownReader(settings).read(str(moody))[1]["mood"] is SENTINEL


def test_awkward_corpus_builds_like_serial_pelican(corpus, tmp_path):
    fast = build(corpus, tmp_path / "fast")
    serial = build(corpus, tmp_path / "serial", "PLUGINS=" + json.dumps(plugins_without_speedups()))
    pages = list(fast.rglob("index.html"))
    assert len([p for p in pages if "generated-post-" in str(p)]) == 60
    assert differences(fast, serial) == []


def test_real_blogs_read_as_pelican_reads_them(tmp_path):
    """The 150 posts of two real Pelican blogs (tests/fixtures/pelican_blog)."""
    posts = tmp_path / "posts"
    posts.mkdir()
    for source in (ROOT / "tests" / "fixtures" / "pelican_blog").glob("*/*.m*d*"):
        shutil.copy(source, posts / source.name)
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(tmp_path)})
    files = sorted(str(p) for p in posts.iterdir())
    assert len(files) == 150
    serial = {path: readers.MarkdownReader(settings).read(path) for path in files}
    prefetch.reset()
    try:
        prefetch.prefetch_all(settings, workers=2, minimum=40)
        assert len(prefetch._state["results"]) == 150
        fast = prefetch.PrefetchedMarkdownReader(settings)
        for path in files:
            content, metadata = fast.read(path)
            assert content == serial[path][0], path
            assert metadata.keys() == serial[path][1].keys(), path
            for key, value in serial[path][1].items():
                assert metadata[key] is value if value is readers._DISCARD else metadata[key] == value
    finally:
        prefetch.reset()
