"""Signed, expiring links for moderators and commenters.

A token is base64url("action:comment_id:expires:nonce") + "." + base64url(HMAC-SHA256).
The HMAC key is FORMS_SECRET. Single-use actions record the nonce as used in
the outbox (comment_tokens), so a replayed link is refused; expired and
tampered tokens are refused before anything is looked up.

When FORMS_SECRET is unset (development), a random secret is made once and
kept beside the outbox in `<FORMS_DB>.secret` (mode 0600), so the service,
`make comments` and `make serve` agree on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("forms.comments")

ACTIONS = ("approve", "reject", "spam", "delete", "notify", "unsubscribe")


class BadToken(Exception):
    """`reason` is shown to the person who followed the link."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Token:
    action: str
    comment_id: int
    expires: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, action: str, comment_id: int, ttl_seconds: float, now: float | None = None) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    expires = int((now or time.time()) + ttl_seconds)
    payload = f"{action}:{comment_id}:{expires}:{secrets.token_hex(8)}".encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(secret: str, token: str, now: float | None = None) -> Token:
    try:
        head, _, tail = token.partition(".")
        payload, mac = _unb64(head), _unb64(tail)
    except (ValueError, TypeError):
        raise BadToken("This link is damaged. Copy the whole link from the email.") from None
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise BadToken("This link is damaged or was not made by this site.")
    try:
        action, comment_id, expires, nonce = payload.decode().split(":")
        parsed = Token(action, int(comment_id), int(expires), nonce)
    except ValueError:
        raise BadToken("This link is damaged.") from None
    if parsed.action not in ACTIONS:
        raise BadToken("This link is damaged.")
    if (now or time.time()) > parsed.expires:
        raise BadToken("This link has expired.")
    return parsed


def service_secret(configured: str, db_path: Path) -> str:
    """FORMS_SECRET, or the development secret kept beside the outbox."""
    if configured:
        return configured
    path = Path(str(db_path) + ".secret")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        time.sleep(0.05)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    log.warning("FORMS_SECRET is not set: made a development secret in %s", path)
    return value
