"""Optional Akismet check, server side only, off unless COMMENTS_AKISMET_KEY is set.

Asks Akismet's comment-check endpoint whether a new comment is spam, sending
what it needs: the site, the commenter's full IP address and user agent, the
post's URL, name, address and text. A "true" answer stores the comment as
spam (kept for review with `make comments ARGS="list spam"`, no moderator
mail, and the visitor sees the usual "awaiting moderation"). Any failure
(timeout, an error answer) leaves the comment to the moderation policy: a
spam service being down never loses a comment. The privacy page says so when
the build has COMMENTS_AKISMET on.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode

from ..settings import Settings

log = logging.getLogger("forms.comments")

ENDPOINT = "https://{key}.rest.akismet.com/1.1/comment-check"


def is_spam(settings: Settings, *, ip: str, user_agent: str, referrer: str, permalink: str,
            name: str, email: str, body: str) -> bool:
    key = settings.comments_akismet_key
    if not key:
        return False
    url = settings.comments_akismet_url or ENDPOINT.format(key=key)
    fields = {
        "api_key": key, "blog": settings.siteurl or settings.forms_url, "user_ip": ip,
        "user_agent": user_agent, "referrer": referrer, "permalink": permalink,
        "comment_type": "comment", "comment_author": name, "comment_author_email": email,
        "comment_content": body, "blog_lang": "en", "blog_charset": "UTF-8",
    }
    request = urllib.request.Request(url, data=urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "User-Agent": "NorthwindForms/1.0 | Akismet/1.1"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = response.read(64).decode("ascii", "replace").strip()
    except (urllib.error.URLError, OSError) as exc:
        log.warning("akismet: check failed, comment left to moderation: %s",
                    settings.redact(f"{type(exc).__name__}: {exc}"))
        return False
    if answer not in ("true", "false"):
        log.warning("akismet: unexpected answer %r, comment left to moderation", answer[:40])
        return False
    return answer == "true"
