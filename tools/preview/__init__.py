"""The writer's live preview: `make serve`.

One process on http://127.0.0.1:8000 that
  - builds the site (with drafts and scheduled posts visible),
  - rebuilds when anything in content/, theme/, plugins/ or the settings changes,
  - reloads the open browser tab after each build (a few lines of injected
    JavaScript listening on /__preview/events),
  - shows a build failure as an error page in the browser, naming the file
    and field, until the next good build (the last good page is never served
    as if nothing had happened),
  - serves the forms service at /api on the same origin, with its SQLite outbox.
"""
