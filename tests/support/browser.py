"""Headless Chromium (Debian's, driven by Playwright) and a static file server,
for tests that do what a visitor does."""

import contextlib
import functools
import http.server
import threading

from tools.browser import CHROMIUM, CHROMIUM_ARGS, launch  # noqa: F401 - the tests' one launcher


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_directory(path, port=0):
    """Serve `path` on 127.0.0.1; yields the origin, e.g. http://127.0.0.1:41234."""
    handler = functools.partial(_QuietHandler, directory=str(path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
