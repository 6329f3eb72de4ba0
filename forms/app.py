"""The HTTP side of the forms service (Starlette): the signup and contact endpoints, a
health check, and the comments' endpoints (forms/comments/endpoints.py).

Every accepted submission is committed to the outbox before the response goes
out; delivery happens later, in the background worker or `make sync`.

    create_app(settings=None, prefix="/api")  -> Starlette app
    app                                        the app built from the environment

When mounting under another app at /api, build it with prefix="" (Starlette's
Mount strips the mount path) and run its lifespan (it starts the worker):
    forms = create_app(prefix="")
    Starlette(routes=[Mount("/api", forms), ...],
              lifespan=lambda _: forms.router.lifespan_context(forms))
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.formparsers import MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import error_page
from .comments.endpoints import routes as comment_routes
from .db import DB_ERRORS
from .outbox import Outbox
from .outbox_writer import OutboxWriter
from .queues import backlog, duration
from .ratelimit import BatchedRateLimiter, RateLimiter
from .settings import Settings
from .validation import (
    ERRORS,
    SUBSCRIBE_CONSENT_TEXT,
    ValidationError,
    is_bot,
    validate_contact,
    validate_subscribe,
)
from .worker import Worker

log = logging.getLogger("forms.app")

THANKS = {"subscribe": "/newsletter/thanks/", "contact": "/contact/thanks/"}
ERROR_PAGE = "/form-error/"
# Which error a plain form post is redirected with when several fields are wrong.
FIELD_ORDER = ("body", "form", "origin", "name", "email", "consent", "message")


class Rejected(Exception):
    """A request refused before validation: status, field and error code."""

    def __init__(self, status: int, field: str, code: str, headers: dict | None = None):
        self.status, self.field, self.code, self.headers = status, field, code, headers or {}


class FormsService:
    """State shared by the endpoints: settings, the outbox, the limiter and the worker.

    On PostgreSQL the outbox is across the network and shared by every instance:
    signups and contact messages go through the group-committing OutboxWriter, the
    rate limit through the BatchedRateLimiter (both on the event loop, one round
    trip per round of requests), and every other call runs in a worker thread so
    the event loop never blocks. If the database is away at start-up the service
    starts anyway, answers 503, and opens the outbox once the database is back."""

    RETRY_OPEN = 1.0  # seconds between attempts to open an outbox whose database was away

    def __init__(self, settings: Settings):
        self.settings = settings
        self._limiter: RateLimiter | BatchedRateLimiter | None = None
        self._writer: OutboxWriter | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._outbox: Outbox | None = None
        self._open_lock = threading.Lock()
        self._open_failed: tuple[float, BaseException] | None = None
        self.worker: Worker | None = None
        self.comments = None  # forms.comments.moderation.Comments, made on first use
        self.post_index = None
        domain = (settings.contact_from or settings.contact_to).rpartition("@")[2]
        self.message_id_domain = domain or "forms.invalid"

    @property
    def outbox(self) -> Outbox:
        """The outbox, opened (and migrated) on first use, not only in lifespan, so a
        mounted app works too. Raises DB_ERRORS while its database cannot be reached
        (blocking: on PostgreSQL call it off the event loop, see ready())."""
        if self._outbox is None:
            with self._open_lock:
                if self._outbox is None:
                    failed = self._open_failed
                    if failed and time.monotonic() - failed[0] < self.RETRY_OPEN:
                        raise failed[1]
                    try:
                        self._outbox = Outbox.from_settings(self.settings)
                    except DB_ERRORS as exc:
                        self._open_failed = (time.monotonic(), exc)
                        raise
                    self._open_failed = None
        return self._outbox

    async def ready(self) -> Outbox:
        """The outbox, opened off the event loop if it is not open yet."""
        if self._outbox is not None:
            return self._outbox
        return await self.call(lambda: self.outbox)

    @property
    def shared(self) -> bool:
        """PostgreSQL: the outbox is shared by every instance, the rate limit too."""
        return bool(self.settings.db_url)

    @property
    def limiter(self) -> RateLimiter | BatchedRateLimiter:
        if self._limiter is None:
            s = self.settings
            self._limiter = (BatchedRateLimiter(s.db_url, s.rate_limit, timeout=s.db_timeout,
                                                prepare=self.ready)
                             if self.shared else RateLimiter(s.rate_limit))
        return self._limiter

    @property
    def writer(self) -> OutboxWriter:
        if self._writer is None:
            self._writer = OutboxWriter(self.settings.db_url, timeout=self.settings.db_timeout,
                                        prepare=self.ready)
        return self._writer

    async def rate_wait(self, ip: str) -> float:
        """Count one request of this client: 0 if allowed, else seconds until it may retry."""
        if not self.settings.rate_limit:
            return 0.0
        if self.shared:
            return await self.limiter.hit(ip)
        return self.limiter.hit(ip)

    async def add_signup(self, email: str, name: str, consent: bool, consent_text: str,
                         source: str, ip: str) -> None:
        """Returns once the signup is committed."""
        if self.shared and self.settings.group_commit:
            await self.writer.add_signup(email, name, consent, consent_text, source, ip)
        else:
            await self.call(lambda: self.outbox.add_signup(email, name, consent, consent_text,
                                                           source, ip))

    async def add_contact(self, **fields) -> None:
        """Returns once the message (and its signup, if asked) is committed."""
        if self.shared and self.settings.group_commit:
            await self.writer.add_contact(**fields)
        else:
            await self.call(lambda: self.outbox.add_contact(**fields))

    async def call(self, fn, *args):
        """fn(*args) on the event loop (SQLite, a local file) or in one of as many threads
        as the instance has database connections (PostgreSQL)."""
        if self.shared:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.settings.db_pool_size,
                                                   thread_name_prefix="forms-db")
            return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)
        return fn(*args)

    async def aclose(self) -> None:
        for batched in (self._writer, self._limiter):
            if batched is not None and hasattr(batched, "close"):
                await batched.close()
        self._writer = None
        self.close()

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    @property
    def outbox_kind(self) -> str:
        return "postgresql" if self.shared else "sqlite"

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.notify()

    # -- request plumbing ---------------------------------------------------

    def client_ip(self, request: Request) -> str:
        if self.settings.trust_proxy:
            forwarded = request.headers.get("x-forwarded-for", "")
            # The right-most entry was added by our own proxy; the rest is client-supplied.
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            if hops:
                return hops[-1]
        return request.client.host if request.client else ""

    def origin_allowed(self, request: Request) -> bool:
        """No Origin, our own origin, or one listed in FORMS_ALLOWED_ORIGINS."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        if origin in self.settings.allowed_origins:
            return True
        host = request.headers.get("host", "")
        if self.settings.trust_proxy:
            host = request.headers.get("x-forwarded-host", host).split(",")[-1].strip()
        return origin != "null" and bool(host) and urlsplit(origin).netloc == host

    def cors_headers(self, request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin and origin in self.settings.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    async def read_fields(self, request: Request) -> dict[str, Any]:
        """The posted fields, from a body never read past FORMS_MAX_BODY."""
        limit = self.settings.max_body
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise Rejected(400, "body", "bad-request")
            if int(length) > limit:
                raise Rejected(413, "body", "too-large")
        chunks, size = [], 0
        async for chunk in request.stream():  # enforced while reading: chunked bodies too
            size += len(chunk)
            if size > limit:
                raise Rejected(413, "body", "too-large")
            chunks.append(chunk)
        body = b"".join(chunks)

        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype == "application/x-www-form-urlencoded":
                return _first_values(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            if ctype == "application/json":
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise ValueError("not an object")
                return data
            if ctype == "multipart/form-data":
                return await _parse_multipart(request, body)
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
            raise Rejected(400, "body", "bad-request") from None
        raise Rejected(400, "body", "bad-request")


async def _parse_multipart(request: Request, body: bytes) -> dict[str, Any]:
    async def stream() -> AsyncIterator[bytes]:
        yield body

    try:
        form = await MultiPartParser(request.headers, stream(), max_files=0, max_fields=100).parse()
    except Exception as exc:  # starlette raises its own MultiPartException / HTTPException
        raise ValueError(str(exc)) from None
    return _first_values((k, v) for k, v in form.multi_items() if isinstance(v, str))


def _first_values(pairs) -> dict[str, str]:
    """A repeated field counts with its first value, as in most frameworks."""
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    ctype = request.headers.get("content-type", "").lower()
    return "application/json" in accept or ctype.startswith("application/json")


def _redirect(service: FormsService, path: str) -> RedirectResponse:
    return RedirectResponse(service.settings.siteurl + path, status_code=303)


def error_response(
    service: FormsService,
    request: Request,
    form: str,
    status: int,
    errors: dict[str, str],
    headers: dict | None = None,
) -> Response:
    headers = {**service.cors_headers(request), **(headers or {})}
    if wants_json(request):
        return JSONResponse(
            {
                "ok": False,
                "errors": {field: ERRORS[code] for field, code in errors.items()},
                "codes": errors,
            },
            status_code=status,
            headers=headers,
        )
    page = error_page.page_response(request, form, status, errors, headers)
    if page is not None:  # the site's error page, the form refilled, every problem named
        return page
    code = errors[min(errors, key=lambda f: FIELD_ORDER.index(f) if f in FIELD_ORDER else 99)]
    query = urlencode({"form": form, "error": code})
    response = _redirect(service, f"{ERROR_PAGE}?{query}#{code}")
    response.headers.update(headers)
    return response


def success_response(service: FormsService, request: Request, form: str, message: str) -> Response:
    headers = service.cors_headers(request)
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message}, headers=headers)
    response = _redirect(service, THANKS[form])
    response.headers.update(headers)
    return response


async def handle(request: Request, form: str, accept, thanks) -> Response:
    """The shared path of both POST endpoints; `accept` validates and stores."""
    service: FormsService = request.app.state.forms
    try:
        if not service.origin_allowed(request):
            raise Rejected(403, "origin", "origin-not-allowed")
        ip = service.client_ip(request)
        wait = await service.rate_wait(ip)
        if wait:
            raise Rejected(429, "form", "rate-limited", {"Retry-After": str(int(wait))})
        fields = request.state.fields = await service.read_fields(request)
        if is_bot(fields):
            # Looks exactly like success, stores nothing.
            return success_response(service, request, form, thanks(service.settings))
        await accept(service, fields, ip)
    except Rejected as r:
        return error_response(service, request, form, r.status, {r.field: r.code}, r.headers)
    except ValidationError as e:
        status = 400 if "bad-request" in e.errors.values() else 422
        return error_response(service, request, form, status, e.errors)
    except DB_ERRORS as exc:
        # Not stored, and the visitor is told so: nothing is silently lost.
        log.error("outbox write failed: %s: %s", type(exc).__name__,
                  service.settings.redact(str(exc)))
        return error_response(service, request, form, 503, {"form": "server-error"},
                              {"Retry-After": "60"})
    service.wake_worker()
    return success_response(service, request, form, thanks(service.settings))


async def _accept_subscribe(service: FormsService, fields: dict, ip: str) -> None:
    data = validate_subscribe(fields, consent_required=service.settings.subscribe_consent_required)
    await service.add_signup(data.email, data.name, data.consent, data.consent_text, data.source,
                             ip)


async def _accept_contact(service: FormsService, fields: dict, ip: str) -> None:
    s = service.settings
    data = validate_contact(fields, max_links=s.contact_max_links, min_seconds=s.contact_min_seconds)
    await service.add_contact(
        name=data.name,
        email=data.email,
        message=data.message,
        source=data.source,
        ip=ip,
        subscribe=data.subscribe,
        consent_text=SUBSCRIBE_CONSENT_TEXT,
        message_id_domain=service.message_id_domain,
    )


def _subscribe_thanks(settings: Settings) -> str:
    if settings.mailchimp_double_optin:
        return "Thanks! Check your inbox and confirm your subscription."
    return "Thanks for subscribing!"


def _contact_thanks(settings: Settings) -> str:
    return "Thanks! We have received your message and will get back to you soon."


async def subscribe(request: Request) -> Response:
    return await handle(request, "subscribe", _accept_subscribe, _subscribe_thanks)


async def contact(request: Request) -> Response:
    return await handle(request, "contact", _accept_contact, _contact_thanks)


async def preflight(request: Request) -> Response:
    service: FormsService = request.app.state.forms
    origin = request.headers.get("origin")
    if not origin or origin not in service.settings.allowed_origins:
        return Response(status_code=403, headers={"Vary": "Origin"})
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Accept",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


async def health(request: Request) -> Response:
    """200 while the oldest undelivered item is younger than FORMS_HEALTH_MAX_AGE, else 503
    (for uptime monitors), with the backlog and, when unhealthy, the reason in words."""
    service: FormsService = request.app.state.forms
    try:
        state, counts = await service.call(_health_read, service)
    except DB_ERRORS as exc:
        log.error("health: outbox unreadable: %s: %s", type(exc).__name__,
                  service.settings.redact(str(exc)))
        return JSONResponse({"ok": False, "database": service.outbox_kind,
                             "reason": "the outbox database cannot be reached"},
                            status_code=503, headers={"Retry-After": "10",
                                                      "Cache-Control": "no-store"})
    limit = service.settings.health_max_age
    body = {"ok": True, "database": service.outbox_kind, "outbox": counts,
            "backlog": state.as_dict(), "max_age_seconds": limit}
    age = state.oldest_age
    if age is not None and age > limit:
        oldest = state.oldest
        body["ok"] = False
        body["reason"] = (
            f"the oldest undelivered item ({oldest.name}) has waited {duration(age)}, "
            f"longer than FORMS_HEALTH_MAX_AGE ({duration(limit)}); "
            f"{state.undelivered} item(s) undelivered, {state.errored} after errors. "
            "Run `make outbox` on the server for the reasons."
        )
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _health_read(service: FormsService):
    outbox = service.outbox  # opened here, off the event loop, if it was not yet
    return backlog(outbox), outbox.counts()


def create_app(settings: Settings | None = None, *, prefix: str = "/api") -> Starlette:
    settings = settings or Settings.from_env()
    service = FormsService(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        try:
            await service.ready()  # open and migrate before the first request
        except DB_ERRORS as exc:  # PostgreSQL away: start anyway, answer 503 until it is back
            log.error("outbox unreachable at start-up, answering 503 until it is back: %s: %s",
                      type(exc).__name__, settings.redact(str(exc)))
        if settings.worker:
            service.worker = Worker(settings, lambda: service.outbox)
            service.worker.start()
        try:
            yield
        finally:
            if service.worker is not None:
                await service.worker.stop()
                service.worker = None
            await service.aclose()

    app = Starlette(
        routes=[
            Route(f"{prefix}/subscribe", subscribe, methods=["POST"]),
            Route(f"{prefix}/subscribe", preflight, methods=["OPTIONS"]),
            Route(f"{prefix}/contact", contact, methods=["POST"]),
            Route(f"{prefix}/contact", preflight, methods=["OPTIONS"]),
            Route(f"{prefix}/health", health, methods=["GET"]),
            *comment_routes(prefix, preflight),
        ],
        lifespan=lifespan,
    )
    app.state.forms = service
    return app


def __getattr__(name: str):
    # `forms.app:app` for uvicorn and friends, built from the environment on first access.
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
