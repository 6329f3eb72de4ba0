"""The fake Mailchimp's campaigns behave as Mailchimp's API v3 documents them,
driven through our wrapper around the official client."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forms.mailchimp_client import (MailchimpClient, MailchimpConfig, MailchimpPermanentError,
                                    MailchimpTransientError)

FOOTER = "<p><a href='*|UNSUB|*'>Unsubscribe</a> *|LIST:ADDRESSLINE|*</p>"


@pytest.fixture
def client(fake):
    with MailchimpClient(MailchimpConfig(api_key=fake.api_key, list_id=fake.list_id,
                                         api_root=fake.api_root, read_timeout=1.5)) as c:
        yield c


def new_campaign(client, fake, folder_id="", **settings):
    body = {"type": "regular", "recipients": {"list_id": fake.list_id},
            "settings": {"title": "post:x", "subject_line": "Hello", "from_name": "N",
                         "reply_to": "n@example.org", "folder_id": folder_id, **settings}}
    return client.create_campaign(body)


def slot(fake, minutes=60):
    when = (fake.now() + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return when + timedelta(minutes=(-when.minute) % 15)


def test_lifecycle_save_schedule_unschedule_send(client, fake):
    campaign = new_campaign(client, fake)
    assert campaign["status"] == "save" and campaign["emails_sent"] == 0
    client.set_campaign_content(campaign["id"], "<p>Hi</p>" + FOOTER, "Hi")
    assert client.get_send_checklist(campaign["id"])["is_ready"] is True
    when = slot(fake)
    client.schedule_campaign(campaign["id"], when.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    got = client.get_campaign(campaign["id"])
    assert got["status"] == "schedule" and got["send_time"].startswith(when.strftime("%Y-%m-%dT%H:%M"))
    with pytest.raises(MailchimpPermanentError, match="already scheduled"):
        client.schedule_campaign(campaign["id"], when.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    with pytest.raises(MailchimpPermanentError, match="cannot be changed"):
        client.set_campaign_content(campaign["id"], "<p>new</p>", "new")
    client.unschedule_campaign(campaign["id"])
    assert client.get_campaign(campaign["id"])["status"] == "save"
    client.send_campaign(campaign["id"])
    assert client.get_campaign(campaign["id"])["status"] in ("sending", "sent")
    with pytest.raises(MailchimpPermanentError, match="already been sent"):
        client.send_campaign(campaign["id"])
    assert len(fake.deliveries) == 1 and fake.deliveries[0]["recipients"] == 5


@pytest.mark.parametrize("minute, second, ok", [(0, 0, True), (15, 0, True), (30, 0, True), (45, 0, True),
                                                (7, 0, False), (15, 30, False), (59, 0, False)])
def test_schedule_time_must_be_on_a_quarter_hour(client, fake, minute, second, ok):
    campaign = new_campaign(client, fake)
    client.set_campaign_content(campaign["id"], FOOTER, "x")
    when = (fake.now() + timedelta(days=1)).replace(minute=minute, second=second, microsecond=0)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if ok:
        client.schedule_campaign(campaign["id"], stamp)
    else:
        with pytest.raises(MailchimpPermanentError, match="quarter-hour") as error:
            client.schedule_campaign(campaign["id"], stamp)
        assert error.value.status == 400


def test_schedule_in_the_past_and_not_ready(client, fake):
    campaign = new_campaign(client, fake)
    with pytest.raises(MailchimpPermanentError, match="not ready"):
        client.schedule_campaign(campaign["id"], slot(fake).strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    client.set_campaign_content(campaign["id"], "<p>no footer</p>", "")
    checklist = client.get_send_checklist(campaign["id"])
    errors = {i["heading"] for i in checklist["items"] if i["type"] == "error"}
    assert checklist["is_ready"] is False
    assert errors == {"Missing unsubscribe link", "Missing physical address"}
    client.set_campaign_content(campaign["id"], FOOTER, "x")
    with pytest.raises(MailchimpPermanentError, match="in the future"):
        client.schedule_campaign(campaign["id"], slot(fake, -60).strftime("%Y-%m-%dT%H:%M:%S+00:00"))


def test_list_filters_fields_update_delete_and_folders(client, fake):
    folder = client.create_campaign_folder("Posts")
    other = client.create_campaign_folder("Other")
    assert {f["name"] for f in client.list_campaign_folders()} == {"Posts", "Other"}
    a = new_campaign(client, fake, folder["id"], title="post:a")
    b = new_campaign(client, fake, folder["id"], title="post:b")
    new_campaign(client, fake, other["id"], title="post:a")
    client.set_campaign_content(b["id"], FOOTER, "x")
    client.send_campaign(b["id"])
    in_folder = client.list_campaigns(folder_id=folder["id"], page_size=1,
                                      fields=["campaigns.id", "campaigns.settings.title", "total_items"])
    assert sorted(c["settings"]["title"] for c in in_folder) == ["post:a", "post:b"]  # two pages
    assert all(set(c) == {"id", "settings"} and set(c["settings"]) == {"title"} for c in in_folder)
    assert [c["id"] for c in client.list_campaigns(status="save", folder_id=folder["id"])] == [a["id"]]
    updated = client.update_campaign(a["id"], {"settings": {"subject_line": "New subject"}})
    assert updated["settings"]["subject_line"] == "New subject"
    assert updated["settings"]["title"] == "post:a"  # PATCH leaves the rest alone
    with pytest.raises(MailchimpPermanentError, match="cannot be edited"):
        client.update_campaign(b["id"], {"settings": {"subject_line": "Too late"}})
    with pytest.raises(MailchimpPermanentError) as error:
        new_campaign(client, fake, "nope")
    assert error.value.status == 400 and "folder_id" in error.value.reason
    client.delete_campaign(a["id"])
    assert client.get_campaign(a["id"]) is None


def test_faults_after_the_request_took_effect(client, fake):
    fake.fail_next("drop", method="POST", path=r"/campaigns$", after=True)
    with pytest.raises(MailchimpTransientError):
        new_campaign(client, fake)
    assert len(fake.campaigns) == 1  # it was created; only the answer was lost
    fake.fail_next("empty503", skip=1)
    client.list_campaigns()  # the first request passes
    with pytest.raises(MailchimpTransientError, match="503 with an empty body"):
        client.list_campaigns()
