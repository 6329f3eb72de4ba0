"""The outbox -> Mailchimp sync, with the real client against the fake over loopback."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from forms.mailchimp_sync import RetryPolicy, SyncReport, sync_signups, tag_for_source
from forms.settings import Settings

from .helpers import FAST_RETRY, SECRET_KEY, add, statuses

BATCH = r"^/3\.0/lists/[^/]+$"
SEGMENT_MEMBERS = r"/segments/\d+$"
LATER = datetime.now(timezone.utc) + timedelta(days=2)


def sync(outbox, config, **kw):
    kw.setdefault("retry", FAST_RETRY)
    return sync_signups(outbox, config, **kw)


def test_new_signups_become_pending_members_with_fields_and_tags(fake, config, outbox):
    add(outbox, "ann@example.org", "Ann", "/posts/one/", "203.0.113.9")
    add(outbox, "bob@example.org", "", "/newsletter/", "not-an-ip")
    report = sync(outbox, config)

    assert isinstance(report, SyncReport) and report.ok
    assert (report.sent, report.updated, report.failed, report.pending) == (2, 0, 0, 0)
    ann = fake.member("ann@example.org")
    assert ann["status"] == "pending"  # double opt-in on: Mailchimp sends the confirmation
    assert ann["merge_fields"]["FNAME"] == "Ann"
    assert ann["ip_signup"] == "203.0.113.9"
    created = outbox.signup_row("ann@example.org")["created_at"]
    assert datetime.fromisoformat(ann["timestamp_signup"]) == datetime.fromisoformat(created).replace(microsecond=0)
    assert fake.member("bob@example.org")["ip_signup"] == ""  # a malformed ip is not sent
    assert fake.tags_of("ann@example.org") == {"source:/posts/one/"}
    assert fake.tags_of("bob@example.org") == {"source:/newsletter/"}
    assert set(statuses(outbox).values()) == {"synced"}
    assert report.api_calls == sum(fake.call_counts().values())


def test_double_optin_off_subscribes_directly(fake, config, outbox):
    add(outbox, "cy@example.org", "Cy")
    sync(outbox, config.replace(double_optin=False))
    assert fake.member("cy@example.org")["status"] == "subscribed"


def test_settings_object_is_accepted(fake, outbox):
    settings = Settings(mailchimp_api_key=SECRET_KEY, mailchimp_list_id=fake.list_id,
                        mailchimp_api_root=fake.api_root, mailchimp_double_optin=False)
    add(outbox, "dee@example.org")
    assert sync(outbox, settings).ok
    assert fake.member("dee@example.org")["status"] == "subscribed"


def test_sync_twice_is_idempotent(fake, config, outbox):
    for i in range(30):
        add(outbox, f"u{i}@example.org", f"U{i}", f"/posts/{i % 3}/")
    first = sync(outbox, config)
    assert first.sent == 30
    snapshot = {e: fake.member(e) for e in (f"u{i}@example.org" for i in range(30))}
    segments = sorted(fake.segment_names())

    fake.reset_stats()
    second = sync(outbox, config)
    assert (second.sent, second.updated, second.api_calls) == (0, 0, 0)
    assert fake.calls == []

    # The same people sign up again (rows back to pending): no new members, no new
    # segments, statuses untouched, nothing lost.
    for i in range(30):
        add(outbox, f"u{i}@example.org", f"U{i}", f"/posts/{i % 3}/")
    third = sync(outbox, config)
    assert (third.sent, third.updated, third.failed) == (0, 30, 0)
    assert len(fake.members) == 30 and sorted(fake.segment_names()) == segments
    for email, before in snapshot.items():
        after = fake.member(email)
        assert after["status"] == before["status"] and after["status_history"] == ["pending"]
        assert after["tags"] == before["tags"]
    assert set(statuses(outbox).values()) == {"synced"}


@pytest.mark.parametrize("double_optin", [True, False])
def test_unsubscribed_member_stays_unsubscribed(fake, config, outbox, double_optin):
    fake.seed_member("gone@example.org", "unsubscribed", name="Old name")
    fake.seed_member("bounced@example.org", "cleaned")
    fake.seed_member("fan@example.org", "subscribed", name="Fan")
    add(outbox, "gone@example.org", "New name", "/posts/again/")
    add(outbox, "bounced@example.org", "", "/posts/again/")
    add(outbox, "fan@example.org", "", "/posts/again/")
    report = sync(outbox, config.replace(double_optin=double_optin))

    assert (report.sent, report.updated, report.failed) == (0, 3, 0) and report.ok
    gone = fake.member("gone@example.org")
    assert gone["status"] == "unsubscribed" and gone["status_history"] == ["unsubscribed"]
    assert gone["merge_fields"]["FNAME"] == "New name"  # the name may update
    assert fake.member("bounced@example.org")["status_history"] == ["cleaned"]
    assert fake.member("fan@example.org")["status_history"] == ["subscribed"]
    assert fake.member("fan@example.org")["merge_fields"]["FNAME"] == "Fan"  # no blanking
    assert fake.tags_of("gone@example.org") == {"source:/posts/again/"}
    assert set(statuses(outbox).values()) == {"synced"}
    # Existing members without a new name cost no per-member call at all.
    assert fake.call_counts().get("put_member") == 1


def test_permanent_refusals_are_recorded_and_not_retried(fake, config, outbox):
    add(outbox, "ok@example.org")
    add(outbox, "fake@example.invalid")
    add(outbox, "compliance@example.org")
    add(outbox, "forgotten@example.org")
    report = sync(outbox, config)

    assert report.sent == 1 and report.failed == 3 and report.pending == 0 and not report.ok
    assert "looks fake or invalid" in outbox.signup_row("fake@example.invalid")["last_error"]
    assert "compliance state" in outbox.signup_row("compliance@example.org")["last_error"]
    assert "permanently deleted" in outbox.signup_row("forgotten@example.org")["last_error"]
    assert statuses(outbox)["ok@example.org"] == "synced"
    assert {s for e, s in statuses(outbox).items() if e != "ok@example.org"} == {"failed"}

    fake.reset_stats()
    again = sync(outbox, config, now=LATER)
    assert again.api_calls == 0 and fake.calls == []


@pytest.mark.parametrize("kind", ["empty503", "empty429", "http500", "json429", "drop"])
def test_transient_errors_are_retried_within_the_run(fake, config, outbox, kind):
    for i in range(3):
        add(outbox, f"t{i}@example.org")
    fake.fail_next(kind, times=2, path=BATCH)
    report = sync(outbox, config)
    assert report.ok and report.sent == 3
    assert len(fake.calls_of("batch_subscribe")) == 3
    assert set(statuses(outbox).values()) == {"synced"}


@pytest.mark.parametrize("kind", ["empty503", "empty429", "drop"])
def test_persistent_transient_errors_leave_signups_pending_for_later(fake, config, outbox, kind):
    for i in range(3):
        add(outbox, f"t{i}@example.org")
    fault = fake.fail_next(kind, times=None, path=BATCH)
    report = sync(outbox, config)

    assert (report.sent, report.updated, report.pending, report.failed) == (0, 0, 3, 0)
    assert not report.ok and fake.members == {}
    assert fault.hits == FAST_RETRY.attempts
    row = outbox.signup_row("t0@example.org")
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"]
    assert datetime.fromisoformat(row["next_attempt_at"]) > datetime.now(timezone.utc)

    # Not due yet: the next run leaves them alone; once due, they go through.
    fake.clear_faults()
    assert sync(outbox, config).api_calls == 0
    later = sync(outbox, config, now=LATER)
    assert later.ok and later.sent == 3
    assert set(statuses(outbox).values()) == {"synced"}


def test_failed_tagging_means_not_synced_yet(fake, config, outbox):
    for i in range(4):
        add(outbox, f"t{i}@example.org", source="/p/")
    fake.fail_next("empty503", times=None, path=SEGMENT_MEMBERS)
    report = sync(outbox, config)
    # Members were created, but without their tag they are not done.
    assert len(fake.members) == 4 and report.pending == 4 and report.sent == 0
    assert set(statuses(outbox).values()) == {"pending"}

    fake.clear_faults()
    later = sync(outbox, config, now=LATER)
    assert later.ok and later.updated == 4 and len(fake.members) == 4
    assert all(fake.tags_of(f"t{i}@example.org") == {"source:/p/"} for i in range(4))
    assert set(statuses(outbox).values()) == {"synced"}


def test_lost_reply_after_the_batch_took_effect(fake, config, outbox):
    for i in range(5):
        add(outbox, f"t{i}@example.org", f"T{i}")
    fake.fail_next("drop", path=BATCH, after=True)  # created, but the reply is lost
    report = sync(outbox, config)
    assert report.ok and report.sent + report.updated == 5
    assert len(fake.members) == 5
    assert all(m["status_history"] == ["pending"] for m in fake.members.values())
    assert set(statuses(outbox).values()) == {"synced"}


def test_lost_reply_when_creating_a_segment_makes_no_duplicate(fake, config, outbox):
    add(outbox, "a@example.org", source="/p/")
    fake.fail_next("drop", method="POST", path=r"/segments$", after=True)
    report = sync(outbox, config)
    assert report.ok
    assert fake.segment_names() == ["source:/p/"]
    assert fake.tags_of("a@example.org") == {"source:/p/"}


def test_tags_created_once_and_members_added_in_batches_of_500(fake, config, outbox):
    fake.seed_member("old@example.org", tags=["source:/a/"])  # this tag already exists
    for i in range(1300):
        add(outbox, f"u{i}@example.org", source="/a/" if i % 2 else "/b/")
    report = sync(outbox, config)
    assert report.ok and report.sent == 1300

    assert sorted(fake.segment_names()) == ["source:/a/", "source:/b/"]
    assert len(fake.calls_of("create_segment")) == 1
    batches = fake.calls_of("batch_subscribe")
    assert len(batches) == 3 and max(c.members for c in batches) <= 500
    tag_calls = fake.calls_of("segment_members")
    assert len(tag_calls) == 4 and max(c.members for c in tag_calls) <= 500
    assert sum(c.members for c in tag_calls) == 1300
    assert not [c for c in fake.calls if c.status == 400]
    assert len(fake.segment_by_name("source:/a/")["members"]) == 651

    for i in range(10):
        add(outbox, f"new{i}@example.org", source="/b/")
    fake.reset_stats()
    assert sync(outbox, config).sent == 10
    assert fake.calls_of("create_segment") == []


def test_long_source_paths_make_valid_distinct_tags():
    a, b = "/" + "x" * 150 + "/a/", "/" + "x" * 150 + "/b/"
    assert len(tag_for_source(a)) <= 100 and tag_for_source(a) != tag_for_source(b)
    assert tag_for_source("  ") == "" and tag_for_source("/p/") == "source:/p/"


def test_at_most_ten_connections_during_a_sync(fake, config, outbox):
    fake.latency = 0.05
    for i in range(3000):
        add(outbox, f"u{i}@example.org", f"U{i}", f"/posts/{i % 5}/")
    for i in range(0, 3000, 100):  # some existing members -> per-member PUTs in parallel
        fake.seed_member(f"u{i}@example.org", "subscribed")
    report = sync(outbox, config)
    assert report.ok
    assert 2 <= fake.max_in_flight <= 10
    assert fake.max_connections_open <= 10
    assert not [c for c in fake.calls if c.status == 429]


def test_dry_run_changes_nothing(fake, config, outbox):
    fake.seed_member("old@example.org", tags=["source:/a/"])
    add(outbox, "x@example.org", "X", "/a/")
    add(outbox, "y@example.org", "Y", "/b/")
    before = {e: dict(r) for e, r in ((e, outbox.signup_row(e)) for e in ("x@example.org", "y@example.org"))}
    report = sync(outbox, config, dry_run=True)

    assert report.dry_run and report.would_send == 2 and report.tags_created == 1
    assert report.sent == 0 and report.updated == 0
    assert set(fake.members) == {fake.member("old@example.org")["id"]}
    assert fake.segment_names() == ["source:/a/"]
    assert {c.method for c in fake.calls} <= {"GET"}
    after = {e: outbox.signup_row(e) for e in before}
    assert after == before


def test_dry_run_without_configuration_makes_no_calls(outbox):
    add(outbox, "x@example.org")
    report = sync_signups(outbox, Settings(), dry_run=True)
    assert report.would_send == 1 and report.api_calls == 0
    assert statuses(outbox) == {"x@example.org": "pending"}


def test_wrong_key_stops_the_run_and_leaves_the_outbox_alone(fake, config, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    add(outbox, "x@example.org")
    fake.api_key = "different0key000000000000000000-us7"
    report = sync(outbox, config)
    assert not report.ok and "API Key Invalid" in report.error
    assert report.pending == 1
    row = outbox.signup_row("x@example.org")
    assert row["status"] == "pending" and row["attempts"] == 0
    assert SECRET_KEY not in caplog.text and SECRET_KEY.split("-")[0] not in report.error
    assert len(fake.calls) == 1  # no hammering with a bad key


def test_unknown_audience_stops_the_run(fake, config, outbox):
    add(outbox, "x@example.org")
    report = sync(outbox, config.replace(list_id="nosuchlist"))
    assert report.error and "Resource Not Found" in report.error and "MAILCHIMP_LIST_ID" in report.error
    assert outbox.signup_row("x@example.org")["attempts"] == 0


def test_unconfigured_sync_reports_instead_of_raising(outbox):
    add(outbox, "x@example.org")
    report = sync_signups(outbox, Settings())
    assert not report.ok and "not configured" in report.error and report.pending == 1


def test_api_key_never_logged_even_with_failures(fake, config, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    for i in range(5):
        add(outbox, f"t{i}@example.org", f"T{i}")
    add(outbox, "bad@example.invalid")
    fake.fail_next("drop", path=BATCH)
    fake.fail_next("http500", path=SEGMENT_MEMBERS)
    fake.fail_next("empty429", method="GET")
    report = sync(outbox, config)
    assert report.sent == 5 and report.failed == 1
    text = caplog.text + repr(report) + str(report) + " ".join(report.failures)
    for secret in (SECRET_KEY, SECRET_KEY.split("-")[0]):
        assert secret not in text
    assert "retrying" in caplog.text  # the log did see the failures


def test_gives_up_after_max_attempts(fake, config, outbox):
    add(outbox, "t@example.org")
    fake.fail_next("empty503", times=None, path=BATCH)
    policy = RetryPolicy(attempts=1, backoff=0.01, max_attempts=2)
    sync(outbox, config, retry=policy)
    assert outbox.signup_row("t@example.org")["status"] == "pending"
    report = sync(outbox, config, retry=policy, now=LATER)
    row = outbox.signup_row("t@example.org")
    assert row["status"] == "failed" and "gave up after 2 attempts" in row["last_error"]
    assert report.failed == 1


def test_progress_reaches_total(fake, config, outbox):
    for i in range(1200):
        add(outbox, f"u{i}@example.org", source=f"/p{i % 2}/")
    seen = []
    sync(outbox, config, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] == 2400
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_ten_thousand_signups_meet_the_performance_target():
    from tests.fake_mailchimp.bench_sync import run_bench

    result = run_bench(signups=10_000, sources=5, latency=0.1)
    assert result["ok"] and result["synced"] == 10_000 and result["members_in_fake"] == 10_000
    assert result["calls_by_kind"]["batch_subscribe"] <= 20
    assert result["calls_by_kind"]["segment_members"] <= 20
    assert result["calls_by_kind"].get("put_member", 0) == 0
    assert result["max_members_per_call"] <= 500 and result["max_in_flight"] <= 10
    assert result["wall_s"] < 20


def test_a_refused_batch_is_resent_one_member_per_request(fake, config, outbox):
    fake.seed_member("gone@example.org", "unsubscribed")
    add(outbox, "a@example.org", "A")
    add(outbox, "gone@example.org", "Back")
    add(outbox, "bad@example.invalid")
    fake.fail_next("http400", path=BATCH)
    report = sync(outbox, config)
    assert (report.sent, report.updated, report.failed) == (1, 1, 1)
    # 1 refused batch (a 400 is not retried), then one request per member
    assert len(fake.calls_of("batch_subscribe")) == 4
    assert fake.member("a@example.org")["status"] == "pending"
    assert fake.member("gone@example.org")["status_history"] == ["unsubscribed"]
    assert "looks fake" in outbox.signup_row("bad@example.invalid")["last_error"]
    assert len(fake.calls_of("put_member")) == 1  # only the existing member with a name
