"""What the preview serves while builds overlap: the pages a save rendered
are never replaced by an older build's, and a page whose file is gone stays
gone (tools/preview/pages.py Site, tools/preview/problems.py)."""

from tools.preview.pages import Site, answer
from tools.preview.problems import Problems, split


def _page(output, name, text):
    (output / name).parent.mkdir(parents=True, exist_ok=True)
    (output / name).write_text(f"<html><body>{text}</body></html>", encoding="utf-8")


def test_a_fast_render_outlives_a_build_that_began_before_the_save(tmp_path):
    output = tmp_path / "out"
    _page(output, "post/index.html", "as saved first")
    site = Site(output)
    site.keep(7, {"post/index.html": "<html><body>as saved last</body></html>"})
    _page(output, "post/index.html", "as saved first")        # the older build writes it again
    assert b"as saved last" in site.resolve("/post/")[1]
    site.built(since=5)                                      # a build that began before save 7
    assert b"as saved last" in site.resolve("/post/")[1]
    site.built(since=7)                                      # one that read save 7
    assert b"as saved first" in site.resolve("/post/")[1]


def test_a_removed_page_answers_404_even_if_an_older_build_wrote_it(tmp_path):
    output = tmp_path / "out"
    _page(output, "404.html", "not here")
    site = Site(output)
    site.keep(3, removed=["gone/index.html"])
    _page(output, "gone/index.html", "back from an older build")
    page = answer(site, "/gone/", Problems(tmp_path / "content"))
    assert page.status == 404 and b"not here" in page.body


def test_a_problem_shows_on_its_files_page_and_as_a_note_elsewhere(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "a.md").write_text("Title: A\n")
    output = tmp_path / "out"
    _page(output, "a/index.html", "A")
    _page(output, "index.html", "Home")
    problems = Problems(content)
    problems.built({"pages": {str(content / "posts" / "a.md"): "a/index.html"},
                    "problems": ["ContentError: 1 problem(s) in the content:\n  posts/a.md:1: Date is missing"]})
    site = Site(output)
    own = answer(site, "/a/", problems)
    assert own.status == 500 and b"Date is missing" in own.body
    home = answer(site, "/", problems)
    assert home.status == 200 and b"preview-problems" in home.body and b"posts/a.md" in home.body


def test_a_build_keeps_what_later_saves_said_of_their_files(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    post = content / "posts" / "a.md"
    post.write_text("Title: A\n")
    problems = Problems(content)
    problems.rendered({"reread": [str(post)], "pages": {str(post): "a/index.html"}, "problems": []})
    # A build that read the file broken, finishing after it was fixed:
    problems.built({"pages": {}, "problems": ["posts/a.md: Date: 'someday' is not a valid date"]},
                   fresher=[str(post)])
    assert problems.ok and problems.pages[str(post)] == "a/index.html"


def test_a_list_of_problems_is_one_problem_a_file():
    assert split("ContentError: 2 problem(s) in the content:\n  posts/a.md:1: x\n  posts/b.md:2: y") \
        == ["posts/a.md:1: x", "posts/b.md:2: y"]
    assert split("TemplateSyntaxError: unexpected '}'") == ["TemplateSyntaxError: unexpected '}'"]
