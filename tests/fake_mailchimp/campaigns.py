"""Campaigns, campaign folders, content, the send checklist and the campaign
actions of the fake Mailchimp (Marketing API 3.0), as the newsletter sender
uses them:

    GET    /3.0/campaign-folders                      {folders, total_items} (count default 10, max 1000)
    POST   /3.0/campaign-folders                      {name} -> folder
    GET|PATCH|DELETE /3.0/campaign-folders/{id}
    GET    /3.0/campaigns                             filters: type, status, folder_id, list_id,
                                                      since_/before_create_time, sort_field, sort_dir
    POST   /3.0/campaigns                             create (status "save")
    GET|PATCH|DELETE /3.0/campaigns/{id}
    GET|PUT /3.0/campaigns/{id}/content               {html, plain_text}
    GET    /3.0/campaigns/{id}/send-checklist         {is_ready, items[type, id, heading, details]}
    POST   /3.0/campaigns/{id}/actions/test           204; {test_emails, send_type}
    POST   /3.0/campaigns/{id}/actions/schedule       204; schedule_time on :00/:15/:30/:45 UTC, in the future
    POST   /3.0/campaigns/{id}/actions/unschedule     204; back to "save"
    POST   /3.0/campaigns/{id}/actions/send           204; "sending", then "sent"

Statuses follow Mailchimp's: save -> schedule -> sending -> sent (unschedule
returns a scheduled campaign to save; paused is RSS/automation only and is
accepted where save is). Content and settings can change only in save or
paused. A scheduled campaign starts sending when the fake's clock (``now()``,
shifted by ``clock_offset``) passes its send_time, checked on every request.
Every real delivery is appended to ``deliveries`` so tests can assert that
nothing went out twice; test emails go to ``test_sends``.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

CAMPAIGN_TYPES = ("regular", "plaintext", "absplit", "rss", "variate")
CAMPAIGN_STATUSES = ("save", "paused", "schedule", "sending", "sent", "canceled", "canceling", "archived")
EDITABLE = ("save", "paused")
_NOT_FOUND = ("Resource Not Found", "The requested resource could not be found.")
_INVALID = "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class CampaignsMixin:
    """Mixed into FakeMailchimp; expects ``ApiError``, ``lock``, ``list_id``,
    ``members`` and ``segments`` from it."""

    def _init_campaigns(self) -> None:
        self.campaigns: dict[str, dict] = {}
        self.folders: dict[str, dict] = {}
        self.deliveries: list[dict] = []  # {"campaign_id", "title", "at", "recipients"}
        self.test_sends: list[dict] = []  # {"campaign_id", "emails", "send_type"}
        self.clock_offset = timedelta(0)
        self.campaign_defaults = {
            "from_name": "Northwind Studio",
            "from_email": "news@northwind.example",
            "subject": "",
            "language": "en",
        }
        self.contact = {
            "company": "Northwind Studio", "address1": "1 Harbour Row", "address2": "",
            "city": "Bristol", "state": "", "zip": "BS1 4QA", "country": "GB", "phone": "",
        }
        self._web_ids = itertools.count(100001)

    # -- state for tests -------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.clock_offset

    def campaigns_titled(self, title: str) -> list[dict]:
        with self.lock:
            return [self._campaign_json(c) for c in self.campaigns.values()
                    if c["settings"]["title"] == title]

    def deliveries_of(self, title: str) -> list[dict]:
        with self.lock:
            return [d for d in self.deliveries if d["title"] == title]

    def campaign_html(self, campaign_id: str) -> str:
        with self.lock:
            return self.campaigns[campaign_id]["content"]["html"]

    # -- routing ------------------------------------------------------------------

    def handle_campaigns(self, method: str, parts: list[str], query: dict, body: Any):
        """parts: the path after /3.0/. Returns (status, payload) or None if not ours."""
        self._advance_campaigns()
        head, rest = parts[0], parts[1:]
        if head == "campaign-folders":
            if not rest:
                if method == "GET":
                    return 200, self._page(query, "folders", [self._folder_json(f) for f in self.folders.values()])
                if method == "POST":
                    return 200, self._folder_json(self._create_folder(body))
            elif len(rest) == 1:
                folder = self.folders.get(rest[0])
                if folder is None:
                    raise self._not_found()
                if method == "GET":
                    return 200, self._folder_json(folder)
                if method == "PATCH":
                    folder["name"] = self._folder_name(body)
                    return 200, self._folder_json(folder)
                if method == "DELETE":
                    for c in self.campaigns.values():
                        if c["settings"]["folder_id"] == folder["id"]:
                            c["settings"]["folder_id"] = ""
                    del self.folders[folder["id"]]
                    return 204, None
            return None
        if head != "campaigns":
            return None
        if not rest:
            if method == "GET":
                return 200, self._list_campaigns(query)
            if method == "POST":
                return 200, self._campaign_json(self._create_campaign(body))
            return None
        campaign = self.campaigns.get(rest[0])
        if campaign is None:
            raise self._not_found()
        tail = rest[1:]
        if not tail:
            if method == "GET":
                return 200, self._campaign_json(campaign)
            if method == "PATCH":
                return 200, self._campaign_json(self._update_campaign(campaign, body))
            if method == "DELETE":
                if campaign["status"] in ("sending", "canceling"):
                    raise self.ApiError(400, "Bad Request", "This campaign is sending and cannot be deleted.")
                del self.campaigns[campaign["id"]]
                return 204, None
        elif tail == ["content"]:
            if method == "GET":
                return 200, {**campaign["content"], "archive_html": campaign["content"]["html"], "_links": []}
            if method == "PUT":
                return 200, self._set_content(campaign, body)
        elif tail == ["send-checklist"] and method == "GET":
            return 200, self._checklist(campaign)
        elif len(tail) == 2 and tail[0] == "actions" and method == "POST":
            action = {"test": self._action_test, "schedule": self._action_schedule,
                      "unschedule": self._action_unschedule, "send": self._action_send}.get(tail[1])
            if action is not None:
                action(campaign, body)
                return 204, None
        return None

    # -- helpers ------------------------------------------------------------------

    def _not_found(self):
        return self.ApiError(404, *_NOT_FOUND)

    def _invalid(self, field: str, message: str):
        return self.ApiError(400, "Invalid Resource", _INVALID, [{"field": field, "message": message}])

    def _page(self, query: dict, key: str, items: list) -> dict:
        def num(name, default, lo, hi):
            try:
                return max(lo, min(hi, int(query.get(name, [default])[0])))
            except ValueError:
                raise self.ApiError(400, "Invalid Resource", f"{name} must be an integer") from None

        count = num("count", 10, 1, 1000)
        offset = num("offset", 0, 0, 10**9)
        return {key: items[offset: offset + count], "total_items": len(items), "_links": []}

    def _advance_campaigns(self) -> None:
        """Scheduled campaigns whose time has come start sending; sending ones finish."""
        now = self.now()
        for c in self.campaigns.values():
            if c["status"] == "sending":
                c["status"] = "sent"
            elif c["status"] == "schedule" and _parse_time(c["send_time"]) <= now:
                self._deliver(c)

    def _deliver(self, c: dict) -> None:
        c["status"] = "sending"
        c["send_time"] = c["send_time"] or _iso(self.now())
        c["emails_sent"] = self._recipient_count(c)
        self.deliveries.append({"campaign_id": c["id"], "title": c["settings"]["title"],
                                "at": c["send_time"], "recipients": c["emails_sent"]})

    # -- folders ------------------------------------------------------------------

    def _folder_name(self, body: Any) -> str:
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise self._invalid("name", "This value should not be blank.")
        if len(name) > 100:
            raise self._invalid("name", "This value is too long. It should have 100 characters or less.")
        return name

    def _create_folder(self, body: Any) -> dict:
        folder = {"id": uuid.uuid4().hex[:10], "name": self._folder_name(body)}
        self.folders[folder["id"]] = folder
        return folder

    def _folder_json(self, folder: dict) -> dict:
        count = sum(c["settings"]["folder_id"] == folder["id"] for c in self.campaigns.values())
        return {"name": folder["name"], "id": folder["id"], "count": count, "_links": []}

    # -- campaigns ----------------------------------------------------------------

    def _recipients_from(self, recipients: Any) -> dict:
        if not isinstance(recipients, dict):
            raise self._invalid("recipients", "Schema describes object, NULL found instead")
        list_id = recipients.get("list_id")
        if list_id != self.list_id:
            raise self._invalid("recipients.list_id", "The list_id provided does not exist.")
        opts = recipients.get("segment_opts") or {}
        if not isinstance(opts, dict):
            raise self._invalid("recipients.segment_opts", "Schema describes object")
        seg_id = opts.get("saved_segment_id")
        if seg_id is not None:
            if not isinstance(seg_id, int) or seg_id not in self.segments:
                raise self._invalid("recipients.segment_opts.saved_segment_id",
                                    "The segment provided does not exist.")
        return {"list_id": list_id, "segment_opts": dict(opts)}

    def _settings_from(self, settings: Any, base: dict | None = None) -> dict:
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise self._invalid("settings", "Schema describes object")
        out = dict(base or {
            "subject_line": "", "preview_text": "", "title": "", "from_name": "", "reply_to": "",
            "use_conversation": False, "to_name": "", "folder_id": "", "authenticate": True,
            "auto_footer": False, "inline_css": False, "auto_tweet": False, "fb_comments": True,
            "timewarp": False, "template_id": 0, "drag_and_drop": False,
        })
        for key, value in settings.items():
            if key in out:
                out[key] = value
        folder = out.get("folder_id") or ""
        if folder and folder not in self.folders:
            raise self._invalid("settings.folder_id", "The folder_id provided does not exist.")
        if len(str(out["subject_line"])) > 150:
            raise self._invalid("settings.subject_line", "This value is too long. It should have 150 characters or less.")
        if len(str(out["title"])) > 100:
            raise self._invalid("settings.title", "This value is too long. It should have 100 characters or less.")
        if len(str(out["preview_text"])) > 150:
            raise self._invalid("settings.preview_text", "This value is too long. It should have 150 characters or less.")
        return out

    def _create_campaign(self, body: Any) -> dict:
        if not isinstance(body, dict):
            raise self._invalid("", "Schema describes object, NULL found instead")
        ctype = body.get("type")
        if ctype not in CAMPAIGN_TYPES:
            raise self._invalid("type", f"Value is not one of the enum values: {', '.join(CAMPAIGN_TYPES)}")
        campaign = {
            "id": uuid.uuid4().hex[:10],
            "web_id": next(self._web_ids),
            "type": ctype,
            "create_time": _iso(self.now()),
            "status": "save",
            "emails_sent": 0,
            "send_time": "",
            "content_type": "template",
            "recipients": self._recipients_from(body.get("recipients")),
            "settings": self._settings_from(body.get("settings")),
            "content": {"html": "", "plain_text": ""},
        }
        self.campaigns[campaign["id"]] = campaign
        return campaign

    def _update_campaign(self, campaign: dict, body: Any) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("settings"), dict):
            raise self._invalid("settings", "Required property 'settings' not found")
        if campaign["status"] not in EDITABLE:
            raise self.ApiError(400, "Bad Request", f"This campaign cannot be edited in status {campaign['status']}.")
        settings = self._settings_from(body["settings"], campaign["settings"])
        recipients = campaign["recipients"]
        if "recipients" in body:
            recipients = self._recipients_from(body["recipients"])
        campaign["settings"], campaign["recipients"] = settings, recipients
        return campaign

    def _set_content(self, campaign: dict, body: Any) -> dict:
        if campaign["status"] not in EDITABLE:
            raise self.ApiError(400, "Bad Request",
                                f"The content of a campaign in status {campaign['status']} cannot be changed.")
        if not isinstance(body, dict) or not any(k in body for k in ("html", "plain_text", "template", "url", "archive")):
            raise self._invalid("", "Either html, template, url or archive is required.")
        if "html" in body:
            campaign["content"]["html"] = str(body["html"] or "")
            campaign["content_type"] = "html"
        if "plain_text" in body:
            campaign["content"]["plain_text"] = str(body["plain_text"] or "")
        return {**campaign["content"], "archive_html": campaign["content"]["html"], "_links": []}

    def _recipient_count(self, campaign: dict) -> int:
        subscribed = {h for h, m in self.members.items() if m["status"] == "subscribed"}
        seg_id = campaign["recipients"]["segment_opts"].get("saved_segment_id")
        if seg_id is not None:
            seg = self.segments.get(seg_id)
            subscribed &= seg["members"] if seg else set()
        return len(subscribed)

    def _campaign_json(self, c: dict) -> dict:
        seg_id = c["recipients"]["segment_opts"].get("saved_segment_id")
        seg = self.segments.get(seg_id) if seg_id is not None else None
        return {
            "id": c["id"],
            "web_id": c["web_id"],
            "type": c["type"],
            "create_time": c["create_time"],
            "archive_url": f"https://eepurl.com/{c['id'][:6]}",
            "long_archive_url": f"https://us7.campaign-archive.com/?u=0&id={c['id']}",
            "status": c["status"],
            "emails_sent": c["emails_sent"],
            "send_time": c["send_time"],
            "content_type": c["content_type"],
            "needs_block_refresh": False,
            "resendable": False,
            "recipients": {
                "list_id": c["recipients"]["list_id"],
                "list_is_active": True,
                "list_name": "Fake audience",
                "segment_text": f"Tags: {seg['name']}" if seg else "",
                "recipient_count": self._recipient_count(c),
                "segment_opts": dict(c["recipients"]["segment_opts"]),
            },
            "settings": dict(c["settings"]),
            "tracking": {"opens": True, "html_clicks": True, "text_clicks": False,
                         "goal_tracking": False, "ecomm360": False, "google_analytics": "",
                         "clicktale": ""},
            "delivery_status": {"enabled": False},
            "_links": [],
        }

    def _list_campaigns(self, query: dict) -> dict:
        def one(name):
            return query.get(name, [None])[0]

        items = list(self.campaigns.values())
        for name in ("type", "status", "folder_id"):
            wanted = one(name)
            if wanted is not None:
                values = set(wanted.split(","))
                key = (lambda c, n=name: c["settings"]["folder_id"]) if name == "folder_id" else (lambda c, n=name: c[n])
                items = [c for c in items if key(c) in values]
        if one("list_id") is not None:
            items = [c for c in items if c["recipients"]["list_id"] == one("list_id")]
        for name, later in (("since_create_time", True), ("before_create_time", False)):
            bound = _parse_time(one(name))
            if one(name) is not None and bound is None:
                raise self._invalid(name, "Please enter a valid date-time")
            if bound is not None:
                items = [c for c in items
                         if (_parse_time(c["create_time"]) >= bound) == later]
        sort_field = one("sort_field")
        if sort_field not in (None, "create_time", "send_time"):
            raise self._invalid("sort_field", "Value is not one of the enum values: create_time, send_time")
        if sort_field:
            items.sort(key=lambda c: (c[sort_field] or "", c["web_id"]),
                       reverse=(one("sort_dir") or "ASC").upper() == "DESC")
        page = self._page(query, "campaigns", [self._campaign_json(c) for c in items])
        return page

    # -- the checklist and the actions --------------------------------------------

    def _checklist(self, c: dict) -> dict:
        s, html = c["settings"], c["content"]["html"]
        items: list[dict] = []

        def check(ok: bool, ok_heading: str, heading: str, details: str, kind: str = "error") -> None:
            items.append({"type": "success" if ok else kind, "id": len(items),
                          "heading": ok_heading if ok else heading,
                          "details": "" if ok else details})

        check(bool(s["subject_line"]), "Subject line", "Missing subject",
              "You need to add a subject line before you can send.")
        check(bool(s["from_name"]), "From name", "Missing From name",
              "Add a From name to your campaign.")
        check(bool(_EMAIL_RE.match(str(s["reply_to"] or ""))), "Reply-to address",
              "Missing or invalid reply-to address", "Add a valid reply-to email address.")
        check(bool(html.strip()), "Content", "Missing content",
              "Your campaign has no content yet.")
        if html.strip():
            check("*|UNSUB|*" in html, "Unsubscribe link", "Missing unsubscribe link",
                  "Custom-coded campaigns must contain the *|UNSUB|* merge tag.")
            check(any(t in html for t in ("*|LIST:ADDRESSLINE|*", "*|LIST:ADDRESS|*", "*|HTML:LIST_ADDRESS_HTML|*")),
                  "Physical address", "Missing physical address",
                  "Include your audience's postal address (*|LIST:ADDRESSLINE|*).")
        check(bool(c["content"]["plain_text"].strip()), "Plain-text version",
              "No plain-text version", "Mailchimp will generate one.", kind="warning")
        check(self._recipient_count(c) > 0, "Recipients", "No recipients",
              "The audience or segment you chose has no subscribed contacts.")
        ready = not any(i["type"] == "error" for i in items)
        return {"is_ready": ready, "items": items, "_links": []}

    def _not_ready(self, c: dict) -> None:
        checklist = self._checklist(c)
        if not checklist["is_ready"]:
            raise self.ApiError(
                400, "Bad Request", "Your Campaign is not ready to send.",
                [{"field": "", "message": i["heading"]} for i in checklist["items"] if i["type"] == "error"])

    def _action_test(self, c: dict, body: Any) -> None:
        if not isinstance(body, dict):
            raise self._invalid("", "Schema describes object, NULL found instead")
        emails, send_type = body.get("test_emails"), body.get("send_type")
        if not isinstance(emails, list) or not emails:
            raise self._invalid("test_emails", "This value should not be blank.")
        if send_type not in ("html", "plaintext"):
            raise self._invalid("send_type", "Value is not one of the enum values: html, plaintext")
        for email in emails:
            if not _EMAIL_RE.match(str(email)):
                raise self._invalid("test_emails", f"{email} is not a valid email address.")
        if not c["content"]["html"].strip():
            raise self.ApiError(400, "Bad Request", "Your campaign has no content to test.")
        self.test_sends.append({"campaign_id": c["id"], "emails": list(emails), "send_type": send_type})

    def _action_schedule(self, c: dict, body: Any) -> None:
        when = _parse_time((body or {}).get("schedule_time") if isinstance(body, dict) else None)
        if when is None:
            raise self._invalid("schedule_time", "Please enter a valid date-time")
        if c["status"] == "schedule":
            raise self.ApiError(400, "Bad Request", "This campaign is already scheduled.")
        if c["status"] not in EDITABLE:
            raise self.ApiError(400, "Bad Request", f"This campaign cannot be scheduled in status {c['status']}.")
        if when.minute % 15 or when.second or when.microsecond:
            raise self.ApiError(400, "Invalid Resource",
                                "Schedule time must be on the quarter-hour (:00, :15, :30, :45).")
        if when <= self.now():
            raise self.ApiError(400, "Invalid Resource", "Schedule time must be in the future.")
        self._not_ready(c)
        c["status"], c["send_time"] = "schedule", _iso(when)

    def _action_unschedule(self, c: dict, body: Any) -> None:
        if c["status"] != "schedule":
            raise self.ApiError(400, "Bad Request", "This campaign is not scheduled.")
        c["status"], c["send_time"] = "save", ""

    def _action_send(self, c: dict, body: Any) -> None:
        if c["status"] in ("sending", "sent"):
            raise self.ApiError(400, "Bad Request", "This campaign has already been sent.")
        if c["status"] not in EDITABLE:
            raise self.ApiError(400, "Bad Request", f"This campaign cannot be sent in status {c['status']}.")
        self._not_ready(c)
        c["send_time"] = ""
        self._deliver(c)
