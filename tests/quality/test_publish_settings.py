"""publishconf.py: SITEURL required and used for absolute URLs, feeds on,
drafts not written, the output folder emptied before each build."""

from .helpers import build_site


def test_siteurl_is_required(tmp_path):
    result = build_site(tmp_path / "out", "")
    assert result.returncode != 0
    assert "set SITEURL" in result.stdout + result.stderr


def test_publish_output(site_dir, site_url):
    assert not (site_dir / "drafts").exists()
    assert not list(site_dir.rglob("landing-page-checklist*"))  # Status: draft in content/posts
    assert (site_dir / "feeds" / "all.atom.xml").is_file() and (site_dir / "feeds" / "all.rss.xml").is_file()
    home = (site_dir / "index.html").read_text()
    assert f"href={site_url}/theme/css/main." in home or f'href="{site_url}/theme/css/main.' in home
    assert f"{site_url}/" in (site_dir / "sitemap.xml").read_text()


def test_output_folder_is_emptied_first(tmp_path, site_url):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.html").write_text("old")
    result = build_site(out, site_url)
    assert result.returncode == 0, result.stderr
    assert not (out / "stale.html").exists()
    assert (out / "index.html").is_file()
