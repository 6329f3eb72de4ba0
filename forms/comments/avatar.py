"""Local avatars: a colour from a keyed hash of the address, and the name's initials.

No Gravatar: an unkeyed hash of an address (what Gravatar publishes) can be
looked up against lists of addresses. Ours is HMAC-SHA256 with FORMS_SECRET,
so the value published in the export says nothing about the address, yet one
person's comments share a colour.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata


def avatar_key(secret: str, email: str) -> str:
    """12 hex digits, stable per address and secret."""
    digest = hmac.new(secret.encode(), b"avatar:" + email.strip().lower().encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


def hue(key: str) -> int:
    """0-359 from an avatar key (0 for an empty or odd one)."""
    try:
        return int(key[:4], 16) % 360
    except ValueError:
        return 0


def initials(name: str) -> str:
    """Up to two letters: first letters of the first and last words ("?" if none)."""
    words = [w for w in name.split() if any(c.isalnum() for c in w)]
    if not words:
        return "?"
    picked = [words[0]] + ([words[-1]] if len(words) > 1 else [])
    letters = []
    for word in picked:
        first = next(c for c in word if c.isalnum())
        letters.append(unicodedata.normalize("NFC", first).upper())
    return "".join(letters)
