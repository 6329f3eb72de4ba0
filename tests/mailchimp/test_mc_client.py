"""The safe wrapper around the official client, against the fake over loopback."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
import traceback

import pytest

from forms.mailchimp_client import (
    MailchimpAuthError,
    MailchimpClient,
    MailchimpConfig,
    MailchimpConfigError,
    MailchimpError,
    MailchimpPermanentError,
    MailchimpTransientError,
    subscriber_hash,
)
from forms.settings import Settings

from .helpers import SECRET_KEY

BATCH_PATH = r"^/3\.0/lists/[^/]+$"


def leak_forms(key=SECRET_KEY):
    return [key, key.split("-")[0], base64.b64encode(f"user:{key}".encode()).decode()]


def assert_no_leak(text):
    for secret in leak_forms():
        assert secret not in text


def assert_exception_clean(exc):
    assert exc.__context__ is None and exc.__cause__ is None
    text = str(exc) + repr(exc) + "".join(traceback.format_exception(exc))
    assert_no_leak(text)


def test_config_from_settings_and_env(fake):
    settings = Settings(
        mailchimp_api_key=SECRET_KEY,
        mailchimp_list_id="abc",
        mailchimp_api_root=fake.api_root,
        mailchimp_double_optin=False,
    )
    cfg = MailchimpConfig.from_settings(settings)
    assert (cfg.list_id, cfg.base_url, cfg.double_optin) == ("abc", fake.api_root, False)
    assert MailchimpConfig.from_settings(cfg) is cfg
    plain = MailchimpConfig(api_key=SECRET_KEY, list_id="abc")
    assert plain.base_url == "https://us7.api.mailchimp.com/3.0"
    env = MailchimpConfig.from_env({"MAILCHIMP_API_KEY": SECRET_KEY, "MAILCHIMP_LIST_ID": "x",
                                    "MAILCHIMP_DOUBLE_OPTIN": "off"})
    assert env.double_optin is False and env.base_url.startswith("https://us7.")
    assert_no_leak(repr(cfg) + repr(MailchimpClient(cfg)) + repr(env))


def test_bad_configuration_is_reported_without_the_key():
    with pytest.raises(MailchimpConfigError) as info:
        MailchimpClient(MailchimpConfig(api_key="nodatacenterkey1234567890", list_id="x"))
    assert "nodatacenterkey" not in str(info.value)
    with pytest.raises(MailchimpConfigError):
        MailchimpClient(MailchimpConfig(api_key="", list_id="x"))


def test_real_client_talks_to_the_fake(fake, config):
    client = MailchimpClient(config)
    reply = client.put_member("Ann@Example.org".lower(), {"status_if_new": "pending",
                                                         "merge_fields": {"FNAME": "Ann"}})
    assert reply["status"] == "pending" and reply["merge_fields"]["FNAME"] == "Ann"
    assert client.get_member("ann@example.org")["id"] == subscriber_hash("ann@example.org")
    assert client.get_member("nobody@example.org") is None
    assert client.get_list()["id"] == fake.list_id
    assert client.calls["put_member"] == 1 and client.api_calls == 4


@pytest.mark.parametrize(
    "email, title",
    [
        ("someone@example.invalid", "Invalid Resource"),
        ("compliance@example.org", "Member In Compliance State"),
        ("forgotten@example.org", "Forgotten Email Not Subscribed"),
    ],
)
def test_problem_json_is_parsed_into_a_permanent_error(config, email, title):
    client = MailchimpClient(config)
    with pytest.raises(MailchimpPermanentError) as info:
        client.put_member(email, {"status_if_new": "subscribed"})
    exc = info.value
    assert not exc.transient and exc.status == 400 and exc.title == title
    assert email in exc.detail and title in exc.reason
    assert exc.detail and "{" not in str(exc)  # parsed, not raw JSON
    assert_exception_clean(exc)


def test_hash_must_match_email(fake, config):
    client = MailchimpClient(config)
    # Bypass the wrapper's hashing to show the fake enforces it, like Mailchimp.
    with pytest.raises(MailchimpPermanentError) as info:
        client._call("put_member", "PUT", client._lists.set_list_member, fake.list_id,
                     subscriber_hash("other@example.org"),
                     {"email_address": "me@example.org", "status_if_new": "subscribed"})
    assert info.value.status == 400 and info.value.errors


def test_wrong_key_is_an_auth_error_that_never_shows_the_key(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.api_key = "another0key0000000000000000000-us7"
    client = MailchimpClient(MailchimpConfig(api_key=SECRET_KEY, list_id=fake.list_id,
                                             api_root=fake.api_root))
    with pytest.raises(MailchimpAuthError) as info:
        client.get_list()
    assert info.value.status == 401 and info.value.title == "API Key Invalid"
    assert_exception_clean(info.value)
    assert_no_leak(caplog.text)


@pytest.mark.parametrize("kind, status", [
    ("empty503", 503), ("empty429", 429), ("http500", 500), ("json429", 429), ("drop", None),
])
def test_transient_failures_are_never_a_success(fake, config, kind, status, caplog):
    caplog.set_level(logging.DEBUG)
    client = MailchimpClient(config)
    fake.fail_next(kind, path=BATCH_PATH)
    with pytest.raises(MailchimpTransientError) as info:
        client.batch_subscribe([{"email_address": "a@example.org", "status": "pending"}])
    assert info.value.transient and info.value.status == status
    assert_exception_clean(info.value)
    assert_no_leak(caplog.text)
    # The next call goes through: the fault was used up, nothing was half-counted.
    reply = client.batch_subscribe([{"email_address": "b@example.org", "status": "pending"}])
    assert reply["total_created"] == 1


def test_empty_body_is_detected_where_the_official_client_returns_a_response(fake, config):
    import mailchimp_marketing

    raw = mailchimp_marketing.Client({"api_key": config.api_key})
    raw.api_client.host, raw.api_client.server = fake.api_root, ""
    fake.fail_next("empty503")
    bare = raw.lists.get_list(fake.list_id)
    assert not isinstance(bare, dict) and bare.status_code == 503  # the trap
    fake.fail_next("empty503")
    with pytest.raises(MailchimpTransientError):
        MailchimpClient(config).get_list()


def test_timeouts_are_transient_and_quick(fake, config):
    client = MailchimpClient(config.replace(read_timeout=0.3))
    fake.add_delay(2.0, times=1)
    started = time.monotonic()
    with pytest.raises(MailchimpTransientError) as info:
        client.get_list()
    assert time.monotonic() - started < 1.5
    assert "timed out" in str(info.value)
    assert_exception_clean(info.value)


def test_refused_connection_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = MailchimpClient(MailchimpConfig(api_key=SECRET_KEY, list_id="x",
                                             api_root=f"http://127.0.0.1:{port}/3.0"))
    with pytest.raises(MailchimpTransientError) as info:
        client.get_list()
    assert_exception_clean(info.value)


def test_batches_over_500_are_refused_before_sending(fake, config):
    client = MailchimpClient(config)
    members = [{"email_address": f"u{i}@example.org", "status": "pending"} for i in range(501)]
    with pytest.raises(ValueError):
        client.batch_subscribe(members)
    with pytest.raises(ValueError):
        client.add_to_segment(1, [m["email_address"] for m in members])
    assert fake.calls == []


def test_fake_rejects_batches_over_500_like_mailchimp(fake, config):
    client = MailchimpClient(config)
    members = [{"email_address": f"u{i}@example.org", "status": "pending"} for i in range(501)]
    with pytest.raises(MailchimpPermanentError) as info:
        client._call("batch_subscribe", "POST", client._lists.batch_list_members, fake.list_id,
                     {"members": members})
    assert info.value.status == 400 and info.value.title == "Invalid Resource"


def test_segments_are_listed_across_pages(fake, config):
    for i in range(25):
        fake.seed_member(f"m{i}@example.org", tags=[f"tag {i}"])
    client = MailchimpClient(config)
    names = [s["name"] for s in client.list_segments(page_size=10)]
    assert len(names) == 25 and set(names) == {f"tag {i}" for i in range(25)}
    assert client.calls["list_segments"] == 3


def test_never_more_than_ten_requests_at_once(fake, config):
    fake.latency = 0.1
    client = MailchimpClient(config)
    errors: list[Exception] = []

    def worker(i):
        try:
            client.get_member(f"user{i}@example.org")
        except MailchimpError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert fake.max_in_flight <= 10
    assert fake.max_in_flight >= 5  # the cap, not a serial client, limits it
    assert fake.max_connections_open <= 10
    assert not [c for c in fake.calls if c.status == 429]
