"""A real PostgreSQL server for tests and benchmarks: initdb and pg_ctl in a temp dir, on a free loopback port.

    server = PostgresServer().start()      # or the session fixture `postgres` (tests/conftest.py)
    url = server.create_database()         # a fresh, empty database: postgresql://forms@127.0.0.1:PORT/t3
    server.restart() / server.stop_server() / server.start_server()   # outages on purpose
    server.stop()                          # stops it and removes the directory

The binaries are found with `pg_config --bindir`, else /usr/lib/postgresql/*/bin
(Debian's layout, newest version first), else on PATH. PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user (Debian's
package creates it) or `nobody`. missing() says what is absent, for a skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .servers import LOOPBACK, free_port

USER = "forms"


def bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                           key=lambda p: int(Path(p).parent.name)
                                           if Path(p).parent.name.isdigit() else 0, reverse=True)]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def missing() -> str | None:
    """Why no server can be started here, or None."""
    if bindir() is None:
        return ("PostgreSQL is not installed: no initdb/pg_ctl (pg_config --bindir, "
                "/usr/lib/postgresql/*/bin, PATH); `apt-get install postgresql` (.ci/run does)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -r forms/requirements.txt)"
    if os.geteuid() == 0 and _run_as() is None:
        return "running as root and no `postgres` or `nobody` user to run PostgreSQL as"
    return None


class PostgresServer:
    def __init__(self, *, fsync: bool = False, max_connections: int = 200):
        self.bin = bindir()
        if self.bin is None:
            raise RuntimeError(missing())
        self.user = _run_as()
        self.fsync = fsync
        self.max_connections = max_connections
        self.dir = Path(tempfile.mkdtemp(prefix="forms-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._names = itertools.count(1)

    def _cmd(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        kwargs = {"user": self.user} if self.user else {}
        return subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, check=check, cwd=self.dir, **kwargs)

    def start(self) -> "PostgresServer":
        if self.user:
            shutil.chown(self.dir, self.user)
        try:
            self._cmd("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-instructions")
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {exc.stderr}") from None
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '{LOOPBACK}'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.dir}'\n"
                       f"max_connections = {self.max_connections}\n"
                       f"fsync = {'on' if self.fsync else 'off'}\n"
                       f"synchronous_commit = {'on' if self.fsync else 'off'}\n"
                       "full_page_writes = off\nlog_min_messages = warning\n")
        self.start_server()
        return self

    def start_server(self) -> None:
        result = self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                           "-w", "-t", "30", "start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr}\n{self.log()}")

    def stop_server(self, mode: str = "fast") -> None:
        self._cmd("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop_server()
        self.start_server()

    def postmaster_pid(self) -> int | None:
        """The running server's main process (its first line of postmaster.pid)."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self.stop_server("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# -- pytest fixtures (imported by the conftest files that use them) ---------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - the benchmarks import this module without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture(scope="session")
    def postgres():
        """One PostgreSQL server for the whole session; skips (saying what is missing)
        only when PostgreSQL or psycopg is not installed."""
        skip_unless_installed()
        server = PostgresServer().start()
        yield server
        server.stop()

    def skip_unless_installed():
        """Skip, saying what is missing, on a developer's machine without PostgreSQL;
        in CI (CI=true), where .ci/run installs it, a missing server is a failure."""
        reason = missing()
        if reason and os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must install it: see .ci/run)")
        if reason:
            pytest.skip(reason)

    @pytest.fixture(params=["sqlite", "postgresql"])
    def outbox_target(request, tmp_path):
        """Where a fresh outbox lives: a SQLite file, or a new database on the test server."""
        if request.param == "sqlite":
            return tmp_path / "outbox.sqlite3"
        return request.getfixturevalue("postgres").create_database()
