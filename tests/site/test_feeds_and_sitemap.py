"""Feeds parse as Atom and RSS with full content; the sitemap lists every page."""

import xml.etree.ElementTree as ET

import feedparser

from .conftest import SITEURL

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def parse(site, relative):
    feed = feedparser.parse((site.root / relative).read_bytes())
    assert not feed.bozo, (relative, feed.get("bozo_exception"))
    return feed


def test_site_feeds_parse_and_carry_full_content(site, articles):
    atom = parse(site, "feeds/all.atom.xml")
    rss = parse(site, "feeds/all.rss.xml")
    assert atom.version == "atom10" and rss.version == "rss20"
    assert len(atom.entries) == len(articles) == len(rss.entries)
    for entry in atom.entries:
        assert entry.link.startswith(SITEURL + "/")
        html = entry.content[0].value
        assert html.count("<p>") >= 5 and "<h2" in html, entry.title
    for entry in rss.entries:
        assert entry.description.count("<p>") >= 5, entry.title


def test_every_category_has_both_feeds(site, articles):
    categories = {site.soup(p).find("meta", property="article:section")["content"] for p in articles}
    assert len(categories) >= 3
    for path in (site.root / "feeds" / "category").glob("*.atom.xml"):
        feed = parse(site, path.relative_to(site.root))
        assert feed.entries
        assert (path.parent / path.name.replace(".atom.", ".rss.")).is_file()
    assert len(list((site.root / "feeds" / "category").glob("*.atom.xml"))) == len(categories)


def test_pages_link_to_their_feeds(site):
    soup = site.soup("index.html")
    types = {link["type"] for link in soup.find_all("link", rel="alternate")}
    assert types == {"application/atom+xml", "application/rss+xml"}
    for link in soup.find_all("link", rel="alternate"):
        assert site.url_to_file(link["href"]).is_file()


def test_sitemap_lists_exactly_the_published_articles_and_pages(site, articles):
    root = ET.fromstring((site.root / "sitemap.xml").read_bytes())
    urls = [loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)]
    assert len(urls) == len(set(urls))
    expected_articles = {site.soup(p).find("link", rel="canonical")["href"] for p in articles}
    assert expected_articles <= set(urls)
    for url in urls:
        assert url.startswith(SITEURL + "/")
        assert site.url_to_file(url).is_file(), url
    hidden = {"/404.html", "/form-error/", "/newsletter/thanks/", "/contact/thanks/"}
    assert not {u[len(SITEURL):] for u in urls} & hidden
    assert SITEURL + "/about/" in urls and SITEURL + "/privacy/" in urls
    drafts = [u for u in urls if "/drafts/" in u]
    assert drafts == []


def test_robots_points_at_the_sitemap(site):
    robots = (site.root / "robots.txt").read_text()
    assert f"Sitemap: {SITEURL}/sitemap.xml" in robots.splitlines()
