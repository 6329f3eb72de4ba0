"""Which posts exist and take comments, as the last build published them.

Every build writes `comments-posts.json` at the site's root (plugins/comments):
{"posts": {"/2026/03/slug/": {"title": "...", "open": true}, ...}}. The service
reads it from COMMENTS_POSTS (a URL or a file path), by default
`$SITEURL/comments-posts.json`, or `output/comments-posts.json` when SITEURL is
empty (development). Reading the published file, rather than the content
folder, keeps the service free of build code and makes it agree with what
readers see: a post with `Comments: off`, a draft or a deleted post is refused.

The list is cached for a minute; a failed refresh keeps the last good copy.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from pathlib import Path

from ..settings import PROJECT_ROOT, Settings

log = logging.getLogger("forms.comments")

TTL = 60.0
FILENAME = "comments-posts.json"


class PostsUnavailable(Exception):
    pass


def default_location(settings: Settings) -> str:
    if settings.comments_posts:
        return settings.comments_posts
    if settings.siteurl:
        return f"{settings.siteurl}/{FILENAME}"
    return str(PROJECT_ROOT / "output" / FILENAME)


class PostIndex:
    def __init__(self, location: str, ttl: float = TTL):
        self.location = location
        self.ttl = ttl
        self._posts: dict[str, dict] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict]:
        if self.location.startswith(("http://", "https://")):
            with urllib.request.urlopen(self.location, timeout=5) as response:
                data = json.load(response)
        else:
            data = json.loads(Path(self.location).read_text(encoding="utf-8"))
        posts = data.get("posts")
        if not isinstance(posts, dict):
            raise ValueError("no 'posts' object")
        return posts

    def posts(self) -> dict[str, dict]:
        with self._lock:
            if self._posts is None or time.monotonic() - self._loaded_at > self.ttl:
                try:
                    self._posts = self._read()
                except (OSError, ValueError) as exc:
                    log.warning("comments: cannot read the post list %s: %s", self.location, exc)
                    if self._posts is None:
                        raise PostsUnavailable(str(exc)) from None
                self._loaded_at = time.monotonic()
            return self._posts

    def get(self, path: str) -> dict | None:
        return self.posts().get(path)
