"""Fixtures for the forms service tests: a real uvicorn subprocess and a small HTTP client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.postgres import outbox_target, postgres  # noqa: E402,F401  (fixtures)
from tests.support.servers import Client, FormsServer, base_env  # noqa: E402


@pytest.fixture
def start_server(tmp_path):
    """start_server(**env) -> (FormsServer, Client); every server is stopped at teardown."""
    started: list[FormsServer] = []

    def start(db: Path | None = None, **env: str):
        db = db or tmp_path / f"forms{len(started)}.sqlite3"
        server = FormsServer(base_env(db, **env), tmp_path / f"server{len(started)}.log")
        started.append(server)
        server.start()
        server.db = db
        return server, Client(server.url)

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_outbox(request, tmp_path_factory):
    """A module's fresh outbox on each backend: a SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        return tmp_path_factory.mktemp("outbox") / "forms.sqlite3"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture(scope="module")
def shared(tmp_path_factory, module_outbox):
    """One server for the many read-only-ish input tests of a module, on each backend."""
    tmp = tmp_path_factory.mktemp("shared")
    db = module_outbox
    server = FormsServer(
        base_env(db, FORMS_ALLOWED_ORIGINS="https://blog.example.com", SITEURL="https://blog.example.com",
                 CONTACT_MIN_SECONDS="3"),
        tmp / "server.log",
    ).start()
    server.db = db
    yield server, Client(server.url)
    server.stop()
