"""A post dated in the future stays out of the published site until its date."""

import shutil

from .conftest import ROOT, run_build

FUTURE = "Title: Next Year's Plan\nDate: 2099-01-15 09:00\nCategory: Strategy\nTags: planning\n\nSoon.\n"


def test_future_post_is_not_published_until_its_date(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "posts" / "next-years-plan.md").write_text(FUTURE, encoding="utf-8")
    result = run_build("publishconf.py", tmp_path / "out", content=content)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    everything = "".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.suffix in (".html", ".xml"))
    assert "Next Year" not in everything
    assert not list(out.rglob("next-years-plan*"))
    # The same post, its date come, is published by the next build.
    (content / "posts" / "next-years-plan.md").write_text(FUTURE.replace("2099", "2020"), encoding="utf-8")
    result = run_build("publishconf.py", tmp_path / "out2", content=content)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out2" / "2020" / "01" / "next-years-plan" / "index.html").is_file()
