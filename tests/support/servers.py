"""Real servers on loopback for tests: the forms service under uvicorn, and aiosmtpd SMTP servers."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"

SMTP_USER = "forms-user"
SMTP_PASSWORD = "s3cret-Pa55word"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def base_env(db_path: Path, **overrides: str) -> dict[str, str]:
    """A clean environment for the service: nothing configured but the outbox file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FORMS_", "MAILCHIMP_", "SMTP_", "CONTACT_", "SUBSCRIBE_"))
        and key not in ("SITEURL", "SITENAME")
    }
    # FORMS_ERROR_PAGE=off: no built site to fetch the error page from (plain posts
    # with errors are redirected); the browser suites give it the built page.
    env.update(FORMS_DB=str(db_path), FORMS_WORKER="0", CONTACT_MIN_SECONDS="0",
               FORMS_RATE_LIMIT="0", FORMS_ERROR_PAGE="off", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


class FormsServer:
    """`python -m forms.serve` as a subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = env
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "FormsServer":
        # 60 s: on a machine busy on every core, starting Python and importing the
        # service has taken longer than 15 s.
        # (A server that exits early still fails at once.)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "forms.serve", "--host", LOOPBACK, "--port", str(self.port)],
            cwd=PROJECT_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"forms server exited: {self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except urllib.error.HTTPError:
                return self  # it answers (503: an old backlog in the outbox it was given)
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"forms server did not answer /api/health: {self.log()}")

    def health(self) -> dict:
        """The health body, whatever the status; the status is in ["_status"]."""
        try:
            with urllib.request.urlopen(self.url + "/api/health", timeout=5) as resp:
                return {**json.load(resp), "_status": resp.status}
        except urllib.error.HTTPError as exc:
            return {**json.load(exc), "_status": exc.code}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()


# -- HTTP client and outbox peeking ------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


class Client:
    """Raw HTTP against a server: no redirect following, explicit headers, chunked bodies."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                chunked: bool = False) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            if chunked:
                conn.putrequest(method, path)
                for key, value in (headers or {}).items():
                    conn.putheader(key, value)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                try:
                    for start in range(0, len(body), 4096):
                        chunk = body[start:start + 4096]
                        conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    conn.send(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server may answer 413 and close before we finish
            else:
                conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def form(self, path: str, fields: dict, headers: dict | None = None) -> Reply:
        """A plain HTML form post (urlencoded, browser-like Accept)."""
        return self.request("POST", path, urlencode(fields).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            **(headers or {}),
        })

    def json_form(self, path: str, fields: dict, headers: dict | None = None) -> Reply:
        """A script's post: urlencoded body, JSON answer (as the site's fetch() sends it)."""
        return self.request("POST", path, urlencode(fields).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            **(headers or {}),
        })

    def post_json(self, path: str, data, headers: dict | None = None) -> Reply:
        return self.request("POST", path, json.dumps(data).encode(), {
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        })


def rows(db: Path | str, sql: str, params: tuple = ()) -> list[dict]:
    """Reads the outbox directly, as a separate process would (a file, or a PostgreSQL URL)."""
    if isinstance(db, str) and db.startswith("postgresql://"):
        return execute(db, sql, params)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()

def execute(db: Path | str, sql: str, params: tuple = ()) -> list[dict]:
    """One statement on the outbox from outside the service (SQL with `?`), committed."""
    if isinstance(db, str) and db.startswith("postgresql://"):
        import psycopg
        from psycopg.rows import dict_row

        from forms.db import to_psycopg

        with psycopg.connect(db, row_factory=dict_row) as conn:
            cur = conn.execute(to_psycopg(sql), params)
            return cur.fetchall() if cur.description else []
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        with conn:
            return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


# -- SMTP ------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the message as the server received it, dot-unstuffed
    auth: object = None
    tls: bool = False


@dataclass
class RecordingHandler:
    """Accepts every message and remembers it; `reply` overrides the DATA answer
    (e.g. '451 try later', '554 no'), `block_on` makes the n-th DATA (1-based) hang."""

    reply: str | None = None
    block_on: int | None = None
    messages: list[Received] = field(default_factory=list)
    data_seen: int = 0
    blocked: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.block_on is not None and self.data_seen == self.block_on:
            self.blocked.set()
            await asyncio.sleep(3600)  # never answers; the client gets killed meanwhile
        if self.reply is not None:
            return self.reply
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
                session.auth_data,
                session.ssl is not None,
            )
        )
        return "250 2.0.0 Ok: queued as TEST"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def smtp_server(handler: RecordingHandler, *, tls_cert: tuple[Path, Path] | None = None,
                implicit_tls: bool = False) -> Controller:
    """A started aiosmtpd Controller on a free loopback port. With tls_cert it
    offers STARTTLS and requires it (or, with implicit_tls, speaks TLS from the
    first byte), plus AUTH as SMTP_USER/SMTP_PASSWORD."""
    kwargs: dict = {}
    if tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, tls_cert))
        kwargs.update(auth_required=True, auth_require_tls=True, authenticator=_authenticator)
        if implicit_tls:
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; this socket is TLS anyway.
            kwargs.update(ssl_context=context, auth_require_tls=False)
        else:
            kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(handler, hostname=LOOPBACK, port=free_port(), **kwargs)
    controller.start()
    return controller


def smtp_env(controller: Controller, **overrides: str) -> dict[str, str]:
    env = {
        "SMTP_HOST": LOOPBACK,
        "SMTP_PORT": str(controller.port),
        "SMTP_STARTTLS": "0",
        "SMTP_TIMEOUT": "10",
        "CONTACT_TO": "team@example.org",
        "CONTACT_FROM": "website@example.org",
        "SITENAME": "Test Blog",
    }
    env.update(overrides)
    return env
