"""The campaign sender against the fake Mailchimp, through the real official
client: one campaign per new post, exactly once, whatever fails in between."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from email_issues.campaigns import next_quarter_hour, run_campaigns

from .conftest import NEW_POSTS, OFF_POST, make_settings

READS = {"list_campaign_folders", "list_campaigns", "get_list", "list_segments", "get_campaign",
         "get_campaign_content", "get_send_checklist", "get_campaign_folder"}


def run(issues, settings, **kw):
    out = io.StringIO()
    report = run_campaigns(issues, settings, out=out, **kw)
    return report, out.getvalue()


def titles(fake):
    return sorted(c["settings"]["title"] for c in fake.campaigns.values())


def statuses(fake):
    fake._advance_campaigns()
    return {c["settings"]["title"]: c["status"] for c in fake.campaigns.values()}


def expected_titles():
    return sorted(f"post:{slug}" for slug in NEW_POSTS)


def test_one_draft_campaign_per_new_post(fake, issues, built):
    report, out = run(issues, make_settings(fake))
    assert report.ok, out
    assert titles(fake) == expected_titles()
    assert report.created == 2 and report.failed == 0
    old = len(issues) - len(NEW_POSTS) - 1
    assert report.skipped == old + 1  # the archive and the `Newsletter: off` post
    assert f"skipped  post:{OFF_POST}: Newsletter: off" in out
    assert "Newsletter: created 2, scheduled 0, sent 0, skipped" in out
    folder = next(iter(fake.folders.values()))
    assert folder["name"] == "Newsletter: blog posts"
    edge = built.issue("email-edge-cases")
    for campaign in fake.campaigns.values():
        assert campaign["type"] == "regular"
        assert campaign["status"] == "save"
        assert campaign["settings"]["folder_id"] == folder["id"]
        assert campaign["recipients"] == {"list_id": fake.list_id, "segment_opts": {}}
        # The audience's campaign defaults stand in for unset from/reply-to.
        assert campaign["settings"]["from_name"] == "Northwind Studio"
        assert campaign["settings"]["reply_to"] == "news@northwind.example"
    [campaign] = fake.campaigns_titled("post:email-edge-cases")
    assert campaign["settings"]["subject_line"] == "Edge cases, inbox-safe"  # Newsletter_subject
    assert campaign["settings"]["preview_text"] == edge["preview_text"]
    [cold] = fake.campaigns_titled("post:cold-email-without-the-chill")
    assert cold["settings"]["subject_line"] == "Cold Email Without the Chill"  # the Title
    assert fake.campaign_html(campaign["id"]) == edge["html"]
    assert fake.campaigns[campaign["id"]]["content"]["plain_text"] == edge["text"]
    assert fake.deliveries == [] and fake.test_sends == []


def test_second_run_creates_and_sends_nothing(fake, issues):
    settings = make_settings(fake, mode="send")
    first, out = run(issues, settings)
    assert first.ok and first.sent == 2, out
    fake.reset_stats()
    second, out = run(issues, settings)
    assert second.ok, out
    assert (second.created, second.sent, second.failed) == (0, 0, 0)
    assert "already sent" in out
    assert set(fake.call_counts()) <= READS
    assert len(fake.deliveries) == 2
    assert all(d["recipients"] == 5 for d in fake.deliveries)


def test_test_mode_sends_one_test_email_per_new_content(fake, issues):
    settings = make_settings(fake, mode="test", test_emails=("editor@example.org",))
    report, out = run(issues, settings)
    assert report.ok and report.tested == 2, out
    assert {tuple(t["emails"]) for t in fake.test_sends} == {("editor@example.org",)}
    run(issues, settings)
    assert len(fake.test_sends) == 2  # nothing changed: no second test email
    assert set(statuses(fake).values()) == {"save"} and fake.deliveries == []


def test_test_mode_without_addresses_creates_nothing(fake, issues):
    report, out = run(issues, make_settings(fake, mode="test"))
    assert "NEWSLETTER_TEST_EMAILS" in report.error
    assert fake.calls == [] and fake.campaigns == {}


def test_segment_from_name_and_reply_to(fake, issues):
    settings = make_settings(fake, mode="send", segment="newsletter", from_name="Dana at Northwind",
                             reply_to="dana@northwind.example")
    report, out = run(issues, settings)
    assert report.ok, out
    tag = fake.segment_by_name("newsletter")
    for campaign in fake.campaigns.values():
        assert campaign["recipients"]["segment_opts"] == {"saved_segment_id": tag["id"]}
        assert campaign["settings"]["from_name"] == "Dana at Northwind"
        assert campaign["settings"]["reply_to"] == "dana@northwind.example"
    assert [d["recipients"] for d in fake.deliveries] == [3, 3]  # only the tagged members
    assert "get_list" not in fake.call_counts()  # no defaults needed


def test_unknown_tag_never_falls_back_to_the_whole_audience(fake, issues):
    report, out = run(issues, make_settings(fake, mode="send", segment="no-such-tag"))
    assert not report.ok and "no tag of that name" in out
    assert fake.campaigns == {} and fake.deliveries == []


def test_schedule_at_the_next_quarter_hour(fake, issues):
    base = (fake.now() + timedelta(hours=2)).replace(minute=7, second=30, microsecond=0)
    settings = make_settings(fake, mode="schedule", delay_minutes=30)
    report, out = run(issues, settings, now=lambda: base)
    assert report.ok and report.scheduled == 2, out
    for campaign in fake.campaigns.values():
        assert campaign["status"] == "schedule"
        assert campaign["send_time"] == base.replace(minute=45, second=0).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert fake.deliveries == []
    # When the time comes Mailchimp sends it; a rerun then changes nothing.
    fake.clock_offset = timedelta(hours=3)
    assert set(statuses(fake).values()) == {"sending"} or set(statuses(fake).values()) == {"sent"}
    report, out = run(issues, settings)
    assert (report.created, report.scheduled, report.sent) == (0, 0, 0)
    assert len(fake.deliveries) == 2


@pytest.mark.parametrize("now, delay, expected", [
    ("10:00:00", 30, "10:30"), ("10:00:01", 30, "10:45"), ("10:07:30", 30, "10:45"),
    ("10:14:59", 0, "10:15"), ("23:50:00", 30, "00:30"), ("10:15:00", 0, "10:15"),
])
def test_next_quarter_hour(now, delay, expected):
    moment = datetime.fromisoformat(f"2026-12-02T{now}+00:00")
    slot = next_quarter_hour(moment, delay)
    assert slot.strftime("%H:%M") == expected and slot.second == 0
    assert slot - moment >= timedelta(minutes=delay)


def test_not_ready_stays_a_draft_and_says_why(fake, issues):
    fake.campaign_defaults["from_name"] = ""
    report, out = run(issues, make_settings(fake, mode="send"))
    assert report.failed == 2 and not report.ok
    assert "not ready to send, kept as a draft: Missing From name" in out
    assert set(statuses(fake).values()) == {"save"} and fake.deliveries == []
    assert "send_campaign" not in fake.call_counts()
    # Fixed in Mailchimp's audience settings: the next run sends, still one campaign each.
    fake.campaign_defaults["from_name"] = "Northwind Studio"
    report, out = run(issues, make_settings(fake, mode="send"))
    assert report.ok and report.sent == 2 and report.created == 0, out
    assert titles(fake) == expected_titles() and len(fake.deliveries) == 2


def test_since_missing_mails_nothing_from_the_archive(fake, issues):
    report, out = run(issues, make_settings(fake, mode="send", since=None))
    assert "NEWSLETTER_SINCE is not set, so no campaign was created" in out
    assert report.error and report.created == 0
    assert fake.calls == [] and fake.campaigns == {}


def test_dry_run_makes_no_write_call(fake, issues):
    report, out = run(issues, make_settings(fake, mode="send"), dry_run=True)
    assert sorted(report.planned) == expected_titles()
    assert "would create post:email-edge-cases: 'Edge cases, inbox-safe'" in out
    assert set(fake.call_counts()) <= READS
    assert fake.campaigns == {} and fake.folders == {}


def test_edit_after_send_sends_nothing(fake, issues):
    settings = make_settings(fake, mode="send")
    run(issues, settings)
    before = {c["id"]: c["content"]["html"] for c in fake.campaigns.values()}
    edited = [dict(i, html=i["html"].replace("closing paragraph", "EDITED paragraph"),
                   subject=i["subject"] + " (updated)") for i in issues]
    fake.reset_stats()
    report, out = run(edited, settings)
    assert report.ok and (report.created, report.sent, report.updated) == (0, 0, 0), out
    assert set(fake.call_counts()) <= READS
    assert {c["id"]: c["content"]["html"] for c in fake.campaigns.values()} == before
    assert len(fake.deliveries) == 2


def test_edit_of_a_draft_updates_it(fake, issues):
    settings = make_settings(fake, mode="draft")
    run(issues, settings)
    edited = [dict(i, html=i["html"].replace("closing paragraph", "EDITED paragraph"),
                   subject=i["subject"] + " (updated)") if i["slug"] == "email-edge-cases" else i
              for i in issues]
    report, out = run(edited, settings)
    assert report.ok and report.updated == 1 and report.created == 0, out
    [campaign] = fake.campaigns_titled("post:email-edge-cases")
    assert "EDITED paragraph" in fake.campaign_html(campaign["id"])
    assert campaign["settings"]["subject_line"] == "Edge cases, inbox-safe (updated)"
    report, out = run(edited, settings)
    assert report.updated == 0  # unchanged since: no write


def test_timeout_on_send_that_succeeded_is_not_sent_again(fake, issues):
    settings = make_settings(fake, mode="send")
    fake.add_delay(3.0, method="POST", path=r"/actions/send$", times=1, after=True)
    report, out = run(issues, settings)
    assert report.ok and report.sent == 2, out  # read back: it was sent
    assert len(fake.calls_of("send_campaign")) == 2  # one per post: the timed-out one not repeated
    assert len(fake.deliveries) == 2
    report, out = run(issues, settings)
    assert report.sent == 0 and len(fake.deliveries) == 2


def test_empty_503_on_send_is_read_back_not_retried(fake, issues):
    settings = make_settings(fake, mode="send")
    fake.fail_next("empty503", method="POST", path=r"/actions/send$")
    report, out = run(issues, settings)
    assert report.failed == 1 and report.sent == 1, out
    assert "HTTP 503 with an empty body" in out
    assert len(fake.calls_of("send_campaign")) == 2
    report, out = run(issues, settings)
    assert report.ok and report.sent == 1, out
    assert sorted(d["title"] for d in fake.deliveries) == expected_titles()


def test_empty_429_on_schedule_is_retried_after_reading_back(fake, issues):
    settings = make_settings(fake, mode="schedule")
    fake.fail_next("empty429", method="POST", path=r"/actions/schedule$")
    report, out = run(issues, settings)
    assert report.ok and report.scheduled == 2, out
    assert len(fake.calls_of("schedule_campaign")) == 3
    assert set(statuses(fake).values()) == {"schedule"}


def test_empty_429_and_503_on_reads_are_retried(fake, issues):
    fake.fail_next("empty429", method="GET", path=r"/campaign-folders$")
    fake.fail_next("empty503", method="GET", path=r"/campaigns$")
    report, out = run(issues, make_settings(fake))
    assert report.ok and report.created == 2, out


def clean_run_calls(issues, mode, factory):
    """The calls a fault-free run makes, in order."""
    fake = factory()
    try:
        report, out = run(issues, make_settings(fake, mode=mode, test_emails=("ed@example.org",)))
        assert report.ok, out
        return [(c.method, c.path, c.kind) for c in fake.calls]
    finally:
        fake.stop()


FAULTS = [("drop", True), ("drop", False), ("empty503", False), ("empty503", True), ("http500", True),
          ("http400", True), ("empty429", False), ("json429", False), ("timeout", True)]

@pytest.mark.parametrize("mode, final", [("send", "sent"), ("schedule", "schedule"), ("draft", "save"),
                                         ("test", "save")])
def test_fault_after_every_call_then_rerun(issues, mode, final, fake_factory):
    calls = clean_run_calls(issues, mode, fake_factory)
    assert len(calls) >= 8
    # send, the one that cannot be undone: every fault on every call. The other
    # modes: one fault per call, taking the kinds in turn.
    if mode == "send":
        plan = [(index, call, fault) for index, call in enumerate(calls) for fault in FAULTS]
    else:
        plan = [(index, call, FAULTS[index % len(FAULTS)]) for index, call in enumerate(calls)]
    for index, (method, path, kind), (fault, after) in plan:
        fake = fake_factory()
        try:
            settings = make_settings(fake, mode=mode, test_emails=("ed@example.org",))
            settings = settings.replace(mailchimp=settings.mailchimp.replace(read_timeout=0.4))
            if fault == "timeout":
                fake.add_delay(1.0, skip=index, times=1, after=True)
            else:
                fake.fail_next(fault, skip=index, times=1, after=after)
            first, out1 = run(issues, settings)
            fake.clear_faults()
            second, out2 = run(issues, settings)
            label = f"{mode}: {fault} {'after' if after else 'before'} call {index} {method} {kind}"
            assert second.ok, label + "\n" + out1 + out2
            assert titles(fake) == expected_titles(), label
            assert set(statuses(fake).values()) == {final} or (
                final == "sent" and set(statuses(fake).values()) <= {"sending", "sent"}), label
            per_title = {t: len(fake.deliveries_of(t)) for t in expected_titles()}
            assert per_title == {t: (1 if mode == "send" else 0) for t in expected_titles()}, label
            if mode == "test":
                assert len(fake.test_sends) <= 2, label
        finally:
            fake.stop()


@pytest.fixture
def fake_factory():
    from tests.fake_mailchimp import FakeMailchimp

    def make():
        fake = FakeMailchimp().start()
        for n in range(3):
            fake.seed_member(f"reader{n}@example.org")
        return fake
    return make
