"""A safe wrapper around the official Mailchimp client (mailchimp-marketing 3.0.80).

The official client is used for URL building, serialization and its error
path, but it is unsafe to use bare:

* ``ApiClientError.text`` is the raw problem+json body (the client only parses
  ``application/json``), or the underlying ``requests`` exception for network
  failures.  We parse it into status/title/detail/errors.
* On an error with an *empty* body (429 or 503 from a proxy or from Mailchimp
  under load) it returns the bare ``requests.Response`` instead of raising.
  We turn that into an error; it is never a success.
* Its default timeout is 120 s; we use (connect, read) timeouts.
* It sends every request through a fresh ``requests`` call (no keep-alive, no
  cap). We route its requests through one Session whose pool holds at most
  ``max_connections`` (<= 10, Mailchimp's limit) connections and blocks beyond
  that, plus a semaphore with the same bound on requests in flight.
* The API key lives in its config and Authorization header. Our exceptions are
  raised outside any ``except`` block (no ``__context__``/``__cause__`` chain),
  carry only scrubbed text, and reprs hide the key.

Besides the signup calls, it holds the campaign calls the newsletter sender
(plugins/email_issues, publish side) needs: campaigns create/get/list/update/
delete, campaign folders, content, the send checklist and the test, schedule,
unschedule and send actions. The forms service uses only the signup calls.

Errors are classified: ``MailchimpTransientError`` (429, 5xx, timeouts,
dropped connections, garbled replies) is worth retrying later;
``MailchimpPermanentError`` (other 4xx, e.g. "Invalid Resource", "Member In
Compliance State", "Forgotten Email Not Subscribed") is not;
``MailchimpAuthError`` (401/403) and ``MailchimpConfigError`` mean the whole
run cannot work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import requests
from requests.adapters import HTTPAdapter

import mailchimp_marketing
from mailchimp_marketing.api_client import ApiClientError

__all__ = [
    "BATCH_LIMIT",
    "MAX_CONNECTIONS",
    "MailchimpAuthError",
    "MailchimpClient",
    "MailchimpConfig",
    "MailchimpConfigError",
    "MailchimpError",
    "MailchimpPermanentError",
    "MailchimpTransientError",
    "subscriber_hash",
]

BATCH_LIMIT = 500  # members per batch subscribe / per segment batch
MAX_CONNECTIONS = 10  # Mailchimp allows 10 simultaneous connections per key
_DC_RE = re.compile(r"^[a-z]{2,5}[0-9]{1,3}$")


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: md5 of the lowercased address."""
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


# -- errors ---------------------------------------------------------------------


class MailchimpError(Exception):
    """A failed Mailchimp call. ``str()`` is safe to log: it never holds the key."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str = "",
        detail: str = "",
        errors: list | None = None,
        instance: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.instance = instance

    @property
    def reason(self) -> str:
        """A short human reason, e.g. 'Invalid Resource: x looks fake or invalid'."""
        head = self.title or (f"HTTP {self.status}" if self.status else "")
        text = ": ".join(p for p in (head, self.detail) if p)
        for e in self.errors[:3]:
            if isinstance(e, dict) and (e.get("field") or e.get("message")):
                text += f" [{e.get('field', '')}: {e.get('message', '')}]"
        return text or self.message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class MailchimpTransientError(MailchimpError):
    """Retry later: 429, 5xx, timeouts, dropped connections, garbled replies."""

    transient = True


class MailchimpPermanentError(MailchimpError):
    """Mailchimp refused the request; sending it again will not help."""


class MailchimpAuthError(MailchimpPermanentError):
    """401/403: the API key is wrong, revoked or lacks access. Stop the run."""


class MailchimpConfigError(MailchimpError):
    """The configuration cannot work (no key, malformed key or API root)."""


# -- configuration -------------------------------------------------------------------


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class MailchimpConfig:
    api_key: str = field(default="", repr=False)
    list_id: str = ""
    api_root: str = ""  # e.g. http://127.0.0.1:8123/3.0; default https://DC.api.mailchimp.com/3.0
    double_optin: bool = True
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # a 500-member batch can take Mailchimp several seconds
    max_connections: int = MAX_CONNECTIONS

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> "MailchimpConfig":
        """From forms.settings.Settings (or anything with mailchimp_* attributes), a
        mapping of the same names, or a MailchimpConfig (returned as is)."""
        if isinstance(settings, MailchimpConfig):
            return settings.replace(**overrides) if overrides else settings
        get: Callable[[str, Any], Any]
        if isinstance(settings, Mapping):
            get = lambda name, default: settings.get(name, default)  # noqa: E731
        else:
            get = lambda name, default: getattr(settings, name, default)  # noqa: E731
        values = dict(
            api_key=(get("mailchimp_api_key", "") or "").strip(),
            list_id=(get("mailchimp_list_id", "") or "").strip(),
            api_root=(get("mailchimp_api_root", "") or "").strip().rstrip("/"),
            double_optin=bool(get("mailchimp_double_optin", True)),
        )
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "MailchimpConfig":
        return cls(
            api_key=environ.get("MAILCHIMP_API_KEY", "").strip(),
            list_id=environ.get("MAILCHIMP_LIST_ID", "").strip(),
            api_root=environ.get("MAILCHIMP_API_ROOT", "").strip().rstrip("/"),
            double_optin=_env_bool(environ.get("MAILCHIMP_DOUBLE_OPTIN"), True),
        )

    def replace(self, **changes: Any) -> "MailchimpConfig":
        from dataclasses import replace

        return replace(self, **changes)

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.list_id)

    @property
    def datacenter(self) -> str:
        """The 'us7' in 'key-us7' ('' when the key has no valid data-center suffix)."""
        _, sep, dc = self.api_key.rpartition("-")
        return dc if sep and _DC_RE.match(dc) else ""

    @property
    def base_url(self) -> str:
        if self.api_root:
            return self.api_root.rstrip("/")
        dc = self.datacenter
        return f"https://{dc}.api.mailchimp.com/3.0" if dc else ""


# -- the client ------------------------------------------------------------------------

_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,  # includes ConnectTimeout, dropped connections
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class MailchimpClient:
    """The calls the newsletter sync needs, each returning parsed JSON or raising
    a MailchimpError. Thread-safe; at most ``max_connections`` requests at once."""

    def __init__(self, config: MailchimpConfig) -> None:
        if not config.api_key:
            raise MailchimpConfigError("MAILCHIMP_API_KEY is not set")
        if not config.list_id:
            raise MailchimpConfigError("MAILCHIMP_LIST_ID is not set")
        base_url = config.base_url
        if not base_url:
            raise MailchimpConfigError(
                "MAILCHIMP_API_KEY has no data-center suffix (expected key-dc, e.g. ...-us7) "
                "and MAILCHIMP_API_ROOT is not set"
            )
        if not re.match(r"^https?://[^/\s]+", base_url):
            raise MailchimpConfigError("MAILCHIMP_API_ROOT must be an http(s) URL ending in /3.0")
        self.config = config
        self.list_id = config.list_id
        self.base_url = base_url
        self.max_connections = max(1, min(int(config.max_connections), MAX_CONNECTIONS))
        self._secrets = self._secret_forms(config.api_key)
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # kind -> requests sent (retries included)
        self._slots = threading.BoundedSemaphore(self.max_connections)

        self._session = requests.Session()
        self._session.trust_env = False if base_url.startswith("http://127.") else True
        adapter = HTTPAdapter(
            pool_connections=1,
            pool_maxsize=self.max_connections,
            pool_block=True,  # never open an 11th connection: wait for a free one
            max_retries=0,
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

        self._official = mailchimp_marketing.Client(
            {
                "api_key": config.api_key,
                "timeout": (config.connect_timeout, config.read_timeout),
            }
        )
        api_client = self._official.api_client
        # call_api builds url = host + path, then url.replace('server', server) when
        # server is truthy. Give it the full base URL and no server, so nothing in
        # the URL (host or path) is ever rewritten.
        api_client.host = base_url
        api_client.server = ""
        api_client.request = self._send  # keep-alive pool with a hard connection cap
        self._lists = self._official.lists
        self._campaigns = self._official.campaigns
        self._folders = self._official.campaignFolders

    # -- plumbing ---------------------------------------------------------------------

    @staticmethod
    def _secret_forms(key: str) -> tuple[str, ...]:
        forms = {key}
        for user in ("user", "anystring", ""):
            forms.add(base64.b64encode(f"{user}:{key}".encode()).decode())
        prefix = key.rpartition("-")[0]
        if len(prefix) >= 8:
            forms.add(prefix)
        return tuple(sorted((f for f in forms if f), key=len, reverse=True))

    def scrub(self, text: Any) -> str:
        """text with every form of the API key replaced by ***."""
        out = str(text)
        for secret in self._secrets:
            out = out.replace(secret, "***")
        return out

    def __repr__(self) -> str:
        return f"MailchimpClient(base_url={self.base_url!r}, list_id={self.list_id!r}, api_key=***)"

    def _send(self, method, url, query_params=None, headers=None, body=None):
        """Replaces ApiClient.request: same contract, but through our capped Session."""
        auth = ("user", self.config.api_key)
        data = json.dumps(body) if method in ("POST", "PUT", "PATCH") else None
        return self._session.request(
            method,
            url,
            params=query_params,
            headers=headers,
            data=data,
            auth=auth,
            timeout=(self.config.connect_timeout, self.config.read_timeout),
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "MailchimpClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def api_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def _call(self, kind: str, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one official-client call; return its JSON (a dict) or raise MailchimpError.

        The error is built inside the except clauses but raised after them, so it
        has no __context__ linking it to the client's exception (whose request
        carries the Authorization header)."""
        with self._lock:
            self.calls[kind] += 1
        error: MailchimpError | None = None
        result: Any = None
        with self._slots:
            try:
                result = fn(*args, **kwargs)
            except ApiClientError as exc:
                error = self._from_api_error(what, exc)
            except _NETWORK_ERRORS as exc:  # not expected: call_api wraps these
                error = MailchimpTransientError(f"{what}: network error ({type(exc).__name__})")
            except Exception as exc:  # noqa: BLE001 - a bug or garbage in the client
                error = MailchimpTransientError(
                    f"{what}: unexpected client failure ({type(exc).__name__}: "
                    f"{self.scrub(exc)[:200]})"
                )
            if error is None:
                try:
                    result = self._check_result(what, result)
                except MailchimpError as exc:
                    error = exc
        if error is not None:
            error.__traceback__ = None
            raise error
        return result

    def _check_result(self, what: str, result: Any) -> dict:
        if isinstance(result, requests.Response):
            # The official client hands back the bare response when the body is
            # empty or unreadable -- success or not.
            status = result.status_code
            if result.ok:
                try:
                    data = result.json() if result.content else {}
                except ValueError:
                    data = None
                if isinstance(data, dict):
                    return data
                raise MailchimpTransientError(
                    f"{what}: HTTP {status} with an unreadable body", status=status
                )
            cls = _class_for(status)
            raise cls(
                f"{what}: HTTP {status} with an empty body",
                status=status,
                title=f"HTTP {status}",
                detail="empty body",
            )
        if isinstance(result, dict):
            return result
        # 2xx with a non-JSON body (e.g. an HTML page from a proxy): not a success.
        raise MailchimpTransientError(f"{what}: unexpected non-JSON reply")

    def _from_api_error(self, what: str, exc: ApiClientError) -> MailchimpError:
        status = exc.status_code
        text = exc.text
        if status is None:
            # call_api caught an exception from requests and wrapped it.
            if isinstance(text, _NETWORK_ERRORS):
                label = "timed out" if isinstance(text, requests.exceptions.Timeout) else "connection failed"
                return MailchimpTransientError(f"{what}: {label} ({type(text).__name__})")
            return MailchimpConfigError(
                f"{what}: request could not be sent ({type(text).__name__}: {self.scrub(text)[:200]})"
            )
        body: Any = text
        if isinstance(text, (str, bytes)):
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        if isinstance(body, dict):
            title = self.scrub(body.get("title") or "")
            detail = self.scrub(body.get("detail") or "")
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            errors = json.loads(self.scrub(json.dumps(errors)))
            instance = str(body.get("instance") or "")
        else:
            title, detail, errors, instance = f"HTTP {status}", "", [], ""
            snippet = self.scrub(text if isinstance(text, str) else "")[:120].strip()
            if snippet:
                detail = " ".join(snippet.split())
        message = f"{what}: HTTP {status} {title}" + (f": {detail}" if detail else "")
        return _class_for(status)(
            message, status=status, title=title, detail=detail, errors=errors, instance=instance
        )

    # -- the API -------------------------------------------------------------------------

    def get_list(self) -> dict:
        return self._call("get_list", f"GET /lists/{self.list_id}", self._lists.get_list, self.list_id)

    def batch_subscribe(self, members: list[dict], *, update_existing: bool = False) -> dict:
        """POST /lists/{id}: at most 500 members. Per-member problems come back in
        the reply's ``errors``; the call itself raises only for whole-request failures."""
        if len(members) > BATCH_LIMIT:
            raise ValueError(f"batch_subscribe takes at most {BATCH_LIMIT} members")
        body = {"members": members, "update_existing": update_existing}
        return self._call(
            "batch_subscribe",
            f"POST /lists/{self.list_id} ({len(members)} members)",
            self._lists.batch_list_members,
            self.list_id,
            body,
        )

    def put_member(self, email: str, body: dict) -> dict:
        """PUT /lists/{id}/members/{hash}: add or update one member."""
        body = {"email_address": email, **body}
        h = subscriber_hash(email)
        return self._call(
            "put_member",
            f"PUT /lists/{self.list_id}/members/{h}",
            self._lists.set_list_member,
            self.list_id,
            h,
            body,
        )

    def get_member(self, email: str) -> dict | None:
        """The member, or None when Mailchimp does not know the address."""
        h = subscriber_hash(email)
        try:
            return self._call(
                "get_member",
                f"GET /lists/{self.list_id}/members/{h}",
                self._lists.get_list_member,
                self.list_id,
                h,
            )
        except MailchimpPermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def delete_member_permanent(self, email: str) -> bool:
        """POST /lists/{id}/members/{hash}/actions/delete-permanent: erase the member
        and their data for good (GDPR). Mailchimp then refuses to re-add the address
        by API ("Forgotten Email Not Subscribed"). True if a member was deleted,
        False if Mailchimp did not know the address (404)."""
        h = subscriber_hash(email)
        try:
            self._call(
                "delete_member_permanent",
                f"POST /lists/{self.list_id}/members/{h}/actions/delete-permanent",
                self._lists.delete_list_member_permanent,
                self.list_id,
                h,
            )
        except MailchimpPermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def list_segments(self, *, type: str = "static", page_size: int = 1000) -> list[dict]:
        """Every segment of the given type (all pages)."""
        out: list[dict] = []
        offset = 0
        while True:
            page = self._call(
                "list_segments",
                f"GET /lists/{self.list_id}/segments",
                self._lists.list_segments,
                self.list_id,
                type=type,
                count=page_size,
                offset=offset,
                # A list: the official client joins a string's characters with commas.
                fields=["segments.id", "segments.name", "segments.type", "total_items"],
            )
            segments = page.get("segments")
            if not isinstance(segments, list):
                raise MailchimpTransientError("GET segments: reply without a segments list")
            out.extend(segments)
            total = page.get("total_items")
            offset += len(segments)
            if not segments or not isinstance(total, int) or offset >= total:
                return out

    def create_segment(self, name: str) -> dict:
        """POST /lists/{id}/segments: a new, empty static segment (a tag)."""
        return self._call(
            "create_segment",
            f"POST /lists/{self.list_id}/segments",
            self._lists.create_segment,
            self.list_id,
            {"name": name, "static_segment": []},
        )

    def add_to_segment(self, segment_id: int | str, emails: Iterable[str]) -> dict:
        """POST /lists/{id}/segments/{seg}: add at most 500 members."""
        emails = list(emails)
        if len(emails) > BATCH_LIMIT:
            raise ValueError(f"add_to_segment takes at most {BATCH_LIMIT} addresses")
        return self._call(
            "segment_members",
            f"POST /lists/{self.list_id}/segments/{segment_id} ({len(emails)} members)",
            self._lists.batch_segment_members,
            {"members_to_add": emails},
            self.list_id,
            segment_id,
        )

    # -- campaigns (the newsletter sender) -----------------------------------------

    def list_campaign_folders(self, *, page_size: int = 1000) -> list[dict]:
        """Every campaign folder (all pages)."""
        return self._all_pages(
            "list_campaign_folders", "GET /campaign-folders", self._folders.list, "folders",
            page_size, fields=["folders.id", "folders.name", "folders.count", "total_items"],
        )

    def create_campaign_folder(self, name: str) -> dict:
        return self._call("create_campaign_folder", "POST /campaign-folders",
                          self._folders.create, {"name": name})

    def list_campaigns(self, *, page_size: int = 1000, **filters: Any) -> list[dict]:
        """Every campaign matching the filters Mailchimp offers (folder_id, list_id,
        status, type, since_create_time, ...), all pages, newest first."""
        filters.setdefault("sort_field", "create_time")
        filters.setdefault("sort_dir", "DESC")
        return self._all_pages("list_campaigns", "GET /campaigns", self._campaigns.list,
                               "campaigns", page_size, **filters)

    def get_campaign(self, campaign_id: str) -> dict | None:
        """The campaign, or None when Mailchimp does not know it (deleted)."""
        try:
            return self._call("get_campaign", f"GET /campaigns/{campaign_id}",
                              self._campaigns.get, campaign_id)
        except MailchimpPermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def create_campaign(self, body: dict) -> dict:
        return self._call("create_campaign", "POST /campaigns", self._campaigns.create, body)

    def update_campaign(self, campaign_id: str, body: dict) -> dict:
        return self._call("update_campaign", f"PATCH /campaigns/{campaign_id}",
                          self._campaigns.update, campaign_id, body)

    def delete_campaign(self, campaign_id: str) -> dict:
        return self._call("delete_campaign", f"DELETE /campaigns/{campaign_id}",
                          self._campaigns.remove, campaign_id)

    def get_campaign_content(self, campaign_id: str) -> dict:
        return self._call("get_campaign_content", f"GET /campaigns/{campaign_id}/content",
                          self._campaigns.get_content, campaign_id,
                          fields=["html", "plain_text"])

    def set_campaign_content(self, campaign_id: str, html: str, plain_text: str) -> dict:
        return self._call("set_campaign_content", f"PUT /campaigns/{campaign_id}/content",
                          self._campaigns.set_content, campaign_id,
                          {"html": html, "plain_text": plain_text})

    def get_send_checklist(self, campaign_id: str) -> dict:
        return self._call("get_send_checklist", f"GET /campaigns/{campaign_id}/send-checklist",
                          self._campaigns.get_send_checklist, campaign_id)

    def send_test(self, campaign_id: str, emails: list[str], send_type: str = "html") -> dict:
        return self._call("send_test", f"POST /campaigns/{campaign_id}/actions/test",
                          self._campaigns.send_test_email, campaign_id,
                          {"test_emails": list(emails), "send_type": send_type})

    def schedule_campaign(self, campaign_id: str, schedule_time: str) -> dict:
        """schedule_time: ISO 8601 in UTC on a quarter hour (Mailchimp refuses others)."""
        return self._call("schedule_campaign", f"POST /campaigns/{campaign_id}/actions/schedule",
                          self._campaigns.schedule, campaign_id,
                          {"schedule_time": schedule_time})

    def unschedule_campaign(self, campaign_id: str) -> dict:
        return self._call("unschedule_campaign",
                          f"POST /campaigns/{campaign_id}/actions/unschedule",
                          self._campaigns.unschedule, campaign_id)

    def send_campaign(self, campaign_id: str) -> dict:
        return self._call("send_campaign", f"POST /campaigns/{campaign_id}/actions/send",
                          self._campaigns.send, campaign_id)

    def _all_pages(self, kind: str, what: str, fn: Callable[..., Any], key: str,
                   page_size: int, **params: Any) -> list[dict]:
        out: list[dict] = []
        offset = 0
        while True:
            page = self._call(kind, what, fn, count=page_size, offset=offset, **params)
            items = page.get(key)
            if not isinstance(items, list):
                raise MailchimpTransientError(f"{what}: reply without a {key} list")
            out.extend(items)
            total = page.get("total_items")
            offset += len(items)
            if not items or not isinstance(total, int) or offset >= total:
                return out


def _class_for(status: int) -> type[MailchimpError]:
    if status == 429 or status == 408 or status >= 500:
        return MailchimpTransientError
    if status in (401, 403):
        return MailchimpAuthError
    return MailchimpPermanentError
