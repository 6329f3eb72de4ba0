"""The preview's web app: the built site, live reload, build errors, the
build's advice over every page, and /api."""

import asyncio
import contextlib
import html
import json

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.staticfiles import StaticFiles

from .builder import Builder
from .watcher import watch

# The page knows which build it came from, so a build that finishes before
# the event stream connects still reloads it.
RELOAD_SCRIPT = """<script>/* preview only */(function(){var g="%d";
var s=new EventSource('/__preview/events');s.onmessage=function(e){
if(e.data!==g){s.close();location.reload()}};})();</script>"""


def error_page(problems, generation):
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Build failed · preview</title><style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;
background:#fff3f2;color:#1d1d1f}}pre{{white-space:pre-wrap;background:#fff;border:2px solid #a4161a;
padding:1rem}}</style></head><body><main><h1>The build failed</h1>
<p>Fix the problems below and save; this page reloads by itself.</p>
<pre>{html.escape(problems)}</pre></main>{RELOAD_SCRIPT % generation}</body></html>"""


def advice_overlay(advice):
    """A panel over the page listing the build's advice (preview only)."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in advice)
    return (f'<aside id="preview-advice" aria-label="Build advice" style="position:fixed;z-index:9999;'
            f'right:1rem;bottom:1rem;max-width:40rem;max-height:50vh;overflow:auto;background:#fffbe6;'
            f'color:#1d1d1f;border:2px solid #8a6d00;padding:.5rem 1rem;font:14px/1.4 system-ui,sans-serif">'
            f'<details><summary>{len(advice)} piece(s) of advice from the build '
            f'(they do not fail it)</summary><ul>{items}</ul></details>'
            f'<button type="button" onclick="this.parentNode.remove()">Hide</button></aside>')


def create_app(output, forms_app=None, content=None):
    builder = Builder(output, content=content)
    site = StaticFiles(directory=str(output), html=True, check_dir=False)

    async def events(request):
        async def stream():
            state = builder.state
            while True:
                yield f"data: {state.generation}\n\n"
                async with state.changed:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(state.changed.wait(), timeout=15)
                if await request.is_disconnected():
                    break
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def status(request):
        state = builder.state
        return Response(json.dumps({"generation": state.generation, "ok": state.ok,
                                    "problems": state.problems, "advice": state.advice,
                                    "seconds": state.seconds}),
                        media_type="application/json")

    async def pages(scope, receive, send):
        state = builder.state
        if not state.ok and (scope["path"].endswith(("/", ".html"))):
            response = HTMLResponse(error_page(state.problems, state.generation), status_code=500)
            await response(scope, receive, send)
            return
        script = (RELOAD_SCRIPT % state.generation).encode()
        if state.advice:
            script = advice_overlay(state.advice).encode() + script
        # Always send the file: a rebuild within the same second as the last
        # one keeps Last-Modified, and a 304 would show the old page.
        headers = [(k, v) for k, v in scope["headers"]
                   if k not in (b"if-modified-since", b"if-none-match")]
        await site(dict(scope, headers=headers), receive, _inject_reload(send, script))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await builder.build()
        watcher = asyncio.create_task(watch(builder))
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
    app.mount("/", pages)
    app.state.builder = builder
    return app


def _prefixed(forms_app, prefix):
    """The forms app routes its own /api paths; give them back the prefix."""
    async def asgi(scope, receive, send):
        scope = dict(scope, path=prefix + scope["path"] if not scope["path"].startswith(prefix) else scope["path"], root_path="")
        await forms_app(scope, receive, send)
    return asgi


def _inject_reload(send, script):
    """Wrap `send` so HTML pages get the reload script before </body>."""
    state = {"html": False, "start": None}

    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            state["html"] = headers.get(b"content-type", b"").startswith(b"text/html")
            if state["html"]:
                message = dict(message, headers=[
                    *[(k, v) for k, v in message["headers"]
                      if k not in (b"content-length", b"etag", b"last-modified")],
                    (b"cache-control", b"no-store")])
            state["start"] = message
            return
        if message["type"] == "http.response.body":
            if state["start"] is not None:
                await send(state["start"])
                state["start"] = None
            if state["html"]:
                body = message.get("body", b"")
                if b"</body>" in body:
                    body = body.replace(b"</body>", script + b"</body>", 1)
                message = dict(message, body=body)
        await send(message)
    return wrapped
