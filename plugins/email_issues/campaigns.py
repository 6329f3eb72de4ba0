"""The campaign sender: each new post becomes one Mailchimp campaign, exactly once.

Mailchimp itself is the record. Every run lists the campaigns in the
newsletter's own campaign folder and finds each post's campaign by its stable
title, ``post:<slug>``; nothing is kept on the machine that runs it, so a
rerun on a fresh CI runner, or after a crash between any two calls, carries
on where the last run stopped:

    no campaign              -> create it (type regular, to the audience or the
                                NEWSLETTER_SEGMENT tag), set its content, then act
    campaign in save/paused  -> update its settings and content if the post
                                changed, then act (a crash may have stopped it)
    scheduled, sending, sent -> leave it alone: editing a post never re-sends

"Act" follows NEWSLETTER_CAMPAIGNS: draft (nothing), test (a test email to
NEWSLETTER_TEST_EMAILS when the content is new), schedule (the next quarter
hour at least NEWSLETTER_DELAY_MINUTES away) or send (now). Before schedule or
send the send checklist must be ready; otherwise the campaign stays a draft
and the reasons are printed.

Calls that only read, or set something to a value (PATCH, PUT content), are
retried on transient errors. Calls that do something (create, test, schedule,
send) are never retried blindly: after a timeout, a dropped connection or a
5xx the campaign is read back (a create: the folder is listed again), and the
call counts as done if it took effect; a schedule or send refused with 429
(refused before any work) is tried again, after the read-back.
When the outcome stays unknown the post is reported failed, and the next run
reads the real state first.

A post is a candidate when it is dated on or after NEWSLETTER_SINCE (required:
without it nothing is created) and has no `Newsletter: off`.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, TextIO

from forms.mailchimp_client import (
    MailchimpAuthError,
    MailchimpClient,
    MailchimpConfig,
    MailchimpConfigError,
    MailchimpError,
    MailchimpPermanentError,
    MailchimpTransientError,
)

MODES = ("draft", "test", "schedule", "send", "off")
TITLE_PREFIX = "post:"
DEFAULT_FOLDER = "Newsletter: blog posts"
DONE = ("schedule", "sending", "sent", "canceling", "canceled", "archived")
EDITABLE = ("save", "paused")
_CAMPAIGN_FIELDS = [
    "campaigns.id", "campaigns.status", "campaigns.send_time", "campaigns.emails_sent",
    "campaigns.create_time", "campaigns.settings.title", "campaigns.settings.subject_line",
    "campaigns.settings.preview_text", "campaigns.settings.from_name",
    "campaigns.settings.reply_to", "campaigns.settings.folder_id",
    "campaigns.recipients.segment_opts", "total_items",
]
_RANK = {"sent": 5, "sending": 4, "schedule": 3, "paused": 2, "save": 1}


class NewsletterConfigError(Exception):
    """The settings cannot work; nothing was created."""


@dataclass(frozen=True)
class NewsletterSettings:
    mode: str = "off"
    since: datetime | None = None
    segment: str = ""
    from_name: str = ""
    reply_to: str = ""
    test_emails: tuple[str, ...] = ()
    delay_minutes: int = 30
    folder: str = DEFAULT_FOLDER
    retry_backoff: float = 1.0
    mailchimp: MailchimpConfig = field(default_factory=MailchimpConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "NewsletterSettings":
        """Read the settings; a bad value raises NewsletterConfigError naming it."""
        mode = (environ.get("NEWSLETTER_CAMPAIGNS") or "off").strip().lower()
        if mode not in MODES:
            raise NewsletterConfigError(
                f"NEWSLETTER_CAMPAIGNS={mode!r} is not one of {', '.join(MODES)}")
        since_text = (environ.get("NEWSLETTER_SINCE") or "").strip()
        since = parse_since(since_text) if since_text else None
        delay_text = (environ.get("NEWSLETTER_DELAY_MINUTES") or "30").strip()
        try:
            delay = int(delay_text)
            if delay < 0:
                raise ValueError
        except ValueError:
            raise NewsletterConfigError(
                f"NEWSLETTER_DELAY_MINUTES={delay_text!r} is not a whole number of minutes") from None
        emails = tuple(e.strip() for e in (environ.get("NEWSLETTER_TEST_EMAILS") or "").split(",")
                       if e.strip())
        return cls(
            mode=mode, since=since,
            segment=(environ.get("NEWSLETTER_SEGMENT") or "").strip(),
            from_name=(environ.get("NEWSLETTER_FROM_NAME") or "").strip(),
            reply_to=(environ.get("NEWSLETTER_REPLY_TO") or "").strip(),
            test_emails=emails, delay_minutes=delay,
            folder=(environ.get("NEWSLETTER_FOLDER") or DEFAULT_FOLDER).strip(),
            mailchimp=MailchimpConfig.from_env(environ),
        )

    def replace(self, **changes: Any) -> "NewsletterSettings":
        from dataclasses import replace

        return replace(self, **changes)


SETTING_NAMES = ("NEWSLETTER_CAMPAIGNS", "NEWSLETTER_SINCE", "NEWSLETTER_SEGMENT",
                 "NEWSLETTER_FROM_NAME", "NEWSLETTER_REPLY_TO", "NEWSLETTER_TEST_EMAILS",
                 "NEWSLETTER_DELAY_MINUTES", "NEWSLETTER_FOLDER")


def settings_environ(pelican_settings: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> dict:
    """The environment with the NEWSLETTER_* values of pelicanconf/publishconf laid
    over it (those files read the same variables, so either place works)."""
    merged = dict(environ)
    for name in SETTING_NAMES:
        value = pelican_settings.get(name)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        merged[name] = str(value)
    return merged


def parse_since(text: str) -> datetime:
    """NEWSLETTER_SINCE: YYYY-MM-DD (midnight UTC) or an ISO 8601 date and time."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise NewsletterConfigError(
            f"NEWSLETTER_SINCE={text!r} is not a date (YYYY-MM-DD, e.g. 2026-12-01)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def next_quarter_hour(now: datetime, delay_minutes: int) -> datetime:
    """The first :00/:15/:30/:45 (UTC) at least delay_minutes after now."""
    earliest = now.astimezone(timezone.utc) + timedelta(minutes=delay_minutes)
    slot = earliest.replace(second=0, microsecond=0)
    if slot < earliest:
        slot += timedelta(minutes=1)
    slot += timedelta(minutes=(-slot.minute) % 15)
    return slot


def campaign_title(slug: str) -> str:
    return (TITLE_PREFIX + slug)[:100]


# -- the report -----------------------------------------------------------------------


@dataclass
class Report:
    created: int = 0
    scheduled: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    updated: int = 0
    tested: int = 0
    error: str = ""  # a problem that stopped the whole run
    lines: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # --dry-run: what would be created

    def summary(self) -> str:
        return (f"created {self.created}, scheduled {self.scheduled}, sent {self.sent}, "
                f"skipped {self.skipped}, failed {self.failed}"
                f" (updated {self.updated}, test emails {self.tested})")

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error


# -- the run ----------------------------------------------------------------------------


def run_campaigns(
    issues: Iterable[Any],
    settings: NewsletterSettings,
    *,
    dry_run: bool = False,
    out: TextIO = sys.stdout,
    now: Callable[[], datetime] | None = None,
    client: MailchimpClient | None = None,
) -> Report:
    """Create/update/act on every new post's campaign; print a line per post and a
    summary. Never raises for Mailchimp or settings problems: they are in the report."""
    report = Report()

    def say(line: str) -> None:
        report.lines.append(line)
        print(line, file=out, flush=True)

    issues = [_as_issue(i) for i in issues]
    mode = settings.mode
    if mode == "off" and not dry_run:
        say("Newsletter: NEWSLETTER_CAMPAIGNS is off; no campaigns are created.")
        return report
    if settings.since is None:
        report.error = ("NEWSLETTER_SINCE is not set, so no campaign was created: set it to the "
                        "first date whose posts should be mailed (YYYY-MM-DD), so that turning "
                        "the newsletter on never mails the whole archive.")
        say(f"Newsletter: {report.error}")
        say(f"Newsletter: {report.summary()}")
        return report
    if mode == "test" and not settings.test_emails:
        report.error = "NEWSLETTER_CAMPAIGNS=test needs NEWSLETTER_TEST_EMAILS (comma-separated addresses)."
        say(f"Newsletter: {report.error}")
        say(f"Newsletter: {report.summary()}")
        return report

    candidates = []
    for issue in sorted(issues, key=lambda i: i["date"]):
        if not issue["newsletter"]:
            report.skipped += 1
            say(f"  skipped  {campaign_title(issue['slug'])}: Newsletter: off")
        elif _issue_date(issue) < settings.since:
            report.skipped += 1  # the archive: counted, not listed one by one
        elif issue["size"] > 102 * 1024:
            report.failed += 1
            say(f"  FAILED   {campaign_title(issue['slug'])}: its email is "
                f"{issue['size'] / 1024:.1f} KB, over Gmail's 102 KB clipping limit")
        else:
            candidates.append(issue)
    old = report.skipped - sum(1 for i in issues if not i["newsletter"])
    if old:
        say(f"  skipped  {old} post(s) dated before NEWSLETTER_SINCE ({settings.since.date()})")

    own_client = client is None
    try:
        if client is None:
            if not settings.mailchimp.configured:
                if dry_run:
                    for issue in candidates:
                        report.planned.append(campaign_title(issue["slug"]))
                        say(f"  would create {campaign_title(issue['slug'])}: {issue['subject']!r} "
                            "(Mailchimp not configured: existing campaigns not checked)")
                    say(f"Newsletter (dry run): {len(report.planned)} campaign(s) would be created.")
                    return report
                raise MailchimpConfigError("MAILCHIMP_API_KEY and MAILCHIMP_LIST_ID must be set")
            client = MailchimpClient(settings.mailchimp)
        _Run(client, settings, report, say, dry_run, now or _utcnow).run(candidates)
    except (MailchimpConfigError, MailchimpAuthError, NewsletterConfigError) as error:
        report.error = str(error)
        say(f"Newsletter: stopped: {error}")
    except MailchimpError as error:  # the folder or the campaign list could not be read
        report.failed += 1
        say(f"Newsletter: stopped before any post was looked at: {error}. Rerun `make "
            "newsletter`; nothing was created twice.")
    finally:
        if own_client and client is not None:
            client.close()
    if dry_run:
        say(f"Newsletter (dry run, no change made): {len(report.planned)} campaign(s) would be "
            f"created; {report.summary()}")
    else:
        say(f"Newsletter: {report.summary()}")
    return report


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _as_issue(issue: Any) -> dict:
    return issue if isinstance(issue, dict) else issue.as_dict()


def _issue_date(issue: dict) -> datetime:
    moment = datetime.fromisoformat(issue["date"])
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class _Run:
    """One run against Mailchimp; methods in the order the calls happen."""

    def __init__(self, client, settings, report, say, dry_run, now):
        self.client, self.settings, self.report = client, settings, report
        self.say, self.dry_run, self.now = say, dry_run, now
        self._defaults: dict | None = None
        self._segment_id: int | None = None

    # -- plumbing ---------------------------------------------------------------

    def retry(self, what: Callable[[], Any], attempts: int = 4) -> Any:
        """For calls that are safe to repeat: reads, PATCH, PUT content."""
        for attempt in range(attempts):
            try:
                return what()
            except MailchimpTransientError:
                if attempt == attempts - 1:
                    raise
                time.sleep(self.settings.retry_backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    # -- the run ----------------------------------------------------------------

    def run(self, candidates: list[dict]) -> None:
        folder = self.folder(create=bool(candidates) and not self.dry_run)
        existing = self.campaigns_in(folder) if folder else {}
        for issue in candidates:
            title = campaign_title(issue["slug"])
            found = existing.get(title, [])
            if len(found) > 1:
                self.say(f"  warning  {len(found)} campaigns are titled {title!r} in the folder; "
                         "using the most advanced one and leaving the others alone")
            found.sort(key=lambda c: _RANK.get(c.get("status"), 0), reverse=True)
            try:
                if self.dry_run:
                    self.plan(issue, title, found[0] if found else None)
                else:
                    self.one(issue, title, folder, found[0] if found else None)
            except (MailchimpAuthError, MailchimpConfigError, NewsletterConfigError):
                self.report.failed += 1
                raise
            except MailchimpError as error:
                self.report.failed += 1
                self.say(f"  FAILED   {title}: {error}. Rerun `make newsletter`: it reads the "
                         "campaign's state first, so nothing is created or sent twice.")

    def folder(self, create: bool) -> str:
        name = self.settings.folder
        for folder in self.retry(self.client.list_campaign_folders):
            if folder.get("name") == name:
                return str(folder["id"])
        if not create:
            return ""
        try:
            return str(self.client.create_campaign_folder(name)["id"])
        except MailchimpTransientError:
            # It may exist now; creating again could make a second folder.
            for folder in self.retry(self.client.list_campaign_folders):
                if folder.get("name") == name:
                    return str(folder["id"])
            raise

    def campaigns_in(self, folder_id: str) -> dict[str, list[dict]]:
        campaigns = self.retry(lambda: self.client.list_campaigns(
            folder_id=folder_id, fields=_CAMPAIGN_FIELDS))
        out: dict[str, list[dict]] = {}
        for campaign in campaigns:
            title = (campaign.get("settings") or {}).get("title") or ""
            out.setdefault(title, []).append(campaign)
        return out

    def find(self, folder_id: str, title: str) -> dict | None:
        found = self.campaigns_in(folder_id).get(title, [])
        found.sort(key=lambda c: _RANK.get(c.get("status"), 0), reverse=True)
        return found[0] if found else None

    def defaults(self) -> dict:
        if self._defaults is None:
            self._defaults = self.retry(self.client.get_list).get("campaign_defaults") or {}
        return self._defaults

    def segment_id(self) -> int | None:
        name = self.settings.segment
        if not name:
            return None
        if self._segment_id is None:
            for segment in self.retry(lambda: self.client.list_segments(type="static")):
                if segment.get("name") == name:
                    self._segment_id = int(segment["id"])
                    break
            else:
                # Never fall back to the whole audience.
                raise NewsletterConfigError(
                    f"NEWSLETTER_SEGMENT={name!r}: the audience has no tag of that name")
        return self._segment_id

    def wanted_settings(self, issue: dict, title: str, folder_id: str) -> dict:
        defaults = self.defaults() if not (self.settings.from_name and self.settings.reply_to) else {}
        return {
            "subject_line": issue["subject"][:150],
            "preview_text": (issue.get("preview_text") or "")[:150],
            "title": title,
            "from_name": self.settings.from_name or defaults.get("from_name") or "",
            "reply_to": self.settings.reply_to or defaults.get("from_email") or "",
            "folder_id": folder_id,
        }

    def wanted_recipients(self) -> dict:
        recipients: dict = {"list_id": self.client.list_id}
        segment = self.segment_id()
        if segment is not None:
            recipients["segment_opts"] = {"saved_segment_id": segment}
        return recipients

    # -- one post -----------------------------------------------------------------

    def plan(self, issue: dict, title: str, campaign: dict | None) -> None:
        if campaign is None:
            self.report.planned.append(title)
            self.say(f"  would create {title}: {issue['subject']!r}, then "
                     f"{self.settings.mode if self.settings.mode != 'off' else 'nothing (off)'}")
        elif campaign.get("status") in EDITABLE:
            self.say(f"  would update {title} (campaign {campaign['id']}, {campaign['status']}) "
                     "if the post changed")
        else:
            self.report.skipped += 1
            self.say(f"  skipped  {title}: already {campaign.get('status')}")

    def one(self, issue: dict, title: str, folder_id: str, campaign: dict | None) -> None:
        status = (campaign or {}).get("status")
        if campaign is not None and status not in EDITABLE:
            self.report.skipped += 1
            self.say(f"  skipped  {title}: already {status} (campaign {campaign['id']}); "
                     "an edited post is not sent again")
            return
        settings = self.wanted_settings(issue, title, folder_id)
        recipients = self.wanted_recipients()
        content_changed = True
        if campaign is None:
            campaign = self.create(settings, recipients, folder_id, title)
            self.report.created += 1
            self.say(f"  created  {title}: campaign {campaign['id']}")
            self.set_content(campaign["id"], issue)
        else:
            content_changed = self.update(campaign, settings, recipients, issue)
            if content_changed:
                self.report.updated += 1
                self.say(f"  updated  {title}: campaign {campaign['id']} (still a draft)")
        self.act(campaign["id"], title, content_changed)

    def create(self, settings: dict, recipients: dict, folder_id: str, title: str) -> dict:
        body = {"type": "regular", "recipients": recipients,
                "settings": {**settings, "auto_footer": False, "inline_css": False}}
        try:
            return self.client.create_campaign(body)
        except MailchimpTransientError as error:
            # The campaign may exist anyway; never create blindly a second time.
            found = self.find(folder_id, title)
            if found is not None:
                return found
            raise MailchimpTransientError(f"{error}; no campaign was found afterwards") from None

    def set_content(self, campaign_id: str, issue: dict) -> None:
        self.retry(lambda: self.client.set_campaign_content(campaign_id, issue["html"], issue["text"]))

    def update(self, campaign: dict, settings: dict, recipients: dict, issue: dict) -> bool:
        """Bring a draft up to date; True when anything changed."""
        current = campaign.get("settings") or {}
        changed = False
        current_segment = (campaign.get("recipients") or {}).get("segment_opts") or {}
        if any(current.get(k) != v for k, v in settings.items()) or \
                current_segment.get("saved_segment_id") != (recipients.get("segment_opts") or {}).get("saved_segment_id"):
            self.retry(lambda: self.client.update_campaign(
                campaign["id"], {"settings": settings, "recipients": recipients}))
            changed = True
        content = self.retry(lambda: self.client.get_campaign_content(campaign["id"]))
        if content.get("html") != issue["html"] or (content.get("plain_text") or "") != issue["text"]:
            self.set_content(campaign["id"], issue)
            changed = True
        return changed

    def act(self, campaign_id: str, title: str, content_changed: bool) -> None:
        mode = self.settings.mode
        if mode == "draft":
            self.say(f"           {title}: left as a draft for review in Mailchimp")
            return
        if mode == "test":
            if content_changed:
                self.test(campaign_id, title)
            return
        checklist = self.retry(lambda: self.client.get_send_checklist(campaign_id))
        if not checklist.get("is_ready"):
            reasons = [f"{i.get('heading', '')}: {i.get('details', '')}".strip(": ")
                       for i in checklist.get("items") or [] if i.get("type") == "error"]
            self.report.failed += 1
            self.say(f"  FAILED   {title}: not ready to send, kept as a draft: "
                     + ("; ".join(reasons) or "the send checklist is not ready"))
            return
        if mode == "schedule":
            when = next_quarter_hour(self.now(), self.settings.delay_minutes)
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
            self.action(campaign_id, title, lambda: self.client.schedule_campaign(campaign_id, stamp),
                        ("schedule", "sending", "sent"))
            self.report.scheduled += 1
            self.say(f"  scheduled {title}: sends at {stamp} (unschedule in Mailchimp before then "
                     "to stop it)")
        elif mode == "send":
            self.action(campaign_id, title, lambda: self.client.send_campaign(campaign_id),
                        ("sending", "sent"))
            self.report.sent += 1
            self.say(f"  sent     {title}")

    def test(self, campaign_id: str, title: str) -> None:
        emails = list(self.settings.test_emails)
        try:
            self.client.send_test(campaign_id, emails)
        except MailchimpTransientError as error:
            # A test email may have gone out; a second one is not worth the risk of spam.
            self.say(f"  warning  {title}: the test email may not have been sent ({error}); "
                     "send one from Mailchimp if it does not arrive")
            return
        self.report.tested += 1
        self.say(f"  tested   {title}: test email to {', '.join(emails)}")

    def action(self, campaign_id: str, title: str, call: Callable[[], Any], took_effect: tuple) -> None:
        """schedule or send: read back after any doubt; retry only after a 429."""
        for attempt in range(3):
            try:
                call()
                return
            except MailchimpError as error:
                state = self.retry(lambda: self.client.get_campaign(campaign_id)) or {}
                if state.get("status") in took_effect:
                    return  # the call worked; only its answer was lost or odd
                if isinstance(error, MailchimpPermanentError) or error.status != 429 or attempt == 2:
                    raise
                time.sleep(self.settings.retry_backoff * (2 ** attempt))
