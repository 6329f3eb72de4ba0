"""The forms service: HTTP endpoints, validation, outbox store and delivery.

Entry points:
    forms.app:app / forms.app.create_app(settings)   the ASGI application
    python -m forms.serve                             production server (uvicorn)
    python -m forms.sync [--dry-run]                  one delivery run (`make sync`)
    python -m forms.outbox_cli ...                    read, requeue and purge the outbox (`make outbox`)
    python -m forms.person export|erase EMAIL|scrub   a person's data (`make person`)
"""
