"""A fake Mailchimp Marketing API (3.0) server for tests and benchmarks.

A real HTTP/1.1 server (stdlib ``ThreadingHTTPServer``, one thread per
connection, keep-alive) on 127.0.0.1 and a free port, so the official
``mailchimp_marketing`` client talks to it over loopback exactly as it talks to
Mailchimp.  It models the parts of the API the newsletter sync uses:

    GET  /3.0/lists/{list_id}                       the audience
    POST /3.0/lists/{list_id}                       batch subscribe (<= 500 members)
    GET  /3.0/lists/{list_id}/members/{hash}        one member
    PUT  /3.0/lists/{list_id}/members/{hash}        add or update (status_if_new)
    POST /3.0/lists/{list_id}/members/{hash}/actions/delete-permanent
                                                    erase a member for good (204, or 404)
    GET  /3.0/lists/{list_id}/segments              paginated (count default 10, max 1000)
    POST /3.0/lists/{list_id}/segments              create a static segment (a tag)
    POST /3.0/lists/{list_id}/segments/{seg_id}     batch add/remove (<= 500 each)

plus campaigns, campaign folders, content, the send checklist and the campaign
actions (test, schedule, unschedule, send): see campaigns.py.

with Mailchimp's behaviour where it matters for correctness:

* HTTP Basic auth, any user name, the API key as password; else 401 "API Key Invalid".
* Errors are ``application/problem+json`` with type, title, status, detail,
  instance (and ``errors`` for validation problems).  Note the official client
  only parses bodies whose content type contains ``application/json``.
* Batch subscribe: ``update_existing`` false reports existing members in
  ``errors`` with ``error_code`` ERROR_CONTACT_EXISTS; true *overwrites their
  status* (which is why the sync never uses it).  Per-member problems are
  reported in ``errors`` with ERROR_GENERIC and the request still answers 200.
* PUT member: the hash must be the md5 of the lowercased email; ``status_if_new``
  only applies to new members; ``status`` (if sent) overwrites.
* More than ``max_connections`` (10) simultaneous requests get 429, like Mailchimp.
* ``fields`` and ``exclude_fields`` (comma-separated, dot notation) shape GET
  replies as Mailchimp does: fields it does not know are left out, not an error.
* Addresses at ``invalid_domains`` are rejected as fake-looking ("Invalid
  Resource"), ``compliance_emails`` as "Member In Compliance State",
  ``forgotten_emails`` as "Forgotten Email Not Subscribed".
* delete-permanent removes the member, its tags and its data, answers 204 with
  no body, and puts the address on ``forgotten_emails``: like Mailchimp, the
  API refuses to add it again. An unknown hash is 404.

Tests inspect the state (``members``, ``segments``, ``member(email)``,
``calls``), pre-seed it (``seed_member``), and inject faults at runtime
(``latency``, ``fail_next``, ``add_delay``): 500 with JSON, 503/429 with an
empty body, 429 with JSON, a whole-request 400, a dropped connection (socket closed without a
response, before or after the request took effect), per path or global; ``skip=n``
lets the first n matching requests through, so a test can hit "the n-th call".
``max_in_flight`` and ``max_connections_open`` record peak concurrency.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from .campaigns import CampaignsMixin

ERROR_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"
MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
BATCH_LIMIT = 500
FAULT_KINDS = ("http500", "empty503", "empty429", "json429", "drop", "http400")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class ApiError(Exception):
    """Raised inside a handler; becomes a problem+json response."""

    def __init__(self, status: int, title: str, detail: str, errors: list | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


@dataclass
class Fault:
    """One injected misbehaviour. ``times`` None means every matching request."""

    kind: str  # one of FAULT_KINDS, or "delay"
    method: str | None = None
    path: str | None = None  # regular expression searched in the path
    times: int | None = 1
    seconds: float = 0.0  # for "delay"
    after: bool = False  # after the request took effect (the reply is lost or wrong)
    skip: int = 0  # let this many matching requests through first
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method:
            return False
        if self.path and not re.search(self.path, path):
            return False
        self.seen += 1
        return self.seen > self.skip


@dataclass
class Call:
    """One request as the server saw it."""

    method: str
    path: str
    kind: str
    members: int = 0  # members in the body (batch subscribe / segment batch)
    status: int | None = None  # None while in flight; 0 if the connection was dropped
    fault: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


def _kind(method: str, path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if parts[:1] != ["3.0"]:
        return "other"
    parts = parts[1:]
    if len(parts) == 2 and parts[0] == "lists":
        return {"POST": "batch_subscribe", "GET": "get_list"}.get(method, "other")
    if len(parts) == 4 and parts[2] == "members":
        return {"PUT": "put_member", "GET": "get_member"}.get(method, "other")
    if len(parts) == 6 and parts[2] == "members" and parts[4:] == ["actions", "delete-permanent"]:
        return "delete_member_permanent" if method == "POST" else "other"
    if len(parts) == 3 and parts[2] == "segments":
        return {"GET": "list_segments", "POST": "create_segment"}.get(method, "other")
    if len(parts) == 4 and parts[2] == "segments":
        return {"POST": "segment_members", "GET": "get_segment"}.get(method, "other")
    if parts[:1] == ["campaign-folders"]:
        if len(parts) == 1:
            return {"GET": "list_campaign_folders", "POST": "create_campaign_folder"}.get(method, "other")
        return {"GET": "get_campaign_folder", "PATCH": "update_campaign_folder",
                "DELETE": "delete_campaign_folder"}.get(method, "other")
    if parts[:1] == ["campaigns"]:
        if len(parts) == 1:
            return {"GET": "list_campaigns", "POST": "create_campaign"}.get(method, "other")
        if len(parts) == 2:
            return {"GET": "get_campaign", "PATCH": "update_campaign",
                    "DELETE": "delete_campaign"}.get(method, "other")
        if parts[2:] == ["content"]:
            return {"GET": "get_campaign_content", "PUT": "set_campaign_content"}.get(method, "other")
        if parts[2:] == ["send-checklist"]:
            return "get_send_checklist"
        if len(parts) == 4 and parts[2] == "actions":
            return {"test": "send_test", "schedule": "schedule_campaign",
                    "unschedule": "unschedule_campaign", "send": "send_campaign"}.get(parts[3], "other")
    return "other"


def _project(payload: Any, fields: list[str] | None, exclude: list[str] | None) -> Any:
    """Mailchimp's fields/exclude_fields: dotted paths, applied through lists."""
    def tree(paths):
        root: dict = {}
        for path in paths:
            node = root
            for part in path.split("."):
                node = node.setdefault(part, {})
        return root

    def keep(obj, node):
        if not node:
            return obj
        if isinstance(obj, list):
            return [keep(x, node) for x in obj]
        if isinstance(obj, dict):
            return {k: keep(obj[k], sub) for k, sub in node.items() if k in obj}
        return obj

    def drop(obj, node):
        if isinstance(obj, list):
            return [drop(x, node) for x in obj]
        if isinstance(obj, dict):
            return {k: (drop(v, node[k]) if node.get(k) else v)
                    for k, v in obj.items() if not (k in node and not node[k])}
        return obj

    if fields:
        payload = keep(payload, tree(fields))
    if exclude:
        payload = drop(payload, tree(exclude))
    return payload


class FakeMailchimp(CampaignsMixin):
    """The fake server. Use as a context manager or call start()/stop()."""

    ApiError = ApiError

    def __init__(
        self,
        api_key: str = "0123456789abcdef0123456789abcdef-us7",
        list_id: str = "a1b2c3d4e5",
        *,
        latency: float = 0.0,
        invalid_domains: Iterable[str] = ("example.invalid",),
        compliance_emails: Iterable[str] = (),
        forgotten_emails: Iterable[str] = (),
        max_connections: int = 10,
    ) -> None:
        self.api_key = api_key
        self.list_id = list_id
        self.latency = latency
        self.invalid_domains = {d.lower() for d in invalid_domains}
        self.compliance_emails = {e.lower() for e in compliance_emails}
        self.forgotten_emails = {e.lower() for e in forgotten_emails}
        self.max_connections = max_connections
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.members: dict[str, dict] = {}  # subscriber hash -> member
        self.segments: dict[int, dict] = {}  # id -> {"id", "name", "members": set(hash)...}
        self.deleted_permanently: list[str] = []  # hashes, in order
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections_open = 0
        self.max_connections_open = 0
        self.connections_total = 0
        self._segment_ids = itertools.count(1001)
        self._init_campaigns()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> "FakeMailchimp":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeMailchimp":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_root(self) -> str:
        """What MAILCHIMP_API_ROOT should be set to."""
        return f"{self.url}/3.0"

    # -- state for tests --------------------------------------------------------

    def seed_member(
        self, email: str, status: str = "subscribed", *, name: str = "", tags: Iterable[str] = ()
    ) -> dict:
        with self.lock:
            member = self._new_member(email, status, {"FNAME": name} if name else {}, "", "")
            for tag in tags:
                seg = self.segment_by_name(tag) or self._create_segment(tag)
                seg["members"].add(member["id"])
            return member

    def member(self, email: str) -> dict | None:
        with self.lock:
            m = self.members.get(subscriber_hash(email))
            return None if m is None else self._member_json(m)

    def segment_by_name(self, name: str) -> dict | None:
        with self.lock:
            for seg in self.segments.values():
                if seg["name"] == name:
                    return seg
        return None

    def segment_names(self) -> list[str]:
        with self.lock:
            return [s["name"] for s in self.segments.values()]

    def tags_of(self, email: str) -> set[str]:
        h = subscriber_hash(email)
        with self.lock:
            return {s["name"] for s in self.segments.values() if h in s["members"]}

    def calls_of(self, kind: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.kind == kind]

    def call_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for c in self.calls:
                counts[c.kind] = counts.get(c.kind, 0) + 1
        return counts

    def reset_stats(self) -> None:
        with self.lock:
            self.calls.clear()
            self.max_in_flight = self.in_flight
            self.max_connections_open = self.connections_open

    def wait_for(self, predicate: Callable[["FakeMailchimp"], bool], timeout: float = 10.0) -> bool:
        """Block until predicate(fake) holds (checked on every request start/end)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.05))
        return True

    # -- fault injection --------------------------------------------------------

    def fail_next(
        self,
        kind: str,
        times: int | None = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        after: bool = False,
        skip: int = 0,
    ) -> Fault:
        """The next `times` matching requests (after the first `skip`) misbehave as
        `kind` (see FAULT_KINDS); with after=True the request takes effect first."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(kind, method, path, times, after=after, skip=skip)
        with self.lock:
            self.faults.append(fault)
        return fault

    def add_delay(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        after: bool = False,
        skip: int = 0,
    ) -> Fault:
        """Extra latency for matching requests, before (or after) they take effect."""
        fault = Fault("delay", method, path, times, seconds=seconds, after=after, skip=skip)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.latency = 0.0

    def _take_faults(self, method: str, path: str) -> tuple[Fault | None, float, float]:
        """The error fault to apply (if any) and the delays before/after."""
        before = after = 0.0
        error = None
        with self.lock:
            for fault in self.faults:
                if not fault.matches(method, path):
                    continue
                if fault.kind == "delay":
                    fault.hits += 1
                    if fault.after:
                        after += fault.seconds
                    else:
                        before += fault.seconds
                elif error is None:
                    fault.hits += 1
                    error = fault
        return error, before, after

    # -- the API ------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["3.0"]:
            raise ApiError(404, "Resource Not Found", "The requested resource could not be found.")
        parts = parts[1:]
        if parts[:1] in (["campaigns"], ["campaign-folders"]):
            with self.lock:
                answer = self.handle_campaigns(method, parts, query, body)
            if answer is None:
                raise ApiError(405, "Method Not Allowed", "The requested method and resource are not compatible.")
            return answer
        if len(parts) < 2 or parts[0] != "lists":
            raise ApiError(404, "Resource Not Found", "The requested resource could not be found.")
        if parts[1] != self.list_id:
            raise ApiError(404, "Resource Not Found", "The requested resource could not be found.")
        rest = parts[2:]
        with self.lock:
            if not rest and method == "GET":
                return 200, self._list_json()
            if not rest and method == "POST":
                return 200, self._batch_subscribe(body, query)
            if len(rest) == 2 and rest[0] == "members" and method == "GET":
                m = self.members.get(rest[1])
                if m is None:
                    raise ApiError(404, "Resource Not Found", "The requested resource could not be found.")
                return 200, self._member_json(m)
            if len(rest) == 2 and rest[0] == "members" and method == "PUT":
                return 200, self._put_member(rest[1], body)
            if (len(rest) == 4 and rest[0] == "members" and rest[2:] == ["actions", "delete-permanent"]
                    and method == "POST"):
                self._delete_permanent(rest[1])
                return 204, None
            if rest == ["segments"] and method == "GET":
                return 200, self._list_segments(query)
            if rest == ["segments"] and method == "POST":
                return 200, self._segment_json(self._create_segment_from(body))
            if len(rest) == 2 and rest[0] == "segments" and method == "POST":
                return 200, self._segment_batch(rest[1], body)
        raise ApiError(404, "Resource Not Found", "The requested resource could not be found.")

    # members

    def _check_address(self, email: str) -> tuple[str, str] | None:
        """(title, message) when Mailchimp would refuse to add this address."""
        lowered = email.lower()
        if not _EMAIL_RE.match(email):
            return ("Invalid Resource", "Please provide a valid email address.")
        if lowered.rsplit("@", 1)[1] in self.invalid_domains:
            return (
                "Invalid Resource",
                f"{email} looks fake or invalid, please enter a real email address.",
            )
        if lowered in self.compliance_emails:
            return (
                "Member In Compliance State",
                f"{email} is in a compliance state due to unsubscribe, bounce, or compliance "
                "review and cannot be subscribed.",
            )
        if lowered in self.forgotten_emails:
            return (
                "Forgotten Email Not Subscribed",
                f"{email} was permanently deleted and cannot be re-imported. The contact must "
                "re-subscribe to get back on the list.",
            )
        return None

    @staticmethod
    def _check_timestamp(value: Any) -> bool:
        if value in (None, ""):
            return True
        if not isinstance(value, str):
            return False
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True

    def _new_member(self, email, status, merge_fields, ip_signup, timestamp_signup) -> dict:
        h = subscriber_hash(email)
        assert h not in self.members, "duplicate member"
        member = {
            "id": h,
            "email_address": email.strip(),
            "unique_email_id": uuid.uuid4().hex[:10],
            "status": status,
            "merge_fields": {"FNAME": "", "LNAME": "", **self._merge(merge_fields)},
            "ip_signup": ip_signup or "",
            "timestamp_signup": timestamp_signup or "",
            "last_changed": _now(),
            "status_history": [status],
            "creations": 1,
        }
        self.members[h] = member
        return member

    @staticmethod
    def _merge(fields: Any) -> dict:
        if not isinstance(fields, dict):
            return {}
        # Unknown merge tags are ignored, like Mailchimp does.
        return {k: str(v) for k, v in fields.items() if k in ("FNAME", "LNAME")}

    def _set_status(self, member: dict, status: str) -> None:
        if member["status"] != status:
            member["status"] = status
            member["status_history"].append(status)

    def _member_json(self, m: dict) -> dict:
        tags = [
            {"id": s["id"], "name": s["name"]}
            for s in self.segments.values()
            if m["id"] in s["members"]
        ]
        out = {k: v for k, v in m.items() if k not in ("status_history", "creations")}
        out["merge_fields"] = dict(m["merge_fields"])
        out.update(
            {
                "list_id": self.list_id,
                "tags": tags,
                "tags_count": len(tags),
                "status_history": list(m["status_history"]),
                "_links": [],
            }
        )
        return out

    def _batch_subscribe(self, body: Any, query: dict) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise ApiError(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated. For field-specific details, "
                "see the 'errors' array.",
                [{"field": "members", "message": "Required property 'members' not found"}],
            )
        members = body["members"]
        if len(members) > BATCH_LIMIT:
            raise ApiError(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated. For field-specific details, "
                "see the 'errors' array.",
                [{"field": "members", "message": f"Schema describes array, maximum {BATCH_LIMIT} items"}],
            )
        update_existing = bool(body.get("update_existing", False))
        skip_dupes = query.get("skip_duplicate_check", ["false"])[0].lower() == "true"
        new, updated, errors, seen = [], [], [], set()

        def err(email, message, code="ERROR_GENERIC", field_name="", field_message=""):
            errors.append(
                {
                    "email_address": email,
                    "error": message,
                    "error_code": code,
                    "field": field_name,
                    "field_message": field_message,
                }
            )

        for item in members:
            email = str((item or {}).get("email_address") or "").strip()
            status = (item or {}).get("status")
            h = subscriber_hash(email)
            if h in seen:
                if not skip_dupes:
                    err(email, f"{email} was already in this request.")
                continue
            seen.add(h)
            if status not in MEMBER_STATUSES:
                err(email, "Invalid status", field_name="status",
                    field_message=f"status must be one of {', '.join(MEMBER_STATUSES)}")
                continue
            if not self._check_timestamp(item.get("timestamp_signup")):
                err(email, "Invalid timestamp_signup", field_name="timestamp_signup",
                    field_message="Please enter a valid date-time")
                continue
            existing = self.members.get(h)
            if existing is not None:
                if not update_existing:
                    err(
                        email,
                        f"{email} is already a list member, do you want to update? please "
                        "provide update_existing:true in the request body",
                        "ERROR_CONTACT_EXISTS",
                    )
                    continue
                # Mailchimp overwrites the status of an existing member here.
                self._set_status(existing, status)
                existing["merge_fields"].update(self._merge(item.get("merge_fields")))
                existing["last_changed"] = _now()
                updated.append(self._member_json(existing))
                continue
            problem = self._check_address(email)
            if problem:
                err(email, problem[1])
                continue
            m = self._new_member(
                email, status, item.get("merge_fields"), item.get("ip_signup"),
                item.get("timestamp_signup"),
            )
            new.append(self._member_json(m))
        return {
            "new_members": new,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(new),
            "total_updated": len(updated),
            "error_count": len(errors),
            "_links": [],
        }

    def _put_member(self, h: str, body: Any) -> dict:
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.")
        email = str(body.get("email_address") or "").strip()
        existing = self.members.get(h)
        if email and subscriber_hash(email) != h:
            raise ApiError(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated. For field-specific details, "
                "see the 'errors' array.",
                [{"field": "email_address", "message": "The subscriber hash does not match the email address."}],
            )
        status = body.get("status")
        status_if_new = body.get("status_if_new")
        for value in (status, status_if_new):
            if value is not None and value not in MEMBER_STATUSES:
                raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                               [{"field": "status", "message": "Invalid status"}])
        if not self._check_timestamp(body.get("timestamp_signup")):
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                           [{"field": "timestamp_signup", "message": "Please enter a valid date-time"}])
        if existing is not None:
            if status:
                self._set_status(existing, status)
            existing["merge_fields"].update(self._merge(body.get("merge_fields")))
            existing["last_changed"] = _now()
            return self._member_json(existing)
        if not email:
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                           [{"field": "email_address", "message": "This value should not be blank."}])
        new_status = status or status_if_new
        if not new_status:
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                           [{"field": "status_if_new", "message": "This value should not be blank."}])
        problem = self._check_address(email)
        if problem:
            raise ApiError(400, problem[0], problem[1])
        m = self._new_member(email, new_status, body.get("merge_fields"), body.get("ip_signup"),
                             body.get("timestamp_signup"))
        return self._member_json(m)

    def _delete_permanent(self, h: str) -> None:
        member = self.members.pop(h, None)
        if member is None:
            raise ApiError(404, "Resource Not Found", "The requested resource could not be found.")
        for seg in self.segments.values():
            seg["members"].discard(h)
        self.forgotten_emails.add(member["email_address"].lower())
        self.deleted_permanently.append(h)

    # segments

    def _create_segment(self, name: str) -> dict:
        seg_id = next(self._segment_ids)
        seg = {"id": seg_id, "name": name, "type": "static", "members": set(),
               "created_at": _now(), "updated_at": _now()}
        self.segments[seg_id] = seg
        return seg

    def _create_segment_from(self, body: Any) -> dict:
        name = (body or {}).get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                           [{"field": "name", "message": "This value should not be blank."}])
        if len(name) > 100:
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                           [{"field": "name", "message": "This value is too long. It should have 100 characters or less."}])
        if "static_segment" not in body and "options" not in body:
            raise ApiError(400, "Invalid Resource", "The resource submitted could not be validated.",
                           [{"field": "", "message": "Either static_segment or options is required."}])
        seg = self._create_segment(name)
        for email in body.get("static_segment") or []:
            h = subscriber_hash(str(email))
            if h in self.members:
                seg["members"].add(h)
        return seg

    def _segment_json(self, seg: dict) -> dict:
        return {
            "id": seg["id"],
            "name": seg["name"],
            "member_count": len(seg["members"]),
            "type": seg["type"],
            "created_at": seg["created_at"],
            "updated_at": seg["updated_at"],
            "options": {},
            "list_id": self.list_id,
            "_links": [],
        }

    def _list_segments(self, query: dict) -> dict:
        def num(name, default, lo, hi):
            try:
                return max(lo, min(hi, int(query.get(name, [default])[0])))
            except ValueError:
                raise ApiError(400, "Invalid Resource", f"{name} must be an integer") from None

        count = num("count", 10, 1, 1000)
        offset = num("offset", 0, 0, 10**9)
        wanted = query.get("type", [None])[0]
        segs = [s for s in self.segments.values() if wanted in (None, s["type"])]
        return {
            "segments": [self._segment_json(s) for s in segs[offset: offset + count]],
            "list_id": self.list_id,
            "total_items": len(segs),
            "_links": [],
        }

    def _segment_batch(self, seg_id: str, body: Any) -> dict:
        try:
            seg = self.segments[int(seg_id)]
        except (ValueError, KeyError):
            raise ApiError(404, "Resource Not Found", "The requested resource could not be found.") from None
        body = body if isinstance(body, dict) else {}
        to_add = body.get("members_to_add") or []
        to_remove = body.get("members_to_remove") or []
        for name, value in (("members_to_add", to_add), ("members_to_remove", to_remove)):
            if not isinstance(value, list) or len(value) > BATCH_LIMIT:
                raise ApiError(
                    400, "Invalid Resource",
                    "The resource submitted could not be validated. For field-specific details, "
                    "see the 'errors' array.",
                    [{"field": name, "message": f"Schema describes array, maximum {BATCH_LIMIT} items"}],
                )
        added, removed, missing = [], [], []
        for email in to_add:
            h = subscriber_hash(str(email))
            m = self.members.get(h)
            if m is None:
                missing.append(str(email))
            elif h not in seg["members"]:
                seg["members"].add(h)
                added.append(self._member_json(m))
        for email in to_remove:
            h = subscriber_hash(str(email))
            if h in seg["members"]:
                seg["members"].discard(h)
                removed.append(self._member_json(self.members[h]))
        seg["updated_at"] = _now()
        errors = []
        if missing:
            errors.append({"email_addresses": missing,
                           "error": "Email addresses do not belong to this list"})
        return {
            "members_added": added,
            "members_removed": removed,
            "errors": errors,
            "total_added": len(added),
            "total_removed": len(removed),
            "error_count": len(missing),
            "_links": [],
        }

    def _list_json(self) -> dict:
        return {
            "id": self.list_id,
            "name": "Fake audience",
            "double_optin": True,
            "contact": dict(self.contact),
            "campaign_defaults": dict(self.campaign_defaults),
            "stats": {"member_count": sum(m["status"] == "subscribed" for m in self.members.values())},
            "_links": [],
        }

    def check_auth(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        _, sep, password = decoded.partition(":")
        return bool(sep) and password == self.api_key


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeMailchimp
    timeout = 30  # idle keep-alive connections end after this

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fake = self.server_fake
        with fake.lock:
            fake.connections_open += 1
            fake.connections_total += 1
            fake.max_connections_open = max(fake.max_connections_open, fake.connections_open)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            fake = self.server_fake
            with fake.changed:
                fake.connections_open -= 1
                fake.changed.notify_all()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _dispatch(self) -> None:
        fake = self.server_fake
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        method = self.command
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        members = 0
        if isinstance(body, dict):
            for key in ("members", "members_to_add", "members_to_remove"):
                if isinstance(body.get(key), list):
                    members += len(body[key])
        call = Call(method, path, _kind(method, path), members)
        with fake.changed:
            fake.calls.append(call)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            too_many = fake.in_flight > fake.max_connections
            fake.changed.notify_all()
        try:
            self._respond(call, path, query, body, too_many)
        finally:
            with fake.changed:
                fake.in_flight -= 1
                call.ended = time.monotonic()
                fake.changed.notify_all()

    def _respond(self, call: Call, path: str, query: dict, body: Any, too_many: bool) -> None:
        fake = self.server_fake
        fault, delay_before, delay_after = fake._take_faults(call.method, path)
        if fake.latency or delay_before:
            time.sleep(fake.latency + delay_before)
        if fault is not None and not fault.after:
            call.fault = fault.kind
            return self._fault(call, fault)
        if too_many:
            call.fault = "too_many_connections"
            return self._problem(call, 429, "Too Many Requests",
                                 "You have exceeded the limit of 10 simultaneous connections.")
        if not fake.check_auth(self.headers.get("Authorization")):
            return self._problem(call, 401, "API Key Invalid",
                                 "Your API key may be invalid, or you've attempted to access "
                                 "the wrong datacenter.")
        if body is ValueError:
            return self._problem(call, 400, "JSON Parse Error",
                                 "We encountered an unspecified JSON parsing error.")
        try:
            status, payload = fake.handle(call.method, path, query, body)
        except ApiError as e:
            status, payload = e.status, None
            problem = e
        if status == 204 and fault is None:
            if delay_after:
                time.sleep(delay_after)
            return self._send(call, 204, b"", None)
        if delay_after:
            time.sleep(delay_after)
        if fault is not None:  # an "after" fault: the request took effect, the reply is lost
            call.fault = fault.kind
            return self._fault(call, fault)
        if payload is None and status != 204:
            return self._problem(call, problem.status, problem.title, problem.detail, problem.errors)
        if status == 204:
            return self._send(call, 204, b"", None)
        if call.method == "GET":
            def csv(name):
                value = query.get(name, [""])[0]
                return [f for f in value.split(",") if f] or None
            payload = _project(payload, csv("fields"), csv("exclude_fields"))
        self._send(call, status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _fault(self, call: Call, fault: Fault) -> None:
        if fault.kind == "drop":
            call.status = 0
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault.kind == "http500":
            return self._problem(call, 500, "Internal Server Error",
                                 "An unexpected internal error has occurred. Please contact "
                                 "Support for more information.")
        if fault.kind == "http400":
            return self._problem(call, 400, "Invalid Resource",
                                 "The resource submitted could not be validated. For "
                                 "field-specific details, see the 'errors' array.",
                                 [{"field": "", "message": "Schema describes object"}])
        if fault.kind == "json429":
            return self._problem(call, 429, "Too Many Requests",
                                 "You have exceeded the limit of 10 simultaneous connections.")
        status = 503 if fault.kind == "empty503" else 429
        self._send(call, status, b"", None)

    def _problem(self, call, status, title, detail, errors=None) -> None:
        payload = {
            "type": ERROR_DOC,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": str(uuid.uuid4()),
        }
        if errors:
            payload["errors"] = errors
        self._send(call, status, json.dumps(payload).encode(), "application/problem+json; charset=utf-8")

    def _send(self, call: Call, status: int, data: bytes, content_type: str | None) -> None:
        call.status = status
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if status != 204:  # a 204 has no body and no Content-Length
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)
        except OSError:  # the client went away (e.g. it was killed)
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _dispatch
