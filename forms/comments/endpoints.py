"""HTTP endpoints of the comments, mounted by forms.app:

    POST /api/comments            a new comment (form-encoded or JSON, like the other forms)
    GET  /api/comments/export     approved comments, no addresses (?post=/path/ &since=ISO)
    GET  /api/comments/action?t=  the page behind a mailed link: what it will do, one button
    POST /api/comments/action?t=  does it (also RFC 8058 one-click unsubscribe)

Mail scanners fetch every link in a mail, so a GET never changes anything.

Every call that reads the outbox or the post list goes through service.call:
on PostgreSQL it runs in a worker thread, so the event loop never waits on
the database (on SQLite, a local file, it runs in place, as the other forms).
"""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..db import DB_ERRORS
from ..validation import ValidationError, is_bot
from . import akismet
from .moderation import LABELS, Comments
from .posts import PostIndex, PostsUnavailable, default_location
from .tokens import BadToken
from .validate import validate_comment

log = logging.getLogger("forms.comments")

PENDING_MESSAGE = "Thanks! Your comment is awaiting moderation."
LIVE_MESSAGE = "Thanks! Your comment is published."
HOUR = timedelta(hours=1)


async def comments_of(request: Request) -> Comments:
    """The comments, made on first use (raises DB_ERRORS while the outbox cannot be opened)."""
    service = request.app.state.forms
    if getattr(service, "comments", None) is None:
        outbox = await service.ready()
        if service.comments is None:
            service.post_index = PostIndex(default_location(service.settings))
            service.comments = Comments(service.settings, outbox, str(request.base_url))
    return service.comments


def _unavailable(exc: BaseException, request: Request) -> None:
    settings = request.app.state.forms.settings
    log.error("outbox unreachable: %s: %s", type(exc).__name__, settings.redact(str(exc)))


def _title_of(request: Request):
    def title(post: str) -> str:
        try:
            info = request.app.state.forms.post_index.get(post)
        except PostsUnavailable:
            info = None
        return (info or {}).get("title") or post
    return title


class _Refused(Exception):
    def __init__(self, status: int, field: str, code: str):
        self.status, self.field, self.code = status, field, code


def _check(request: Request, comments: Comments, form, ip: str) -> str:
    """Refusals that need the store or the post list; returns the post's title."""
    service = request.app.state.forms
    s = comments.settings
    try:
        info = service.post_index.get(form.post)
    except PostsUnavailable:
        raise _Refused(503, "form", "comments-unavailable") from None
    if not info or not info.get("open", True):
        raise _Refused(422, "post", "comment-post-unknown")
    if form.parent is not None:
        parent = comments.store.get(form.parent)
        if parent is None or parent.post != form.post or parent.status != "approved":
            raise _Refused(422, "parent", "comment-parent-unknown")
    if s.comments_per_ip_hour > 0 and comments.store.recent_count(ip=ip, within=HOUR) >= s.comments_per_ip_hour:
        raise _Refused(429, "form", "comment-rate-limited")
    if (s.comments_per_email_hour > 0
            and comments.store.recent_count(email=form.email, within=HOUR) >= s.comments_per_email_hour):
        raise _Refused(429, "form", "comment-rate-limited")
    if comments.store.is_duplicate(form.post, form.email, form.body):
        raise _Refused(422, "body", "comment-duplicate")
    return info.get("title") or form.post


async def post_comment(request: Request) -> Response:
    from ..app import Rejected, error_response  # the shared request plumbing

    service = request.app.state.forms
    s = service.settings
    try:
        comments = await comments_of(request)
        if not service.origin_allowed(request):
            raise Rejected(403, "origin", "origin-not-allowed")
        ip = service.client_ip(request)
        wait = await service.rate_wait(ip)
        if wait:
            raise Rejected(429, "form", "rate-limited", {"Retry-After": str(int(wait))})
        fields = request.state.fields = await service.read_fields(request)
        form_post = fields.get("post") if isinstance(fields.get("post"), str) else ""
        if is_bot(fields):
            return _accepted(request, service, form_post or "/", "pending", None)
        form = validate_comment(fields, max_links=s.comments_max_links,
                                max_length=s.comments_max_length,
                                min_seconds=s.contact_min_seconds)
        title = await service.call(_check, request, comments, form, ip)
        spam = await asyncio.to_thread(
            akismet.is_spam, s, ip=ip, user_agent=request.headers.get("user-agent", ""),
            referrer=request.headers.get("referer", ""), permalink=comments.page_url(form.post),
            name=form.name, email=form.email, body=form.body)
        comment = await service.call(lambda: comments.submit(form, ip, title, spam=spam))
    except Rejected as r:
        return error_response(service, request, "comment", r.status, {r.field: r.code}, r.headers)
    except _Refused as r:
        headers = {"Retry-After": "3600"} if r.status == 429 else None
        return error_response(service, request, "comment", r.status, {r.field: r.code}, headers)
    except ValidationError as e:
        status = 400 if "bad-request" in e.errors.values() else 422
        return error_response(service, request, "comment", status, e.errors)
    except DB_ERRORS as exc:
        _unavailable(exc, request)
        return error_response(service, request, "comment", 503, {"form": "server-error"},
                              {"Retry-After": "60"})
    service.wake_worker()
    return _accepted(request, service, form.post, comment.status, comment.id)


def _accepted(request: Request, service, post: str, status: str, id: int | None) -> Response:
    from ..app import wants_json

    state = "published" if status == "approved" else "pending"  # spam looks pending
    headers = service.cors_headers(request)
    if wants_json(request):
        return JSONResponse({"ok": True, "status": state, "id": id,
                             "message": PENDING_MESSAGE if state == "pending" else LIVE_MESSAGE},
                            headers=headers)
    if not post.startswith("/") or post.startswith("//"):
        post = "/"
    response = RedirectResponse(f"{service.settings.siteurl}{post}?comment={state}#comments",
                                status_code=303)
    response.headers.update(headers)
    return response


async def export(request: Request) -> Response:
    post = request.query_params.get("post") or None
    since = request.query_params.get("since") or None
    try:
        comments = await comments_of(request)
        data = {"comments": await request.app.state.forms.call(comments.store.approved, post,
                                                               since)}
    except DB_ERRORS as exc:
        _unavailable(exc, request)
        return JSONResponse({"ok": False, "reason": "the outbox database cannot be reached"},
                            status_code=503, headers={"Retry-After": "60",
                                                      "Cache-Control": "no-store"})
    return JSONResponse(data, headers={"Access-Control-Allow-Origin": "*",
                                       "Cache-Control": "public, max-age=30"})


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}
blockquote{{border-left:4px solid #ccc;margin:1rem 0;padding:.25rem 1rem;color:#333}}
button{{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:.3rem;background:#1d4ed8;color:#fff;cursor:pointer}}</style>
</head><body><main><h1>{title}</h1>{content}</main></body></html>"""

_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}

_QUESTIONS = {
    "approve": "Approve this comment?", "reject": "Reject this comment?",
    "spam": "Mark this comment as spam?", "delete": "Delete your comment?",
    "notify": "Email you when someone replies?", "unsubscribe": "Stop reply notifications?",
}


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), content=content),
                        status_code=status, headers=_HEADERS)


_TRY_AGAIN = ("Please try again",
              "<p>Something went wrong on our side. Try again in a minute.</p>", 503)


async def action_page(request: Request) -> Response:
    token = request.query_params.get("t", "")
    service = request.app.state.forms
    try:
        comments = await comments_of(request)
        parsed, comment = await service.call(comments.describe, token)
        title = await service.call(_title_of(request), comment.post)
    except BadToken as exc:
        return _page("This link does not work", f"<p>{html.escape(exc.reason)}</p>", 410)
    except DB_ERRORS as exc:
        _unavailable(exc, request)
        return _page(*_TRY_AGAIN)
    content = (
        f"<p>On <a href=\"{html.escape(comments.page_url(comment.post))}\">{html.escape(title)}</a>, "
        f"by {html.escape(comment.name)}:</p><blockquote>{comment.body_html}</blockquote>"
        f"<form method=\"post\" action=\"?t={html.escape(token)}\">"
        f"<button type=\"submit\">{LABELS[parsed.action]}</button></form>"
    )
    return _page(_QUESTIONS[parsed.action], content)


async def action_post(request: Request) -> Response:
    token = request.query_params.get("t", "")
    if not token:
        form = await request.form()
        token = str(form.get("t", ""))
    try:
        comments = await comments_of(request)
        outcome = await request.app.state.forms.call(comments.apply_token, token,
                                                     _title_of(request))
    except BadToken as exc:
        return _page("This link does not work", f"<p>{html.escape(exc.reason)}</p>", 410)
    except DB_ERRORS as exc:
        _unavailable(exc, request)
        return _page(*_TRY_AGAIN)
    request.app.state.forms.wake_worker()
    return _page("Done" if outcome.ok else "Nothing to do", f"<p>{html.escape(outcome.message)}</p>")


def routes(prefix: str, preflight) -> list[Route]:
    return [
        Route(f"{prefix}/comments", post_comment, methods=["POST"]),
        Route(f"{prefix}/comments", preflight, methods=["OPTIONS"]),
        Route(f"{prefix}/comments/export", export, methods=["GET"]),
        Route(f"{prefix}/comments/action", action_page, methods=["GET"]),
        Route(f"{prefix}/comments/action", action_post, methods=["POST"]),
    ]
