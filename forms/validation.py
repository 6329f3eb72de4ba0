"""Validation of the two forms, and the one list of error codes the site explains.

ERRORS maps every error code the service can send (as `?error=<code>` on the
error page, or per field in JSON) to the message shown to the visitor. The
site's /form-error/ page is written from this dict; keep them in step.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Mapping

from email_validator import EmailNotValidError, validate_email

ERRORS: dict[str, str] = {
    "email-missing": "Enter your email address.",
    "email-invalid": "Enter a valid email address, like name@example.com.",
    "name-missing": "Enter your name.",
    "name-too-long": "Shorten your name to 100 characters or fewer.",
    "consent-missing": "Tick the box to confirm that you want to receive our emails.",
    "message-missing": "Write a message.",
    "message-too-long": "Shorten your message to 5,000 characters or fewer.",
    "too-many-links": "Your message contains too many links. Remove some and send it again.",
    "header-injection": "Names and email addresses cannot contain line breaks.",
    "name-invalid": "Remove the invisible control characters from your name.",
    "too-fast": "That was quicker than anyone can type. Wait a few seconds, then send it again.",
    "too-large": "The form is too large to accept. Shorten your message and try again.",
    "rate-limited": "Too many submissions from your address. Wait a minute, then try again.",
    "bad-request": "The form could not be read. Reload the page and try again.",
    "origin-not-allowed": "This form cannot be sent from another website.",
    "server-error": "Something went wrong on our side and your form was not saved. "
    "Please try again in a minute.",
    "comment-missing": "Write your comment.",
    "comment-too-long": "Shorten your comment to 5,000 characters or fewer.",
    "comment-duplicate": "You have already posted this comment.",
    "comment-post-unknown": "This post does not take comments.",
    "comment-parent-unknown": "The comment you are replying to is not there any more.",
    "comment-rate-limited": "You have posted many comments in the last hour. Wait a while, then try again.",
    "comments-unavailable": "Comments cannot be posted just now. Please try again later.",
}

NAME_MAX = 100
MESSAGE_MAX = 5000
SOURCE_MAX = 300
CONSENT_TEXT_MAX = 500
EMAIL_MAX = 254
HONEYPOT = "website"
SUBSCRIBE_CONSENT_TEXT = "Contact form: also subscribe me"
DEFAULT_CONSENT_TEXT = "Signup form: consent box ticked"

_LINK = re.compile(r"(?:https?://|www\.)\S*", re.IGNORECASE)
# Control characters (C0 but tab/LF/CR, DEL, C1) and Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# What a mail client or terminal may show as a new line: CR, LF, VT, FF, NEL, U+2028/9.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x85\u2028\u2029]")
_TRUE = {"on", "true", "1", "yes", "y", "checked"}


class ValidationError(Exception):
    """Bad input: `errors` maps a field name to an error code from ERRORS."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SubscribeForm:
    email: str
    name: str
    consent: bool
    consent_text: str
    source: str


@dataclass(frozen=True)
class ContactForm:
    name: str
    email: str
    message: str
    subscribe: bool
    source: str


def text(fields: Mapping[str, Any], key: str) -> str:
    """A field as a string: absent/None -> '', scalars -> str; lists and objects are bad input."""
    value = fields.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValidationError({key: "bad-request"})


def checked(fields: Mapping[str, Any], key: str) -> bool:
    """An HTML checkbox ('on') or a JSON boolean."""
    return text(fields, key).strip().lower() in _TRUE


def multiline(fields: Mapping[str, Any], key: str) -> str:
    """A textarea's text: line breaks as LF (browsers send CRLF), no NUL
    characters (PostgreSQL's text type and SMTP both refuse them), trimmed."""
    return text(fields, key).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def is_bot(fields: Mapping[str, Any]) -> bool:
    """The honeypot field is hidden from people; anything in it comes from a bot."""
    value = fields.get(HONEYPOT)
    return bool(value.strip() if isinstance(value, str) else value)


def _metadata(value: str, limit: int) -> str:
    """Page paths and consent wording: single line, no control characters, capped."""
    return _CONTROL.sub("", value.replace("\r", " ").replace("\n", " ")).strip()[:limit]


def normalize_email(raw: str, errors: dict[str, str], field: str = "email") -> str:
    value = raw.strip()
    if not value:
        errors[field] = "email-missing"
    elif "\r" in value or "\n" in value:
        errors[field] = "header-injection"
    elif len(value) > EMAIL_MAX:
        errors[field] = "email-invalid"
    else:
        try:
            # No DNS: the service must answer fast and work offline. SMTPUTF8
            # (non-ASCII local parts) is refused: neither Mailchimp nor every
            # mail relay takes it. The lowercased form is the identity of a subscriber.
            result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError:
            errors[field] = "email-invalid"
        else:
            return (result.ascii_email or result.normalized).lower()
    return ""


def _name(raw: str, errors: dict[str, str], required: bool) -> str:
    value = raw.strip()
    if _LINE_BREAK.search(value):
        errors["name"] = "header-injection"
    elif len(value) > NAME_MAX:
        errors["name"] = "name-too-long"
    elif required and not value:
        errors["name"] = "name-missing"
    elif _CONTROL.search(value):
        errors["name"] = "name-invalid"
    return value


def validate_subscribe(fields: Mapping[str, Any], *, consent_required: bool) -> SubscribeForm:
    errors: dict[str, str] = {}
    email = normalize_email(text(fields, "email"), errors)
    name = _name(text(fields, "name"), errors, required=False)
    consent = checked(fields, "consent")
    if consent_required and not consent:
        errors["consent"] = "consent-missing"
    if errors:
        raise ValidationError(errors)
    return SubscribeForm(
        email=email,
        name=name,
        consent=consent,
        consent_text=(_metadata(text(fields, "consent_text"), CONSENT_TEXT_MAX)
                      or DEFAULT_CONSENT_TEXT) if consent else "",
        source=_metadata(text(fields, "source"), SOURCE_MAX),
    )


def validate_contact(
    fields: Mapping[str, Any],
    *,
    max_links: int,
    min_seconds: float,
    now: float | None = None,
) -> ContactForm:
    errors: dict[str, str] = {}
    name = _name(text(fields, "name"), errors, required=True)
    email = normalize_email(text(fields, "email"), errors)
    message = multiline(fields, "message")
    if not message:
        errors["message"] = "message-missing"
    elif len(message) > MESSAGE_MAX:
        errors["message"] = "message-too-long"
    elif len(_LINK.findall(message)) > max_links:
        errors["message"] = "too-many-links"
    if _too_fast(text(fields, "rendered_at"), min_seconds, time.time() if now is None else now):
        errors["form"] = "too-fast"
    if errors:
        raise ValidationError(errors)
    return ContactForm(
        name=name,
        email=email,
        message=message,
        subscribe=checked(fields, "subscribe"),
        source=_metadata(text(fields, "source"), SOURCE_MAX),
    )


def _too_fast(rendered_at: str, min_seconds: float, now: float) -> bool:
    """The time trap. The page's script writes the render time (epoch seconds,
    milliseconds also understood); without script the field is absent and the
    post is accepted. A visitor clock ahead of ours (negative elapsed time) is
    not held against them."""
    try:
        stamp = float(rendered_at)
    except ValueError:
        return False
    if stamp > 1e11:  # Date.now() milliseconds
        stamp /= 1000.0
    elapsed = now - stamp
    return 0 <= elapsed < min_seconds
