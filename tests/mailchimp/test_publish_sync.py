"""`make publish` ends with the newsletter sync when Mailchimp is configured
and the outbox is on this host: the same sync code, run by the plugin."""

import os
import subprocess
import sys

from forms.outbox import Outbox
from tests.fake_mailchimp.fixtures import fake_mailchimp  # noqa: F401  (fixture)
from tests.support.servers import PROJECT_ROOT, rows


def publish(output, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MAILCHIMP_", "FORMS_"))}
    return subprocess.run([sys.executable, "-m", "tools.build", "publishconf.py", "--output", str(output)],
                          cwd=PROJECT_ROOT, env={**clean, "SITEURL": "https://blog.example.test", **env},
                          capture_output=True, text=True, timeout=300)


def test_publish_syncs_pending_signups_to_mailchimp(tmp_path, fake_mailchimp):  # noqa: F811
    db = tmp_path / "outbox.sqlite3"
    box = Outbox(db)
    box.add_signup("published@example.com", "Pub", True, "Email me", "/newsletter/", "192.0.2.7")
    box.close()
    result = publish(tmp_path / "out", FORMS_DB=str(db), MAILCHIMP_API_KEY=fake_mailchimp.api_key,
                     MAILCHIMP_LIST_ID=fake_mailchimp.list_id, MAILCHIMP_API_ROOT=fake_mailchimp.api_root)
    assert result.returncode == 0, result.stderr
    assert "Newsletter sync: 1 new" in result.stdout
    assert fake_mailchimp.member("published@example.com") is not None
    assert rows(db, "SELECT status FROM signups")[0]["status"] == "synced"
    assert fake_mailchimp.api_key not in result.stdout + result.stderr


def test_publish_without_credentials_skips_the_sync(tmp_path):
    result = publish(tmp_path / "out", FORMS_DB=str(tmp_path / "none.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "Newsletter sync" not in result.stdout
    assert not (tmp_path / "none.sqlite3").exists()
