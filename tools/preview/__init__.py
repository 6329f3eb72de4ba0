"""The writer's live preview: `make serve`.

One process on http://127.0.0.1:8000 (tools/serve.py) that
  - builds the site, drafts and scheduled posts visible, into cache/preview/
    (builder.py runs the builds, in build processes of hot.py's);
  - on a save of a post or page, renders that file's page at once from the
    build it keeps in memory (fast_render.py), then builds the whole site in
    the background; a change to the theme, plugins or settings, or to the
    approved comments in its outbox, gets a full build (watcher.py);
  - reloads an open tab when the page it shows has changed, and no other
    (pages.py: each page carries its version, the event stream compares);
  - shows each build problem on the page of the file it names, and a note of
    them over every other page (problems.py); a problem of no one file
    shows on every page;
  - serves the forms service at /api on the same origin, with its SQLite outbox.
"""
