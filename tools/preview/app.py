"""The preview's web app: the built site with live reload, each build problem
on the page it concerns, the build's advice over every page, and /api."""

import asyncio
import contextlib

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.staticfiles import StaticFiles

from . import pages
from .builder import Builder
from .watcher import ApprovedComments, watch

KEEP_ALIVE = 15  # seconds between the event stream's comments, so proxies keep it open


def create_app(output, forms_app=None, content=None, comments_database=None):
    """`comments_database`: the forms outbox the pages' comments come from;
    a change to its approved comments rebuilds the site."""
    builder = Builder(output, content=content)
    site = StaticFiles(directory=str(output), html=True, check_dir=False)

    def page(path):
        state = builder.state
        return pages.answer(str(output), path, state.problems, state.advice)

    async def events(request):
        """Tells the tab to reload once its page's version is not the one it has."""
        path, version = request.query_params.get("path", "/"), request.query_params.get("v", "")

        async def stream():
            while True:
                if page(path).version != version:
                    yield "data: reload\n\n"
                    return
                yield ": waiting\n\n"
                await builder.state.wait(KEEP_ALIVE)
                if await request.is_disconnected():
                    return
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def status(request):
        return JSONResponse(builder.state.as_json())

    async def serve(scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") \
                and pages.is_page_path(scope["path"]):
            answer = page(scope["path"])
            response = Response(answer.body if scope["method"] == "GET" else b"", answer.status,
                                media_type="text/html; charset=utf-8",
                                headers={"Cache-Control": "no-store"})
            await response(scope, receive, send)
            return
        # Always send the file: a rebuild within the same second as the last
        # one keeps Last-Modified, and a 304 would show the old file.
        headers = [(k, v) for k, v in scope.get("headers", [])
                   if k not in (b"if-modified-since", b"if-none-match")]
        await site(dict(scope, headers=headers), receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await builder.start()
        comments = ApprovedComments(comments_database) if comments_database else None
        watcher = asyncio.create_task(watch(builder, comments))
        async with contextlib.AsyncExitStack() as stack:
            if forms_app is not None:
                await stack.enter_async_context(forms_app.router.lifespan_context(forms_app))
            yield
        watcher.cancel()
        await builder.close()

    app = Starlette(lifespan=lifespan)
    app.add_route("/__preview/events", events)
    app.add_route("/__preview/status", status)
    if forms_app is not None:
        app.mount("/api", _prefixed(forms_app, "/api"))
    app.mount("/", serve)
    app.state.builder = builder
    return app


def _prefixed(forms_app, prefix):
    """The forms app routes its own /api paths; give them back the prefix."""
    async def asgi(scope, receive, send):
        path = scope["path"] if scope["path"].startswith(prefix) else prefix + scope["path"]
        await forms_app(dict(scope, path=path, root_path=""), receive, send)
    return asgi
