"""Share links for every article, rendered at build time as plain links.

No third-party script, iframe or pixel: each network gets an ordinary link to
its public share URL, built here with the article's absolute URL (SITE_ORIGIN
+ article.url) and title percent-encoded (urllib.parse.quote, safe="").
The links carry rel="noopener noreferrer nofollow" and no target: they open
where the reader chooses, and the network is not told which page sent them
beyond what the share URL itself holds.

Mastodon has no global share endpoint, and guessing an instance would send
the reader's click to a server they may not use. So the Mastodon link goes to
a static page on our own site, /share/mastodon/?text=<title and URL>
(theme/templates/share_mastodon.html, written by this plugin as a direct
template). It asks for the reader's server and, with a few lines of JS
(theme/static/js/share-mastodon.js), sends them to
https://<their server>/share?text=... . Nothing leaves our site until the
reader has typed their own server's name. Without JS the page shows the text
to copy into a new post.

Copy link (navigator.clipboard, JS) and the native Share button
(navigator.share, only where it exists) are added by theme/static/js/share.js;
without JS the reader gets the URL in a read-only field to select and copy.

Adds to every article:
  share_url     the absolute URL readers share (no tracking parameters)
  share_links   [] when sharing is off, else a list of
                {"network", "label", "url"} in SHARE_NETWORKS order

Settings:
  SHARE_NETWORKS  which networks, in order; default
                  ["linkedin", "x", "facebook", "bluesky", "mastodon",
                   "reddit", "hackernews", "email"]
  SHARE_UTM       optional dict of utm_* parameters added to the URL each
                  network shares, e.g. {"utm_source": "{network}",
                  "utm_medium": "social"}; "{network}" becomes the network's
                  key. Default {} (none). The copy-link URL never has them.
  SHARE_MASTODON_SAVE_AS  where the Mastodon page is written;
                  default "share/mastodon/index.html" ("" = not written,
                  and the Mastodon link is left out)
  SITE_ORIGIN     absolute base for the shared URL (falls back to SITEURL)

Front matter:
  Share: off      no share links on this post (also no, false, 0)
"""

import logging
from functools import cached_property
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pelican import signals
from pelican.contents import Article

log = logging.getLogger(__name__)

DEFAULT_NETWORKS = ["linkedin", "x", "facebook", "bluesky", "mastodon",
                    "reddit", "hackernews", "email"]
OFF = {"off", "no", "false", "0"}

# Each builder takes (url, title, settings) already as plain text; quoting
# happens here so templates only ever print finished URLs.
def _q(value):
    return quote(value, safe="")


def _mastodon(url, title, settings):
    page = settings.get("SHARE_MASTODON_SAVE_AS", "").replace("index.html", "")
    return f"{settings.get('SITEURL', '')}/{page}?text={_q(title + ' ' + url)}"


NETWORKS = {
    "linkedin": ("LinkedIn", lambda u, t, s: f"https://www.linkedin.com/sharing/share-offsite/?url={_q(u)}"),
    "x": ("X", lambda u, t, s: f"https://x.com/intent/post?url={_q(u)}&text={_q(t)}"),
    "facebook": ("Facebook", lambda u, t, s: f"https://www.facebook.com/sharer/sharer.php?u={_q(u)}"),
    "bluesky": ("Bluesky", lambda u, t, s: f"https://bsky.app/intent/compose?text={_q(t + ' ' + u)}"),
    "mastodon": ("Mastodon", _mastodon),
    "reddit": ("Reddit", lambda u, t, s: f"https://www.reddit.com/submit?url={_q(u)}&title={_q(t)}"),
    "hackernews": ("Hacker News", lambda u, t, s: f"https://news.ycombinator.com/submitlink?u={_q(u)}&t={_q(t)}"),
    "email": ("email", lambda u, t, s: f"mailto:?subject={_q(t)}&body={_q(t + chr(10) + chr(10) + u)}"),
}


class ShareSettingsError(ValueError):
    pass


def with_utm(url, utm, network):
    """`url` with the SHARE_UTM parameters added, "{network}" substituted."""
    if not utm:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, str(value).replace("{network}", network)) for key, value in utm.items()]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe="")))


def share_links(url, title, settings):
    networks = settings.get("SHARE_NETWORKS", DEFAULT_NETWORKS)
    utm = settings.get("SHARE_UTM") or {}
    links = []
    for network in networks:
        if network not in NETWORKS:
            raise ShareSettingsError(
                f"SHARE_NETWORKS: unknown network '{network}' "
                f"(known: {', '.join(NETWORKS)})")
        if network == "mastodon" and not settings.get("SHARE_MASTODON_SAVE_AS"):
            continue
        label, build = NETWORKS[network]
        links.append({"network": network, "label": label,
                      "url": build(with_utm(url, utm, network), title, settings)})
    return links


def _defaults(pelican):
    settings = pelican.settings
    settings.setdefault("SHARE_NETWORKS", list(DEFAULT_NETWORKS))
    settings.setdefault("SHARE_UTM", {})
    settings.setdefault("SHARE_MASTODON_SAVE_AS", "share/mastodon/index.html")
    if settings["SHARE_MASTODON_SAVE_AS"] and "share_mastodon" not in settings["DIRECT_TEMPLATES"]:
        settings["DIRECT_TEMPLATES"] = list(settings["DIRECT_TEMPLATES"]) + ["share_mastodon"]
        settings["SHARE_MASTODON_URL"] = settings["SHARE_MASTODON_SAVE_AS"].replace("index.html", "")


def _share_url(article):
    settings = article.settings
    origin = (settings.get("SITE_ORIGIN") or settings.get("SITEURL") or "").rstrip("/")
    return f"{origin}/{article.url}"


def _share_links(article):
    if str(article.metadata.get("share", "on")).strip().lower() in OFF:
        return []
    return share_links(article.share_url, str(article.title), article.settings)


def _check_networks(pelican):
    unknown = [n for n in pelican.settings["SHARE_NETWORKS"] if n not in NETWORKS]
    if unknown:
        raise ShareSettingsError(f"SHARE_NETWORKS: unknown network '{unknown[0]}' "
                                 f"(known: {', '.join(NETWORKS)})")


def register():
    # Worked out when a template first asks, so while pages render on every
    # core rather than while Pelican reads the content.
    for name, compute in (("share_url", _share_url), ("share_links", _share_links)):
        attribute = cached_property(compute)
        attribute.__set_name__(Article, name)
        setattr(Article, name, attribute)
    signals.initialized.connect(_defaults)
    signals.initialized.connect(_check_networks)
