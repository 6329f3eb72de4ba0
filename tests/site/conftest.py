"""The real site, built once per test session the way `make publish` builds it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
SITEURL = "https://blog.example.test"


def run_build(settings, output, content=None, siteurl=SITEURL):
    """Build with tools.build in a fresh process; return the CompletedProcess."""
    command = [sys.executable, "-m", "tools.build", settings, "--output", str(output)]
    if content:
        command += ["--content", str(content)]
    env = {**os.environ, "SITEURL": siteurl}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


class Site:
    """A built output folder, with helpers to read it."""

    def __init__(self, root):
        self.root = Path(root)

    def html_files(self):
        return sorted(self.root.rglob("*.html"))

    def soup(self, relative):
        return BeautifulSoup((self.root / relative).read_text(encoding="utf-8"), "lxml")

    def article_pages(self):
        """(path, soup) for every article page: the ones whose og:type is article."""
        for path in self.html_files():
            soup = self.soup(path)
            kind = soup.find("meta", property="og:type")
            if kind and kind["content"] == "article":
                yield path, soup

    def url_to_file(self, url):
        """The output file a site URL (absolute on SITEURL, or root-relative) serves."""
        path = url.split("#", 1)[0].split("?", 1)[0]
        if path.startswith(SITEURL):
            path = path[len(SITEURL):]
        path = path.lstrip("/")
        target = self.root / path
        if path == "" or path.endswith("/"):
            target = target / "index.html"
        return target


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    output = tmp_path_factory.mktemp("site")
    result = run_build("publishconf.py", output)
    assert result.returncode == 0, result.stderr + result.stdout
    return Site(output)


@pytest.fixture(scope="session")
def articles(site):
    """Relative paths of every article page in the build."""
    return [path.relative_to(site.root) for path, _ in site.article_pages()]
