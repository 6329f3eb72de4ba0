"""The speed-ups change nothing in the output.

Parallel reading, parallel writing and remembered URLs must give the same
site as Pelican's serial build, and an incremental build (content cache on,
one post edited) the same site as a full build of the edited content, also
after a scripted series of edits of every kind."""

import filecmp
import importlib.util
import json
import os
import shutil
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


def _set_field(post, field, value):
    lines = post.read_text().splitlines()
    lines = [f"{field}: {value}" if line.startswith(f"{field}:") else line for line in lines]
    post.write_text("\n".join(lines) + "\n")


def _add_post(content, _theme):
    source = (content / "posts" / "generated-post-20.md").read_text()
    post = content / "posts" / "scripted-new-post.md"
    post.write_text(source.replace("Slug: generated-post-20", "Slug: scripted-new-post")
                    .replace("Title: Generated post 20", "Title: Scripted new post"))
    return "Scripted new post"


def _edit_template(_content, theme):
    footer = theme / "templates" / "partials" / "site_footer.html"
    footer.write_text(footer.read_text() + "\n<!-- scripted template edit -->\n")
    return "scripted template edit"


SCRIPTED_EDITS = [
    ("title", lambda c, t: _set_field(c / "posts" / "generated-post-3.md", "Title", "Retitled post three")
     or "Retitled post three"),
    ("date", lambda c, t: _set_field(c / "posts" / "generated-post-5.md", "Date", "2020-06-01 10:00")
     or "2020/06/generated-post-5/index.html"),
    ("tag", lambda c, t: _set_field(c / "posts" / "generated-post-8.md", "Tags", "scripted-tag, email")
     or "tag/scripted-tag/index.html"),
    ("category", lambda c, t: _set_field(c / "posts" / "generated-post-9.md", "Category", "Operations")
     or "category/operations/index.html"),
    ("slug", lambda c, t: _set_field(c / "posts" / "generated-post-11.md", "Slug", "renamed-post-eleven")
     or "renamed-post-eleven/index.html"),
    ("add a post", _add_post),
    ("delete a post", lambda c, t: (c / "posts" / "generated-post-12.md").unlink() or "generated-post-12"),
    ("edit a template", _edit_template),
]


def _shows(output, evidence):
    """The edit is visible: a path that must exist, or text somewhere in the site."""
    if evidence.endswith(".html"):
        return any(output.rglob(evidence))
    return any(evidence in page.read_text() for page in output.rglob("*.html"))


def test_scripted_edits_incremental_equals_clean_full_build(tmp_path):
    """Each edit in turn, built incrementally on the last build's output and
    cache, must give exactly the site a clean full build gives."""
    content = generate(250, tmp_path / "content")
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    settings = [f"THEME={json.dumps(str(theme))}"]
    cache = ["CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true", f"CACHE_PATH={json.dumps(str(tmp_path / 'cache'))}"]
    incremental = build(content, tmp_path / "incremental", *settings, *cache)
    for number, (name, edit) in enumerate(SCRIPTED_EDITS):
        evidence = edit(content, theme)
        build(content, incremental, *settings, *cache)
        full = build(content, tmp_path / f"full-{number}", *settings)
        if name == "delete a post":
            assert not any(incremental.rglob(f"{evidence}/index.html")), name
        else:
            assert _shows(incremental, evidence), f"{name}: {evidence} not in the incremental output"
        assert differences(incremental, full) == [], f"after the edit: {name}"
        shutil.rmtree(full)
