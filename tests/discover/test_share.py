"""Share links: plain links with the article's absolute URL and title intact."""

import sys
from urllib.parse import parse_qs, urlsplit

from tests.site.conftest import ROOT, SITEURL

from .conftest import AWKWARD_SLUG, AWKWARD_TITLE, article_path

sys.path.insert(0, str(ROOT / "plugins"))
import share as share_plugin  # noqa: E402

NETWORKS = {
    # network: (scheme://host/path, parameter holding the URL, parameter holding the title)
    "linkedin": ("https://www.linkedin.com/sharing/share-offsite/", "url", None),
    "x": ("https://x.com/intent/post", "url", "text"),
    "facebook": ("https://www.facebook.com/sharer/sharer.php", "u", None),
    "bluesky": ("https://bsky.app/intent/compose", None, "text"),
    "mastodon": (SITEURL + "/share/mastodon/", None, "text"),
    "reddit": ("https://www.reddit.com/submit", "url", "title"),
    "hackernews": ("https://news.ycombinator.com/submitlink", "u", "t"),
}


def share_links(soup):
    section = soup.find("section", class_="share")
    assert section, "share section missing"
    return section, section.select("ul.share-list a")


def test_awkward_title_survives_the_build(soup_of):
    soup = soup_of(AWKWARD_SLUG)
    assert soup.find("h1").get_text() == AWKWARD_TITLE


def test_every_share_url_decodes_to_the_article_url_and_title(awkward_site, soup_of):
    soup = soup_of(AWKWARD_SLUG)
    url = soup.find("link", rel="canonical")["href"]
    assert url == f"{SITEURL}/{article_path(awkward_site, AWKWARD_SLUG).parent}/"
    _, links = share_links(soup)
    seen = set()
    for link in links:
        href = link["href"]
        parts = urlsplit(href)
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
        assert all(len(values) == 1 for values in query.values()), href
        query = {key: values[0] for key, values in query.items()}
        if parts.scheme == "mailto":
            seen.add("email")
            assert parts.path == ""
            assert query["subject"] == AWKWARD_TITLE
            assert url in query["body"] and AWKWARD_TITLE in query["body"]
            continue
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        network = next(name for name, spec in NETWORKS.items() if spec[0] == base)
        seen.add(network)
        _, url_key, title_key = NETWORKS[network]
        if url_key:
            assert query[url_key] == url, (network, query)
        if title_key and url_key:
            assert query[title_key] == AWKWARD_TITLE, (network, query)
        if not url_key:  # text only: both inside it
            assert url in query[title_key] and AWKWARD_TITLE in query[title_key], (network, query)
        assert "#" not in href and " " not in href, href
    assert seen == set(NETWORKS) | {"email"}


def test_links_are_accessible_and_consistent(soup_of):
    section, links = share_links(soup_of(AWKWARD_SLUG))
    assert section.find("h2")
    for link in links:
        assert link.find(class_="visually-hidden").get_text(strip=True), link
        assert not link.has_attr("target")
        assert {"noopener", "noreferrer"} <= set(link["rel"])
    for svg in section.find_all("svg"):
        assert svg["aria-hidden"] == "true" and svg["focusable"] == "false"
    for button in section.find_all("button"):
        assert button.find(class_="visually-hidden").get_text(strip=True)
        assert button["type"] == "button"
    # Without JS: the URL in a labelled read-only field; a live region for JS.
    field = section.find("input", id="share-url")
    assert field.has_attr("readonly") and field["value"].startswith(SITEURL)
    assert section.find("label", attrs={"for": "share-url"})
    assert section.find(attrs={"aria-live": "polite"})
    assert section.find(attrs={"data-share-native": True}).has_attr("hidden")


def test_share_js_only_on_articles_that_share(awkward_site, soup_of):
    def scripts(soup):
        return [s["src"] for s in soup.find_all("script", src=True)]
    assert any(s.endswith(".js") and "/share" in s for s in scripts(soup_of(AWKWARD_SLUG)))
    quiet = soup_of("quiet-post")
    assert quiet.find("section", class_="share") is None
    assert not any("/share" in s for s in scripts(quiet))
    assert not any("/js/share" in s for s in scripts(awkward_site.soup("index.html")))
    for path in awkward_site.html_files():
        soup = awkward_site.soup(path)
        assert not soup.find("iframe"), path


def test_mastodon_page_asks_for_the_server(awkward_site):
    soup = awkward_site.soup("share/mastodon/index.html")
    assert len(soup.find_all("h1")) == 1
    form = soup.find("form", attrs={"data-mastodon-share": True})
    assert form.get("method", "get").lower() == "get"  # the minifier drops the default
    for name in ("text", "instance"):
        field = form.find(attrs={"name": name})
        assert soup.find("label", attrs={"for": field["id"]}), name


def test_utm_parameters_are_added_per_network():
    settings = {"SHARE_NETWORKS": ["linkedin", "x", "email"], "SITEURL": "",
                "SHARE_MASTODON_SAVE_AS": "share/mastodon/index.html",
                "SHARE_UTM": {"utm_source": "{network}", "utm_medium": "social"}}
    url = "https://blog.example.test/2026/01/a-post/?page=2"
    links = share_plugin.share_links(url, "A & B", settings)
    assert [link["network"] for link in links] == ["linkedin", "x", "email"]
    shared = parse_qs(urlsplit(links[0]["url"]).query)["url"][0]
    assert parse_qs(urlsplit(shared).query) == {
        "page": ["2"], "utm_source": ["linkedin"], "utm_medium": ["social"]}
    shared = parse_qs(urlsplit(links[1]["url"]).query)["url"][0]
    assert "utm_source=x" in shared


def test_unknown_network_is_an_error():
    import pytest
    with pytest.raises(ValueError, match="myspace"):
        share_plugin.share_links("https://e.test/", "t", {"SHARE_NETWORKS": ["myspace"]})
