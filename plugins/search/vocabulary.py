"""Every search shard knows every word of the site, so shards answer as one index would.

When no word of an index starts with a query word, Pagefind falls back to
the longest word of that index that is a prefix of it (and this cannot be
turned off). One index does that only for words no post has; a shard does
it for every word that only other shards hold, and its junk matches are
merged in among the real ones. So each shard also indexes a vocabulary
page: every word of every article page (of one language), and nothing
else. Then for any query word either every shard has words starting with
it, or none has, as with one index. The vocabulary page carries no
`kind:post` filter, and the search page asks only for `kind:post` pages, so
it is never shown.

Words are taken generously (text with tags removed and with tags as
spaces, image alt text and the title; each word whole, without its
punctuation, and its parts of two or more characters between punctuation
and where case or digits change, as Pagefind indexes "e-mail," as "email"
and "mail", and "WebView2" as "webview2", "web" and "view"): a word the
page does not really have only gives the vocabulary page another match,
but a word Pagefind indexes and the vocabulary lacks would bring the junk
back. Punctuation is dropped so that
an edit's "2026." is the "2026" other pages have, and the vocabulary, with
every shard, changes less often.
"""

import functools
import html
import json
import os
import re
import unicodedata

RECORD = "search-words.json"
FILTER = {"kind": "post"}  # article.html's data-pagefind-body has it; the vocabulary page has not
# Quoted or not: a minified page (publishconf's ASSETS_OPTIMIZE) drops the quotes.
_FILTER_ATTRIBUTE = re.compile(r"""data-pagefind-filter=(["']?)kind:post\1(?=[\s/>])""")

_LANG = re.compile(r"<html[^>]*\blang=[\"']?([\w-]+)", re.I)
_NOISE = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_ELEMENT = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
_ALT = re.compile(r"\b(?:alt|title)\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]+")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def page_words(text):
    """The language of an article page, the words Pagefind could index from
    it, and whether its indexed element carries the kind:post filter."""
    lang = _LANG.search(text)
    start = text.find("data-pagefind-body")
    title = _TITLE.findall(text[:start] if start >= 0 else text)
    filtered = False
    if start >= 0:
        start = text.rfind("<", 0, start)
        filtered = bool(_FILTER_ATTRIBUTE.search(_ELEMENT.match(text, start).group(0)))
        text = text[start:_element_end(text, start)]
    body = _without_ignored(_NOISE.sub(" ", text))
    pieces = [_TAG.sub("", body), _TAG.sub(" ", body), *title]
    pieces += [value[1:-1] for value in _ALT.findall(body)]
    words = set()
    for piece in pieces:
        for token in set(html.unescape(piece).split()):
            words.update(_index_words(token))
    words.discard("")
    return (lang.group(1).lower() if lang else ""), sorted(words), filtered


@functools.lru_cache(maxsize=1 << 16)  # a site repeats most of its words on many pages
def _index_words(token):
    """What Pagefind indexes from one whitespace-separated token, in lower
    case: the token without punctuation (keeping, or not, the connectors
    like "_" that Pagefind keeps), and, as Pagefind splits a compound word,
    its parts of two or more characters between ASCII punctuation and where
    case or digits change, and its symbols (emoji)."""
    if token.isalnum() and (token.islower() or token[1:].islower() or token.isdigit()):
        return frozenset((token.lower(),))  # a plain word: only itself
    kept = "".join(c for c in token if c.isalnum() or unicodedata.category(c) == "Pc")
    words = {kept, "".join(c for c in kept if c.isalnum())}
    for piece in _ASCII_PUNCTUATION.split(token):
        words.update(part for part in _case_parts(piece) if len(part) > 1)
    words.update(c for c in token if unicodedata.category(c) == "So")
    return frozenset(word.lower() for word in words)


def _case_parts(piece):
    """"WKWebVIEWComponent2x" -> WK, Web, VIEW, Component, 2, x."""
    parts, start = [], 0
    for i in range(1, len(piece)):
        before, here, after = piece[i - 1], piece[i], piece[i + 1:i + 2]
        if (before.islower() and here.isupper()) or (before.isdigit() != here.isdigit()) \
                or (before.isupper() and here.isupper() and after.islower()):
            parts.append(piece[start:i])
            start = i
    parts.append(piece[start:])
    return parts


def _element_end(text, start):
    """Where the element whose start tag is at `start` ends (its end tag's end)."""
    first = _ELEMENT.match(text, start)
    name, depth = first.group(2).lower(), 1
    if name in _VOID:
        return first.end()
    for match in _same_name(name).finditer(text, first.end()):
        if not (match.group(2) or "").rstrip().endswith("/"):
            depth += -1 if match.group(1) else 1
            if depth == 0:
                return match.end()
    return len(text)


@functools.lru_cache(maxsize=None)
def _same_name(name):
    return re.compile(rf"<(/?){re.escape(name)}(\s[^>]*)?>", re.I)


def _without_ignored(body):
    """`body` without the elements marked data-pagefind-ignore (and what they hold)."""
    kept, position = [], 0
    while True:
        found = body.find("data-pagefind-ignore", position)
        start = body.rfind("<", position, found) if found >= 0 else -1
        if start < 0:
            kept.append(body[position:])
            return " ".join(kept)
        kept.append(body[position:start])
        position = _element_end(body, start)


class Words:
    """The words of each article page, kept by the page's digest between builds."""

    def __init__(self, settings):
        self.path = os.path.join(settings.get("CACHE_PATH", "cache"), RECORD)
        self._known = load_json(self.path)
        self.pages = {}

    def add(self, page, digest, read):
        known = self._known.get(page)
        if not known or known[0] != digest or len(known) != 4:
            known = [digest, *page_words(read())]
        self.pages[page] = known

    def unfiltered(self):
        """The pages the search page would never show: no kind:post filter."""
        return sorted(page for page, (*_, filtered) in self.pages.items() if not filtered)

    def by_language(self):
        """{language: sorted words} over every page added."""
        languages = {}
        for _, lang, words, _ in self.pages.values():
            languages.setdefault(lang, set()).update(words)
        return {lang: sorted(words) for lang, words in sorted(languages.items())}

    def save(self):
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        with open(self.path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(self.pages, handle, separators=(",", ":"))
        os.replace(self.path + ".tmp", self.path)


def page_path(lang):
    """Where a shard's vocabulary page goes: a path no post has."""
    return f"_words-{lang or 'und'}/index.html"


def page_html(lang, words):
    attribute = f' lang="{html.escape(lang)}"' if lang else ""
    return (f"<!doctype html><html{attribute}><head><title>Words</title></head><body>"
            f"<main data-pagefind-body><p>{html.escape(' '.join(words))}</p></main></body></html>")


def load_json(path):
    """A record of an earlier build, or {} when there is none (or it is unreadable)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}
