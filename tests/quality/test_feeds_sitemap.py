"""Gate: the Atom and RSS feeds are well-formed and carry the elements their
formats require (RFC 4287; RSS 2.0), feedparser reads them without a bozo
flag, and sitemap.xml is valid against the sitemaps.org 0.9 schema
(schemas/sitemap.xsd, written from the public protocol)."""

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
ATOM = "{http://www.w3.org/2005/Atom}"


def atom_problems(data, siteurl):
    """RFC 4287 essentials; returns a list of problems."""
    problems = []
    root = etree.fromstring(data)
    if root.tag != ATOM + "feed":
        return [f"root is {root.tag}"]

    def check_common(node, where):
        for name in ("id", "title", "updated"):
            if len(node.findall(ATOM + name)) != 1:
                problems.append(f"{where}: needs exactly one atom:{name}")
        updated = node.findtext(ATOM + "updated")
        if updated:
            try:
                datetime.fromisoformat(updated.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{where}: updated {updated!r} is not RFC 3339")
        alternates = [l for l in node.findall(ATOM + "link") if l.get("rel", "alternate") == "alternate"]
        if not alternates:
            problems.append(f"{where}: no link rel=alternate")
        for link in node.findall(ATOM + "link"):
            href = link.get("href", "")
            if not href.startswith(siteurl + "/"):
                problems.append(f"{where}: link {href!r} is not absolute on {siteurl}")

    check_common(root, "feed")
    if not any(l.get("rel") == "self" for l in root.findall(ATOM + "link")):
        problems.append("feed: no link rel=self")
    entries = root.findall(ATOM + "entry")
    if not entries:
        problems.append("feed: no entries")
    ids = [e.findtext(ATOM + "id") for e in entries]
    if len(ids) != len(set(ids)):
        problems.append("entry ids are not unique")
    has_feed_author = root.find(ATOM + "author") is not None
    for n, entry in enumerate(entries):
        check_common(entry, f"entry {n}")
        if not has_feed_author and entry.find(ATOM + "author") is None:
            problems.append(f"entry {n}: no author")
        if entry.find(ATOM + "content") is None and entry.find(ATOM + "summary") is None:
            problems.append(f"entry {n}: neither content nor summary")
    return problems


def rss_problems(data, siteurl):
    problems = []
    root = etree.fromstring(data)
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["not an RSS 2.0 document"]
    channel = root.find("channel")
    if channel is None:
        return ["no channel"]
    for name in ("title", "link", "description"):
        if not (channel.findtext(name) or "").strip():
            problems.append(f"channel: no {name}")
    items = channel.findall("item")
    if not items:
        problems.append("channel: no items")
    guids = []
    for n, item in enumerate(items):
        if not (item.findtext("title") or item.findtext("description")):
            problems.append(f"item {n}: needs a title or a description")
        link = item.findtext("link") or ""
        if not link.startswith(siteurl + "/"):
            problems.append(f"item {n}: link {link!r} is not absolute on {siteurl}")
        if item.findtext("pubDate") is None:
            problems.append(f"item {n}: no pubDate")
        guids.append(item.findtext("guid"))
    if len(guids) != len(set(guids)):
        problems.append("item guids are not unique")
    return problems


def feeds(site_dir, suffix):
    found = sorted((site_dir / "feeds").rglob(f"*{suffix}"))
    assert found, f"no {suffix} feeds"
    return found


def test_atom_feeds(site_dir, site_url):
    for feed in feeds(site_dir, ".atom.xml"):
        data = feed.read_bytes()
        assert atom_problems(data, site_url) == [], feed
        parsed = feedparser.parse(data)
        assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"


def test_rss_feeds(site_dir, site_url):
    for feed in feeds(site_dir, ".rss.xml"):
        data = feed.read_bytes()
        assert rss_problems(data, site_url) == [], feed
        parsed = feedparser.parse(data)
        assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
        assert parsed.version == "rss20"


def test_sitemap_is_valid(site_dir, site_url):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    doc = etree.parse(str(site_dir / "sitemap.xml"))
    assert schema.validate(doc), schema.error_log
    locs = [e.text for e in doc.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locs) == len(set(locs)) > 5
    for loc in locs:
        assert loc.startswith(site_url + "/")
        path = urlsplit(loc).path.lstrip("/")
        assert (site_dir / path / "index.html").is_file() or (site_dir / path).is_file(), loc


def test_robots_txt_points_at_the_sitemap(site_dir, site_url):
    robots = (site_dir / "robots.txt").read_text()
    assert f"Sitemap: {site_url}/sitemap.xml" in robots
    assert robots.lower().startswith("user-agent:")


# -- the gate catches it ------------------------------------------------------

SITE = "http://127.0.0.1:1"
GOOD_ATOM = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>T</title><link href="{SITE}/" rel="alternate"/><link href="{SITE}/feeds/all.atom.xml" rel="self"/>
<id>{SITE}/</id><updated>2026-01-01T00:00:00+00:00</updated>
<entry><title>A</title><link href="{SITE}/a/" rel="alternate"/><id>tag:x,2026:/a/</id>
<updated>2026-01-01T00:00:00+00:00</updated><author><name>N</name></author><summary>s</summary></entry>
</feed>"""
BAD_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/relative/</loc><lastmod>yesterday</lastmod></url></urlset>"""


ENTRY = "<entry>" + GOOD_ATOM.split("<entry>")[1].split("</feed>")[0]
ATOM_BREAKAGES = {
    "good": GOOD_ATOM,
    "entry without id": GOOD_ATOM.replace("<id>tag:x,2026:/a/</id>", ""),
    "relative link": GOOD_ATOM.replace(f'<link href="{SITE}/a/"', '<link href="/a/"'),
    "duplicate entry id": GOOD_ATOM.replace("</feed>", ENTRY + "</feed>"),
    "no updated": GOOD_ATOM.replace("<updated>2026-01-01T00:00:00+00:00</updated>", "", 1),
}


@pytest.mark.parametrize("name", sorted(ATOM_BREAKAGES))
def test_atom_gate_catches_it(name):
    problems = atom_problems(ATOM_BREAKAGES[name].encode(), SITE)
    assert (problems == []) == (name == "good"), problems


def test_sitemap_gate_catches_it():
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    assert not schema.validate(etree.fromstring(BAD_SITEMAP.encode()))
