"""`make serve`: the live preview with the forms API, on http://127.0.0.1:8000.

The preview builds into its own folder (cache/preview/, with drafts, email
previews and its content cache beside it in cache/preview-cache/), never
into output/, so `make html` and `make publish` start from their own files.
"""

import argparse
import os

import uvicorn

from tools.preview.app import create_app
from tools.preview.builder import ROOT


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument("--output", default=str(ROOT / "cache" / "preview"))
    parser.add_argument("--content", default=None, help="content folder (default: content/)")
    parser.add_argument("--no-forms", action="store_true", help="serve the site only")
    args = parser.parse_args(argv)

    origin = f"http://{args.host}:{args.port}"
    # Canonical URLs, share links and the email previews' images point here.
    os.environ.setdefault("SITE_ORIGIN", origin)
    forms_app, comments_database = None, None
    if not args.no_forms:
        # Same origin as the preview; the pages are built with this baked in.
        os.environ.setdefault("FORMS_URL", origin)
        os.environ.setdefault("FORMS_ALLOWED_ORIGINS", f"{origin},http://localhost:{args.port}")
        # Comments approved in the preview show after the rebuild their
        # approval starts: the build reads them straight from the preview's own outbox.
        from forms.outbox import Outbox
        from forms.settings import Settings
        db_path = Settings.from_env().db_path
        Outbox(db_path).close()  # exists (and is migrated) before the first build reads it
        os.environ.setdefault("COMMENTS_SOURCE", str(db_path))
        if os.path.isfile(db_path):  # a PostgreSQL outbox is not watched
            comments_database = db_path
        # The posts that take comments, and the form-error page the service
        # fills in for a no-JavaScript mistake, as this preview last built them.
        os.environ.setdefault("COMMENTS_POSTS", os.path.join(args.output, "comments-posts.json"))
        os.environ.setdefault("FORMS_ERROR_PAGE", os.path.join(args.output, "form-error", "index.html"))
        from forms.app import create_app as create_forms_app
        forms_app = create_forms_app()
    app = create_app(args.output, forms_app=forms_app, content=args.content,
                     comments_database=comments_database)
    print(f"Preview on {origin}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
