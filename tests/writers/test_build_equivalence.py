"""The speed-ups change nothing in the output.

Parallel reading, parallel writing and remembered URLs must give the same
site as Pelican's serial build, and an incremental build (content cache on,
one post edited) the same site as a full build of the edited content."""

import filecmp
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.site.conftest import ROOT
from tools.bench.corpus import generate

SPEED_PLUGINS = {"parallel_reader", "parallel_writer", "url_cache"}


def plugins_without_speedups():
    spec = importlib.util.spec_from_file_location("pelicanconf_for_test", ROOT / "pelicanconf.py")
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    return [p for p in settings.PLUGINS if p not in SPEED_PLUGINS]


def build(content, output, *extra):
    env = {**os.environ, "SITEURL": "", "FORMS_URL": "http://127.0.0.1:8001"}
    result = subprocess.run([sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(content),
                             "--output", str(output), "-e", "CATEGORIES=[]", *extra],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return output


def differences(left, right):
    found = []

    def walk(comparison, prefix=""):
        found.extend(prefix + name for name in comparison.left_only + comparison.right_only)
        _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right,
                                               comparison.common_files, shallow=False)
        found.extend(prefix + name for name in mismatch + errors)
        for name, sub in comparison.subdirs.items():
            walk(sub, prefix + name + "/")

    walk(filecmp.dircmp(left, right))
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # Enough posts and pages for the pools to start (their minimums are 40 and 200).
    return generate(250, tmp_path_factory.mktemp("corpus"))


def test_parallel_build_equals_serial_pelican(corpus, tmp_path):
    fast = build(corpus, tmp_path / "fast")
    serial = build(corpus, tmp_path / "serial", "PLUGINS=" + json.dumps(plugins_without_speedups()))
    assert len(list(fast.rglob("*.html"))) > 250
    assert differences(fast, serial) == []


def test_incremental_build_equals_full_build(corpus, tmp_path):
    cache = ["CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true", f"CACHE_PATH={json.dumps(str(tmp_path / 'cache'))}"]
    build(corpus, tmp_path / "incremental", *cache)
    post = corpus / "posts" / "generated-post-3.md"
    original = post.read_text()
    try:
        post.write_text(original.replace("## Best of Both Worlds", "## Best of Both Worlds, edited"))
        incremental = build(corpus, tmp_path / "incremental", *cache)
        full = build(corpus, tmp_path / "full")
    finally:
        post.write_text(original)
    page = next(incremental.rglob("generated-post-3/index.html")).read_text()
    assert "Best of Both Worlds, edited" in page
    assert differences(incremental, full) == []
