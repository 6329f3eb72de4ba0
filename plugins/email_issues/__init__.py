"""Newsletter issues: every post rendered as an email at build time, and (at
the end of `make publish`) each new post sent as one Mailchimp campaign.

When the build has written the site (finalized, so the preview's edited page
is never kept waiting) each published post, and in the preview each draft
too, is rendered by render.py with the theme's templates/email/. Then:
  * SVG covers get PNG renderings under images/email/ (they ship with the site:
    the emails point at them);
  * NEWSLETTER_ISSUES_FILE (publishconf: var/newsletter/issues.json) receives
    every published post's issue as JSON, which `make newsletter` reads;
  * with NEWSLETTER_PREVIEW_PAGES (on in `make serve`) each email is written
    to /newsletter/preview/<slug>/ (and plain.txt beside it), with Mailchimp's
    merge tags filled with sample values. `make publish` writes none. A preview
    page whose post, templates and settings have not changed is not rendered
    again (a key beside it says what it was made from).
  * an email over 90 KB is reported as a warning, over Gmail's 102 KB clipping
    limit as a build error naming the post.
When the build ends and NEWSLETTER_SEND_ON_PUBLISH is on (publishconf) and
NEWSLETTER_CAMPAIGNS is not "off", the campaign sender (campaigns.py) runs
with those issues; a failure fails the build.

Settings: NEWSLETTER_RENDER (default: on when the issues file or preview pages
are wanted), NEWSLETTER_ISSUES_FILE, NEWSLETTER_PREVIEW_PAGES,
NEWSLETTER_SEND_ON_PUBLISH. The sender's settings come from the environment:
see campaigns.py and the README.
"""

import hashlib
import html
import json
import logging
import os
import sys

from pelican import signals
from pelican.generators import ArticlesGenerator

from .render import GMAIL_CLIP_BYTES, WARN_BYTES, newsletter_flag, render_issue

log = logging.getLogger(__name__)
PREVIEW_DIR = "newsletter/preview"
SAMPLE_MERGE_TAGS = {
    "*|UNSUB|*": "#unsubscribe-link-goes-here",
    "*|UPDATE_PROFILE|*": "#preferences-link-goes-here",
}

_state = {"issues": None, "generator": None}
_TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "theme", "templates", "email")


def _wanted(settings):
    if "NEWSLETTER_RENDER" in settings:
        return bool(settings["NEWSLETTER_RENDER"])
    return bool(settings.get("NEWSLETTER_ISSUES_FILE") or settings.get("NEWSLETTER_PREVIEW_PAGES"))


def remember(generators):
    _state["issues"] = None
    _state["generator"] = next((g for g in generators if isinstance(g, ArticlesGenerator)), None)


def _code_digest():
    """The email templates and the renderer, once per build."""
    digest = hashlib.sha256()
    if os.path.isdir(_TEMPLATES):
        for name in sorted(os.listdir(_TEMPLATES)):
            with open(os.path.join(_TEMPLATES, name), "rb") as handle:
                digest.update(handle.read())
    with open(__file__.replace("__init__.py", "render.py"), "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()


def source_key(article, settings, code):
    """What a post's email is made from: its text and metadata, the email
    templates (code) and the settings they read."""
    digest = hashlib.sha256(code.encode())
    digest.update((getattr(article, "source_html", None) or article._content or "").encode())
    digest.update(repr(sorted((k, str(v)) for k, v in article.metadata.items())).encode())
    digest.update(repr([settings.get(k) for k in ("SITE_ORIGIN", "SITENAME", "SITESUBTITLE",
                                                   "PAGE_URL", "ARTICLE_URL", "SHARE_NETWORKS")]).encode())
    return digest.hexdigest()


def render_all(pelican=None):
    articles_generator = _state["generator"]
    if articles_generator is None or not _wanted(articles_generator.settings):
        return
    settings = articles_generator.settings
    env = articles_generator.env
    preview = bool(settings.get("NEWSLETTER_PREVIEW_PAGES"))
    posts = list(articles_generator.articles)
    if preview:
        posts += list(articles_generator.drafts)
    issues, published = [], {id(a) for a in articles_generator.articles}
    need_all = bool(settings.get("NEWSLETTER_ISSUES_FILE"))
    code = _code_digest() if preview else ""
    for article in posts:
        flag = newsletter_flag(article)
        if flag not in ("", "on", "yes", "true", "1", "off", "no", "false", "0"):
            log.error("%s: Newsletter: %r must be on or off", article.source_path, flag)
            continue
        key = source_key(article, settings, code) if preview else ""
        key_file = os.path.join(settings["OUTPUT_PATH"], PREVIEW_DIR, article.slug, ".key")
        if preview and not need_all and _read(key_file) == key:
            continue  # its preview is up to date
        try:
            issue = render_issue(article, env, settings)
        except Exception as error:  # noqa: BLE001 - reported with the post's file
            log.error("%s: cannot render its newsletter email: %s: %s",
                      article.source_path, type(error).__name__, error)
            continue
        kb = issue.size / 1024
        if issue.size > GMAIL_CLIP_BYTES:
            log.error("%s: its newsletter email is %.1f KB of HTML, over Gmail's 102 KB clipping "
                      "limit; shorten the post or split it", issue.source_path, kb)
        elif issue.size > WARN_BYTES:
            print(f"warning: {issue.source_path}: its newsletter email is {kb:.1f} KB of HTML, "
                  "close to Gmail's 102 KB clipping limit", file=sys.stderr)
        if preview:
            write_preview(settings["OUTPUT_PATH"], issue)
            with open(key_file, "w", encoding="utf-8") as handle:
                handle.write(key)
        if id(article) in published:
            issues.append(issue)
    if preview:
        write_preview_index(settings["OUTPUT_PATH"], articles_generator.articles, settings)
    target = settings.get("NEWSLETTER_ISSUES_FILE")
    if target:
        write_issues(target, issues)
    _state["issues"] = issues


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def fill_sample_merge_tags(document, preview_text):
    for tag, value in SAMPLE_MERGE_TAGS.items():
        document = document.replace(tag, value)
    document = document.replace("*|MC_PREVIEW_TEXT|*", html.escape(preview_text))
    return document.replace("*|LIST:ADDRESSLINE|*",
                            "(Your audience's postal address, from Mailchimp, goes here.)")


def write_preview(output_path, issue):
    folder = os.path.join(output_path, PREVIEW_DIR, issue.slug)
    os.makedirs(folder, exist_ok=True)
    document = fill_sample_merge_tags(issue.html, issue.preview_text)
    document = document.replace("<head>", '<head>\n<meta name="robots" content="noindex">', 1)
    with open(os.path.join(folder, "index.html"), "w", encoding="utf-8") as handle:
        handle.write(document)
    with open(os.path.join(folder, "plain.txt"), "w", encoding="utf-8") as handle:
        handle.write(issue.text)


def write_preview_index(output_path, articles, settings):
    from .render import newsletter_enabled

    rows = "\n".join(
        f'<li><a href="{html.escape(a.slug)}/">{html.escape(a.title)}</a> · '
        f'<a href="{html.escape(a.slug)}/plain.txt">plain text</a>'
        f'{" · <strong>Newsletter: off</strong>" if not newsletter_enabled(a) else ""}</li>'
        for a in articles)
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" '
            f'content="noindex"><title>Newsletter previews · {html.escape(settings["SITENAME"])}</title>'
            f'</head><body><main><h1>Newsletter previews</h1><p>Each published post as its email. '
            f'Drafts are at /newsletter/preview/&lt;slug&gt;/ too.</p><ul>{rows}</ul></main></body></html>')
    folder = os.path.join(output_path, PREVIEW_DIR)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "index.html"), "w", encoding="utf-8") as handle:
        handle.write(page)


def write_issues(target, issues):
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    partial = target + ".part"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "issues": [i.as_dict() for i in issues]}, handle)
    os.replace(partial, target)


def send_after_publish(pelican):
    render_all(pelican)
    settings = pelican.settings
    if not settings.get("NEWSLETTER_SEND_ON_PUBLISH") or _state["issues"] is None:
        return
    from .campaigns import NewsletterConfigError, NewsletterSettings, run_campaigns, settings_environ

    try:
        config = NewsletterSettings.from_env(settings_environ(settings))
    except NewsletterConfigError as error:
        log.error("Newsletter: %s; nothing was created.", error)
        return
    if config.mode == "off":
        return
    report = run_campaigns(_state["issues"], config, out=sys.stdout)
    if report.error:
        log.error("Newsletter: %s", report.error)
    elif report.failed:
        log.error("Newsletter: %d issue(s) failed; see above. Rerun `make newsletter` "
                  "once fixed: it picks up where this run stopped.", report.failed)


def register():
    signals.all_generators_finalized.connect(remember)
    signals.finalized.connect(send_after_publish)
