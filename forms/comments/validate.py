"""The fields of POST /api/comments, checked; error codes come from forms.validation.ERRORS."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

from ..validation import ValidationError, _name, _too_fast, checked, multiline, normalize_email, text
from .render import count_links

POST_MAX = 300


@dataclass(frozen=True)
class CommentForm:
    post: str
    name: str
    email: str
    body: str
    parent: int | None
    notify: bool


def validate_comment(fields: Mapping[str, Any], *, max_links: int, max_length: int,
                     min_seconds: float, now: float | None = None) -> CommentForm:
    errors: dict[str, str] = {}
    post = text(fields, "post").strip()
    if not post.startswith("/") or len(post) > POST_MAX or any(c in post for c in "\r\n?#"):
        errors["post"] = "comment-post-unknown"
    name = _name(text(fields, "name"), errors, required=True)
    email = normalize_email(text(fields, "email"), errors)
    body = multiline(fields, "body")
    if not body:
        errors["body"] = "comment-missing"
    elif len(body) > max_length:
        errors["body"] = "comment-too-long"
    elif count_links(body) > max_links:
        errors["body"] = "too-many-links"
    parent_raw = text(fields, "parent").strip()
    parent = None
    if parent_raw:
        if parent_raw.isdigit() and 0 < int(parent_raw) < 2**62:
            parent = int(parent_raw)
        else:
            errors["parent"] = "comment-parent-unknown"
    if _too_fast(text(fields, "rendered_at"), min_seconds, time.time() if now is None else now):
        errors["form"] = "too-fast"
    if errors:
        raise ValidationError(errors)
    return CommentForm(post=post, name=name, email=email, body=body, parent=parent,
                       notify=checked(fields, "notify"))
