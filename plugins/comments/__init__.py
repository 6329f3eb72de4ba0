"""Comments on articles: approved comments rendered into the static pages, and the form.

At build time the approved comments come from COMMENTS_SOURCE: the forms
service's `GET /api/comments/export` URL, or the path of an outbox file
(what `make serve` uses). Without it no comments are rendered, with one
warning that does not fail the strict build; a source that cannot be read
fails the build, so a deploy never silently drops every comment.

Adds to every article:
  comments_shown   the comments section is on the page (COMMENTS_ENABLED, no `Comments: off`)
  comments_open    the form is on the page (also needs a forms service: zero-server mode,
                   FORMS_ZERO_SERVER from plugins/newsletter, shows none)
  comment_tree     [{"c": comment, "children": [...]}], replies nested two levels deep;
                   deeper replies are flattened under their level-2 ancestor
  comment_list     every comment, oldest first (the form's "In reply to" choices)
  comment_count    how many
Each comment: id, name, url (http/https only), html (cleaned again with nh3),
date (datetime), date_text, avatar_hue, initials, parent, parent_name.

Writes `comments-posts.json` at the output root: the paths of the articles
that take comments, which the forms service reads to refuse comments on
unknown or closed posts (forms/comments/posts.py).

Settings:
  COMMENTS_ENABLED    default True; False removes the section from every article
  COMMENTS_SOURCE     env COMMENTS_SOURCE; export URL, outbox path or postgresql:// URL;
                      empty renders none
  COMMENTS_MAX_DEPTH  default 2: nesting levels of replies before they are flattened
Front matter:
  Comments: off       no comments section and no form on this post
"""

import json
import logging
import os

from pelican import signals

from .source import CommentsSourceError, describe, load
from .thread import build_tree

log = logging.getLogger(__name__)

OFF = {"off", "no", "false", "0"}
POSTS_FILE = "comments-posts.json"

_state = {"articles": []}


def _defaults(pelican):
    settings = pelican.settings
    settings.setdefault("COMMENTS_ENABLED", True)
    settings.setdefault("COMMENTS_SOURCE", os.environ.get("COMMENTS_SOURCE", ""))
    settings.setdefault("COMMENTS_MAX_DEPTH", 2)
    _state["articles"] = []


def _attach(generator):
    settings = generator.settings
    source = settings.get("COMMENTS_SOURCE", "")
    by_post = {}
    if source:
        try:
            by_post = load(source)
        except CommentsSourceError as exc:
            log.error("COMMENTS_SOURCE %s: %s", describe(source), exc)
    elif settings.get("COMMENTS_ENABLED"):
        log.warning("comments: COMMENTS_SOURCE is not set, so no comments are rendered",
                    extra={"advisory": True})  # tools.build prints it; never fatal
    forms_taken = not settings.get("FORMS_ZERO_SERVER", not settings.get("FORMS_URL"))
    tz = generator.settings.get("TIMEZONE")
    for article in list(generator.articles) + list(getattr(generator, "drafts", [])):
        off = str(article.metadata.get("comments", "on")).strip().lower() in OFF
        shown = bool(settings.get("COMMENTS_ENABLED")) and not off
        article.comments_shown = shown
        article.comments_open = shown and forms_taken
        article.comment_path = "/" + article.url
        found = by_post.get(article.comment_path, []) if shown else []
        tree, flat = build_tree(found, settings.get("COMMENTS_MAX_DEPTH", 2), tz)
        article.comment_tree, article.comment_list = tree, flat
        article.comment_count = len(flat)
    _state["articles"] = list(generator.articles)


def _write_posts(pelican):
    posts = {
        "/" + a.url: {"title": str(a.title), "open": bool(getattr(a, "comments_open", False))}
        for a in _state["articles"]
    }
    path = os.path.join(pelican.settings["OUTPUT_PATH"], POSTS_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"posts": dict(sorted(posts.items()))}, handle, ensure_ascii=False, indent=0)


def register():
    signals.initialized.connect(_defaults)
    signals.article_generator_finalized.connect(_attach)
    signals.finalized.connect(_write_posts)
