"""Third-party embeds become plain links: nothing loads from another site before the reader clicks.

WordPress turns a URL alone on its line (YouTube, X/Twitter, Vimeo, ...) into
an embed, and posts carry <iframe>, <object>/<embed> and widget <script>s.
Each becomes a link to the original, labelled with the provider's name; the
scripts are dropped (listed in the summary).
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup

PROVIDERS = {  # host suffix → (name, what the reader does there)
    "youtube.com": ("YouTube", "Watch"), "youtu.be": ("YouTube", "Watch"),
    "youtube-nocookie.com": ("YouTube", "Watch"), "vimeo.com": ("Vimeo", "Watch"),
    "wordpress.tv": ("WordPress.tv", "Watch"), "videopress.com": ("VideoPress", "Watch"),
    "dailymotion.com": ("Dailymotion", "Watch"), "tiktok.com": ("TikTok", "Watch"),
    "ted.com": ("TED", "Watch"), "twitch.tv": ("Twitch", "Watch"),
    "twitter.com": ("X (Twitter)", "View"), "x.com": ("X (Twitter)", "View"),
    "facebook.com": ("Facebook", "View"), "instagram.com": ("Instagram", "View"),
    "flickr.com": ("Flickr", "View"), "imgur.com": ("Imgur", "View"), "reddit.com": ("Reddit", "View"),
    "tumblr.com": ("Tumblr", "View"), "slideshare.net": ("SlideShare", "View"),
    "speakerdeck.com": ("Speaker Deck", "View"), "scribd.com": ("Scribd", "View"),
    "soundcloud.com": ("SoundCloud", "Listen on"), "spotify.com": ("Spotify", "Listen on"),
    "mixcloud.com": ("Mixcloud", "Listen on"), "bandcamp.com": ("Bandcamp", "Listen on"),
    "giphy.com": ("Giphy", "View"), "codepen.io": ("CodePen", "View"),
    "google.com": ("Google", "View"), "linkedin.com": ("LinkedIn", "View"),
}
MEDIA_WORDS = {"audio": "Listen to the audio", "video": "Watch the video"}
_BARE_URL_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<url>https?://[^\s<>\"']+)[ \t]*$", re.M)
_EMBED_TAGS = ("iframe", "object", "embed", "script")


def provider(url: str) -> tuple[str, str] | None:
    host = (urlsplit(url).hostname or "").lower()
    for suffix, found in PROVIDERS.items():
        if host == suffix or host.endswith("." + suffix):
            return found
    return None


def canonical(url: str) -> str:
    """The page a reader should open for an embed URL (an iframe's src is often a player URL)."""
    url = html.unescape(url.strip())
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith(("youtube.com", "youtube-nocookie.com")) and parts.path.startswith("/embed/"):
        return f"https://www.youtube.com/watch?v={parts.path.split('/')[2]}"
    if host == "player.vimeo.com" and parts.path.startswith("/video/"):
        return f"https://vimeo.com/{parts.path.split('/')[2]}"
    if host.endswith("videopress.com") and parts.path.startswith("/embed/"):
        return f"https://videopress.com/v/{parts.path.split('/')[2]}"
    if host.endswith("soundcloud.com") and "url" in parse_qs(parts.query):
        return parse_qs(parts.query)["url"][0]
    return url


def link_html(url: str, kind: str = "") -> str:
    """One paragraph with a plain link to the embedded thing."""
    url = canonical(url)
    found = provider(url)
    if found:
        name, verb = found
        label = f"{MEDIA_WORDS[kind]} on {name}" if kind in MEDIA_WORDS else f"{verb} on {name}"
    elif kind in MEDIA_WORDS:
        label = f"{MEDIA_WORDS[kind]} ({url.rsplit('/', 1)[-1] or url})"
    else:
        label = url
    return f'<p class="embed"><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>'


def replace_elements(content: str, removed: list[str], linked: list[str]) -> str:
    """<iframe>, <object>, <embed> become links (``linked``); <script> goes (``removed``)."""
    if not re.search(r"<(?:iframe|object|embed|script)\b", content, re.I):
        return content
    soup = BeautifulSoup(content, "html.parser")
    for element in soup.find_all(_EMBED_TAGS):
        if element.name == "script":
            removed.append(f"<script{' src=' + element['src'] if element.get('src') else ''}>")
            element.decompose()
            continue
        url = element.get("src") or element.get("data") or ""
        if not url:
            param = element.find("param", attrs={"name": re.compile("^(movie|src)$", re.I)})
            url = param.get("value", "") if param else ""
        if url:
            linked.append(canonical(url))
            element.replace_with(BeautifulSoup(link_html(url), "html.parser"))
        else:
            removed.append(f"<{element.name}> without a source")
            element.decompose()
    return str(soup)


def bare_urls(content: str, link) -> str:
    """A URL alone on its line (WordPress's auto-embed) through ``link(url)``; text inside tags is left."""
    out, pos = [], 0
    for match in _BARE_URL_RE.finditer(content):
        before = content[:match.start()]
        lower = before.lower()
        if (before.rfind("<") > before.rfind(">")  # inside a tag's attributes
                or lower.rfind("<pre") > lower.rfind("</pre") or lower.rfind("<a ") > lower.rfind("</a>")
                or lower.rfind("<code") > lower.rfind("</code")):
            continue
        out.append(content[pos:match.start()])
        out.append(link(html.unescape(match["url"])))
        pos = match.end()
    out.append(content[pos:])
    return "".join(out)
