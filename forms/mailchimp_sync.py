"""Deliver pending signups from the outbox to the Mailchimp audience.

    report = sync_signups(outbox, settings, dry_run=False, progress=None)

How one run works (all calls through forms.mailchimp_client, at most 10 at once):

1. Read the due pending signups, one member per address.
2. Create: batch subscribe (POST /lists/{id}, <= 500 members a call) with
   ``update_existing: false`` and status "pending" (double opt-in) or
   "subscribed". New addresses are created; an address already in the audience
   comes back in ``errors`` as ERROR_CONTACT_EXISTS and is left untouched --
   this call can never change an existing member's status. (If Mailchimp refuses
   a whole batch with a 4xx, its members are re-sent one per batch call, so each
   gets its own answer.)
3. Update: for each existing member with a name, PUT /lists/{id}/members/{hash}
   with ``status_if_new`` and FNAME only -- no ``status``, so someone who
   unsubscribed stays unsubscribed (and if the member vanished in between, it
   is re-created with status_if_new, never subscribed against their will).
4. Tag: each member gets the tag of its source page ("source:/path/"), i.e. is
   added to that static segment: segments are listed once, missing ones created,
   then members added with POST /lists/{id}/segments/{seg} in batches of <= 500.
5. Record: a signup is marked synced only when Mailchimp confirmed the member
   (created or updated) *and* its tag. Mailchimp's per-member refusals
   ("Invalid Resource", "Member In Compliance State", ...) are recorded as
   permanent failures with Mailchimp's reason. Transient failures (429, 5xx,
   timeouts, dropped connections) are retried a few times with exponential
   backoff inside the run, then the signup stays pending with a later retry_at
   (defer_signup), until max_attempts runs have failed.

Killed at any point, the next run redoes only what was not recorded: creating is
refused for existing members (so no duplicates), updates and tag additions are
idempotent, and a segment is created only after a fresh look-up did not find it.

Members are processed in rounds of ``round_size`` (5000) so a long run records
progress as it goes; rounds of 10 batches of 500 keep all 10 connections busy.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from .mailchimp_client import (
    BATCH_LIMIT,
    MailchimpAuthError,
    MailchimpClient,
    MailchimpConfig,
    MailchimpConfigError,
    MailchimpError,
    MailchimpPermanentError,
    MailchimpTransientError,
)

__all__ = ["RetryPolicy", "SyncReport", "sync_signups", "tag_for_source"]

log = logging.getLogger(__name__)

TAG_PREFIX = "source:"
TAG_MAX = 100  # Mailchimp's limit on tag (segment) names
ProgressFn = Callable[[int, int], Any]


@dataclass(frozen=True)
class RetryPolicy:
    """In-run retries of transient errors, then deferral to a later run."""

    attempts: int = 4  # tries per call within a run (1 + 3 retries)
    backoff: float = 0.5  # first in-run wait, doubled each time, with jitter
    backoff_cap: float = 8.0
    defer_base: float = 60.0  # next run after 1 min, 2, 4, ... (per signup attempts)
    defer_cap: float = 6 * 3600.0
    max_attempts: int = 20  # runs with a transient failure before giving up for good

    def wait(self, retry: int) -> float:
        base = min(self.backoff_cap, self.backoff * (2 ** retry))
        return base * (0.5 + random.random() / 2)

    def retry_at(self, now: datetime, attempts: int, jitter: float = 0.2) -> datetime:
        """The next run's time for a signup after `attempts` failed runs, spread by +-jitter."""
        delay = min(self.defer_cap, self.defer_base * (2 ** min(attempts, 30)))
        return now + timedelta(seconds=delay * (1 + jitter * (2 * random.random() - 1)))


@dataclass
class SyncReport:
    sent: int = 0  # new members created
    updated: int = 0  # existing members updated (status untouched)
    failed: int = 0  # signups refused for good in this run
    pending: int = 0  # signups left pending after transient errors
    api_calls: int = 0
    dry_run: bool = False
    would_send: int = 0  # dry run: members that would be sent
    tags_created: int = 0  # dry run: tags that would be created
    signups: int = 0  # signups considered
    calls_by_kind: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # a sample of reasons
    error: str | None = None  # the run could not proceed (auth, config, audience)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0 and self.pending == 0

    def summary(self) -> str:
        if self.dry_run:
            text = (
                f"dry run: would send {self.would_send} members "
                f"({self.signups} signups), create {self.tags_created} tags"
            )
        else:
            text = (
                f"{self.sent} new, {self.updated} updated, {self.failed} failed, "
                f"{self.pending} pending; {self.api_calls} API calls in {self.seconds:.1f}s"
            )
        if self.error:
            text += f"; stopped: {self.error}"
        return text

    def __str__(self) -> str:
        return self.summary()


def tag_for_source(source: str) -> str:
    """The tag for a signup's source page, e.g. "source:/posts/hello/" (<= 100 chars)."""
    source = " ".join((source or "").split())
    if not source:
        return ""
    tag = TAG_PREFIX + source
    if len(tag) > TAG_MAX:
        digest = hashlib.md5(tag.encode("utf-8")).hexdigest()[:8]
        tag = tag[: TAG_MAX - 9] + "~" + digest
    return tag


# -- internals ---------------------------------------------------------------------


class _Fatal(Exception):
    """The run cannot continue (bad key, unknown audience, broken configuration)."""


@dataclass
class _Member:
    email: str
    signups: list  # the Signup rows for this address
    name: str
    ip: str
    timestamp: str
    tags: list[str]
    outcome: str = ""  # created | updated | failed | transient
    reason: str = ""
    tagged: set = field(default_factory=set)

    @property
    def attempts(self) -> int:
        return max((s.attempts for s in self.signups), default=0)


def _members_from(signups: Sequence[Any]) -> list[_Member]:
    """One member per address (the outbox keeps one row per address, but be safe)."""
    by_email: dict[str, list] = {}
    for s in signups:
        by_email.setdefault(s.email.strip().lower(), []).append(s)
    members = []
    for email, rows in by_email.items():
        latest = max(rows, key=lambda s: (s.updated_at, s.id))
        first = min(rows, key=lambda s: (s.created_at, s.id))
        names = [s.name for s in sorted(rows, key=lambda s: (s.updated_at, s.id)) if s.name]
        tags = sorted({t for t in (tag_for_source(s.source) for s in rows) if t})
        members.append(
            _Member(
                email=email,
                signups=rows,
                name=(names[-1] if names else "").strip(),
                ip=_ip(latest.ip),
                timestamp=_timestamp(first.created_at),
                tags=tags,
            )
        )
    return members


def _ip(value: str) -> str:
    """The address if it is one (Mailchimp refuses a malformed ip_signup)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return ""


def _timestamp(value: str) -> str:
    """ISO 8601 in UTC to the second, e.g. 2026-01-31T12:00:00+00:00 ('' if unreadable)."""
    try:
        moment = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _chunks(items: Sequence, size: int) -> list:
    return [items[i: i + size] for i in range(0, len(items), size)]


def _is_exists(error: dict) -> bool:
    code = str(error.get("error_code") or "")
    text = str(error.get("error") or "").lower()
    return code == "ERROR_CONTACT_EXISTS" or "already a list member" in text


def _error_text(error: dict) -> str:
    text = str(error.get("error") or "refused by Mailchimp")
    extra = ": ".join(str(error.get(k)) for k in ("field", "field_message") if error.get(k))
    return f"{text} ({extra})" if extra else text


class _Run:
    def __init__(self, outbox, client: MailchimpClient, config: MailchimpConfig, policy: RetryPolicy,
                 report: SyncReport, progress: ProgressFn | None, now: datetime):
        self.outbox = outbox
        self.client = client
        self.config = config
        self.policy = policy
        self.report = report
        self.progress = progress
        self.now = now
        self.segments: dict[str, Any] | None = None  # tag name -> segment id
        self.pool = ThreadPoolExecutor(max_workers=client.max_connections,
                                       thread_name_prefix="mailchimp")
        self.done = 0
        self.total = 0
        self.recorded = 0  # signups marked synced, failed or deferred

    # retries --------------------------------------------------------------------

    def retrying(self, fn: Callable[[], Any], on_retry: Callable[[], None] | None = None,
                 *, list_call: bool = True) -> Any:
        """fn() with in-run retries of transient errors; fatal errors stop the run.

        list_call: a 404 means the audience itself is unknown (fatal)."""
        for attempt in range(self.policy.attempts):
            try:
                return fn()
            except MailchimpTransientError as exc:
                if attempt + 1 >= self.policy.attempts:
                    raise
                log.info("Mailchimp: %s; retrying", exc)
                time.sleep(self.policy.wait(attempt))
                if on_retry:
                    on_retry()
            except (MailchimpAuthError, MailchimpConfigError) as exc:
                raise _Fatal(str(exc)) from None
            except MailchimpPermanentError as exc:
                if list_call and exc.status == 404:
                    raise _Fatal(f"{exc} (is MAILCHIMP_LIST_ID right?)") from None
                raise
        raise AssertionError("unreachable")

    def step(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            try:
                self.progress(min(self.done, self.total), self.total)
            except Exception:  # noqa: BLE001 - a broken progress bar must not break the sync
                log.debug("progress callback failed", exc_info=True)

    # 1. create ----------------------------------------------------------------------

    def member_body(self, m: _Member) -> dict:
        body: dict[str, Any] = {
            "email_address": m.email,
            "status": "pending" if self.config.double_optin else "subscribed",
        }
        if m.name:
            body["merge_fields"] = {"FNAME": m.name}
        if m.ip:
            body["ip_signup"] = m.ip
        if m.timestamp:
            body["timestamp_signup"] = m.timestamp
        return body

    def create_chunk(self, chunk: list[_Member]) -> None:
        bodies = [self.member_body(m) for m in chunk]
        try:
            reply = self.retrying(lambda: self.client.batch_subscribe(bodies, update_existing=False))
        except MailchimpTransientError as exc:
            for m in chunk:
                m.outcome, m.reason = "transient", str(exc)
            return
        except MailchimpPermanentError as exc:
            if len(chunk) > 1:
                # The whole request was refused, not one member: send its members
                # one per request, so each gets its own answer.
                log.warning("Mailchimp refused a batch (%s); sending its members one by one",
                            exc.reason)
                for m in chunk:
                    m.outcome = "split"
            else:
                chunk[0].outcome, chunk[0].reason = "failed", exc.reason
            return
        by_email = {m.email: m for m in chunk}
        for item in reply.get("new_members") or []:
            m = by_email.get(str(item.get("email_address", "")).lower())
            if m is not None:
                m.outcome = "created"
        for item in reply.get("updated_members") or []:  # not expected with update_existing false
            m = by_email.get(str(item.get("email_address", "")).lower())
            if m is not None and not m.outcome:
                m.outcome = "exists"
        for error in reply.get("errors") or []:
            m = by_email.get(str(error.get("email_address", "")).strip().lower())
            if m is None or m.outcome == "created":
                continue
            if _is_exists(error):
                m.outcome = "exists"
            else:
                m.outcome, m.reason = "failed", _error_text(error)
        for m in chunk:
            if not m.outcome:
                m.outcome, m.reason = "transient", "Mailchimp did not confirm this member"

    # 2. update existing members ------------------------------------------------------

    def update_member(self, m: _Member) -> None:
        """An existing member: FNAME only, no status (status_if_new applies only if
        the member vanished meanwhile), no ip/timestamp of signup."""
        body: dict[str, Any] = {
            "status_if_new": "pending" if self.config.double_optin else "subscribed",
            "merge_fields": {"FNAME": m.name},
        }
        try:
            reply = self.retrying(lambda: self.client.put_member(m.email, body))
        except MailchimpTransientError as exc:
            m.outcome, m.reason = "transient", str(exc)
            return
        except MailchimpPermanentError as exc:
            m.outcome, m.reason = "failed", exc.reason
            return
        if str(reply.get("email_address", "")).strip().lower() != m.email:
            m.outcome, m.reason = "transient", "Mailchimp replied about another member"
            return
        m.outcome = "updated"

    # 3. tags ---------------------------------------------------------------------------

    def load_segments(self) -> dict[str, Any]:
        segments = self.retrying(lambda: self.client.list_segments(type="static"))
        found: dict[str, Any] = {}
        for seg in segments:
            name, seg_id = seg.get("name"), seg.get("id")
            if isinstance(name, str) and seg_id is not None:
                found.setdefault(name, seg_id)  # oldest first if Mailchimp ever has twins
        return found

    def ensure_segment(self, tag: str) -> Any:
        """The segment id for tag, creating the segment if no look-up finds it."""
        assert self.segments is not None
        if tag in self.segments:
            return self.segments[tag]

        def create() -> Any:
            if tag in self.segments:
                return self.segments[tag]
            seg = self.client.create_segment(tag)
            if seg.get("id") is None:
                raise MailchimpTransientError("create segment: reply without an id")
            return seg["id"]

        def refresh() -> None:
            # The failed create may have taken effect (reply lost): look again
            # before creating, so a retry never makes a second segment.
            try:
                self.segments = self.load_segments()
            except MailchimpTransientError:
                pass

        seg_id = self.retrying(create, on_retry=refresh)
        self.segments[tag] = seg_id
        return seg_id

    def tag_chunk(self, tag: str, seg_id: Any, chunk: list[_Member]) -> None:
        emails = [m.email for m in chunk]
        try:
            reply = self.retrying(lambda: self.client.add_to_segment(seg_id, emails), list_call=False)
        except MailchimpError as exc:  # transient after retries, or a refusal
            if exc.status == 404 and self.segments is not None:
                self.segments.pop(tag, None)  # deleted meanwhile: look it up again next time
            for m in chunk:
                m.outcome, m.reason = "transient", f"tag {tag!r}: {exc}"
            return
        refused: dict[str, str] = {}
        for error in reply.get("errors") or []:
            for email in error.get("email_addresses") or []:
                refused[str(email).strip().lower()] = str(error.get("error") or "refused")
        for m in chunk:
            if m.email in refused:
                m.outcome, m.reason = "transient", f"tag {tag!r}: {refused[m.email]}"
            else:
                m.tagged.add(tag)

    def tag_members(self, members: list[_Member]) -> None:
        wanted: dict[str, list[_Member]] = {}
        for m in members:
            for tag in m.tags:
                wanted.setdefault(tag, []).append(m)
        if not wanted:
            return
        if self.segments is None:
            self.segments = self.load_segments()
        ids: dict[str, Any] = {}
        for tag in sorted(wanted):
            try:
                ids[tag] = self.ensure_segment(tag)
            except MailchimpError as exc:
                for m in wanted[tag]:
                    m.outcome, m.reason = "transient", f"tag {tag!r}: {exc}"
        jobs = [
            (tag, ids[tag], chunk)
            for tag in sorted(ids)
            for chunk in _chunks(wanted[tag], BATCH_LIMIT)
        ]
        for (tag, _, chunk), _done in zip(jobs, self.pool.map(lambda j: self.tag_chunk(*j), jobs)):
            self.step(len(chunk))

    # the round -------------------------------------------------------------------------

    def run_round(self, members: list[_Member]) -> None:
        chunks = _chunks(members, BATCH_LIMIT)
        for chunk, _ in zip(chunks, self.pool.map(self.create_chunk, chunks)):
            self.step(len(chunk))
        singles = [[m] for m in members if m.outcome == "split"]
        list(self.pool.map(self.create_chunk, singles))
        for m in members:
            if m.outcome == "exists" and not m.name:
                m.outcome = "updated"  # nothing to change; Mailchimp confirmed it exists
        puts = [m for m in members if m.outcome == "exists"]
        list(self.pool.map(self.update_member, puts))
        confirmed = [m for m in members if m.outcome in ("created", "updated", "exists")]
        for m in confirmed:
            if m.outcome == "exists":
                m.outcome = "updated"
        self.tag_members(confirmed)
        self.record(members)

    def record(self, members: list[_Member]) -> None:
        self.recorded += sum(len(m.signups) for m in members)
        synced = []
        for m in members:
            if m.outcome in ("created", "updated") and set(m.tags) <= m.tagged:
                synced.extend(m.signups)
                if m.outcome == "created":
                    self.report.sent += 1
                else:
                    self.report.updated += 1
            elif m.outcome == "failed":
                for s in m.signups:
                    self.outbox.mark_signup_failed(s.id, m.reason[:500])
                self.report.failed += len(m.signups)
                self.note(f"{m.email}: {m.reason}")
            else:
                reason = m.reason or "not confirmed by Mailchimp"
                for s in m.signups:
                    if s.attempts + 1 >= self.policy.max_attempts:
                        self.outbox.mark_signup_failed(
                            s.id, f"gave up after {s.attempts + 1} attempts: {reason}"[:500])
                        self.report.failed += 1
                    else:
                        self.outbox.defer_signup(s.id, reason[:500],
                                                 self.policy.retry_at(self.now, s.attempts))
                        self.report.pending += 1
                self.note(f"{m.email}: {reason} (will retry)")
        if synced:
            self.outbox.mark_signups_synced(synced)

    def note(self, text: str) -> None:
        if len(self.report.failures) < 20:
            self.report.failures.append(text)


# -- entry point -----------------------------------------------------------------------------


def sync_signups(
    outbox: Any,
    settings: Any,
    *,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    retry: RetryPolicy | None = None,
    round_size: int = 5000,
    now: datetime | None = None,
    client: MailchimpClient | None = None,
    ignore_backoff: bool = False,
) -> SyncReport:
    """Sync the outbox's due pending signups to Mailchimp; see the module docstring.

    settings: forms.settings.Settings, a MailchimpConfig, or anything with
    mailchimp_api_key / mailchimp_list_id / mailchimp_api_root / mailchimp_double_optin.
    progress(done, total) is called as work completes (units: member steps).
    Never raises for Mailchimp problems: they end up in the report (report.error
    for a run that could not proceed, e.g. a wrong API key).
    ignore_backoff: take every pending signup, even those waiting out a retry
    time (a person running `make sync` has just fixed the cause).
    """
    started = time.monotonic()
    report = SyncReport(dry_run=dry_run)
    config = MailchimpConfig.from_settings(settings)
    policy = retry or RetryPolicy()
    now = now or datetime.now(timezone.utc)
    if dry_run or not hasattr(outbox, "claim_signups"):
        signups = outbox.pending_signups(now=now, ignore_backoff=ignore_backoff)
    else:  # claimed: a worker or `make sync` elsewhere skips these until we are done
        signups = outbox.claim_signups(now=now, ignore_backoff=ignore_backoff)
    report.signups = len(signups)
    members = _members_from(signups)

    if dry_run:
        report.would_send = len(members)
        tags = {t for m in members for t in m.tags}
        report.tags_created = len(tags)
        if config.configured and tags:
            # Read-only look-up, to tell which tags already exist.
            try:
                own = client or MailchimpClient(config)
                try:
                    existing = {s.get("name") for s in own.list_segments(type="static")}
                    report.tags_created = len(tags - existing)
                    report.api_calls = own.api_calls
                    report.calls_by_kind = dict(own.calls)
                finally:
                    if client is None:
                        own.close()
            except MailchimpError as exc:
                report.error = str(exc)
        if progress is not None:
            progress(len(members), len(members))
        report.seconds = time.monotonic() - started
        return report

    if not members:
        report.seconds = time.monotonic() - started
        return report
    if not config.configured:
        report.error = "Mailchimp is not configured (MAILCHIMP_API_KEY and MAILCHIMP_LIST_ID)"
        report.pending = len(signups)
        return report
    try:
        own_client = client or MailchimpClient(config)
    except MailchimpConfigError as exc:
        report.error = str(exc)
        report.pending = len(signups)
        return report

    run = _Run(outbox, own_client, config, policy, report, progress, now)
    run.total = len(members) + sum(len(m.tags) for m in members)
    try:
        for number, round_members in enumerate(_chunks(members, max(BATCH_LIMIT, round_size))):
            if number and hasattr(outbox, "renew_claims"):
                outbox.renew_claims()
            run.run_round(round_members)
    except _Fatal as exc:
        report.error = str(exc)
        # Nothing of this round was recorded: its signups stay pending as they were.
        report.pending += len(signups) - run.recorded
        log.error("Mailchimp sync stopped: %s", exc)
    finally:
        run.pool.shutdown(wait=True)
        report.api_calls = own_client.api_calls
        report.calls_by_kind = dict(own_client.calls)
        if client is None:
            own_client.close()
    report.seconds = time.monotonic() - started
    log.info("Mailchimp sync: %s", report.summary())
    return report
