"""`make forms`: the forms service under its production server, uvicorn (httptools + uvloop).

    python -m forms.serve [--host 127.0.0.1] [--port $FORMS_PORT] [--proxy-headers] [--access-log]
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from .app import create_app
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"forms.serve: configuration error: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m forms.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument(
        "--proxy-headers", action="store_true",
        help="let uvicorn trust X-Forwarded-Proto/For from 127.0.0.1 (see also FORMS_TRUST_PROXY)",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        proxy_headers=args.proxy_headers,
        access_log=args.access_log,
        log_level=args.log_level,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
