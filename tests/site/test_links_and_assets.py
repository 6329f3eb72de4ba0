"""Every internal link and asset resolves, and nothing loads from elsewhere."""

from urllib.parse import urlparse

from .conftest import SITEURL


def internal_targets(soup):
    for tag, attribute in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("form", "action")):
        for element in soup.find_all(tag):
            value = element.get(attribute)
            if not value or value.startswith(("mailto:", "#", "data:", "javascript:")):
                continue
            parsed = urlparse(value)
            if parsed.scheme and not value.startswith(SITEURL):
                continue
            yield tag, value


def test_every_internal_href_and_src_resolves_to_a_file(site):
    broken = []
    checked = 0
    for path in site.html_files():
        soup = site.soup(path)
        for tag, value in internal_targets(soup):
            if value.startswith("/api/") or "/api/" in value:
                continue  # the forms service, not a file
            checked += 1
            if not value.startswith(("/", SITEURL)):
                target = (path.parent / value.split("#")[0]).resolve()
                if value.endswith("/") or target.is_dir():
                    target = target / "index.html"
            else:
                target = site.url_to_file(value)
            if not target.is_file():
                broken.append((str(path.relative_to(site.root)), value))
    assert checked > 100
    assert broken == []


def test_no_external_css_fonts_scripts_or_images(site):
    for path in site.html_files():
        soup = site.soup(path)
        for element in soup.find_all(["link", "script", "img", "iframe", "source", "video", "audio"]):
            for attribute in ("src", "href", "srcset"):
                value = element.get(attribute)
                if not value:
                    continue
                if element.name == "link" and element.get("rel") and \
                        set(element["rel"]) & {"canonical", "alternate"}:
                    continue
                parsed = urlparse(value)
                assert not parsed.netloc or value.startswith(SITEURL), (path, value)
    css = "".join(p.read_text() for p in site.root.rglob("*.css"))
    assert "@import" not in css and "url(http" not in css and "@font-face" not in css
