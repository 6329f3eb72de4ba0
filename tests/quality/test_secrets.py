"""Gate: with fake credentials in the environment, a `make publish`-equivalent
build and a `make sync` run (delivery failing against closed loopback ports)
leave the secret strings nowhere: not in output/, not in stdout/stderr, not
in the forms service log, not in the outbox's stored errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import Client, FormsServer, base_env, free_port

from .helpers import ROOT, build_site

SECRETS = ["fake-secret-key-123-us1", "fake-smtp-password-xyz"]


def grep_tree(root, needles):
    hits = []
    for path in Path(root).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n}" for n in needles if n.encode() in data]
    return hits


def grep_text(label, text, needles):
    return [f"{label}: {n}" for n in needles if n in (text or "")]


@pytest.fixture(scope="module")
def secret_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secrets")
    closed = free_port()  # nothing listens here
    fake = {
        "MAILCHIMP_API_KEY": SECRETS[0],
        "MAILCHIMP_LIST_ID": "list123",
        "MAILCHIMP_API_ROOT": f"http://127.0.0.1:{closed}/3.0",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(closed), "SMTP_USERNAME": "mailer",
        "SMTP_PASSWORD": SECRETS[1], "SMTP_STARTTLS": "0", "SMTP_TIMEOUT": "3",
        "CONTACT_TO": "team@example.org", "CONTACT_FROM": "site@example.org",
        "FORMS_DB": str(tmp / "outbox.sqlite3"),
    }
    captured = {}
    # Something to deliver: one signup and one message through the real service.
    if (ROOT / "forms" / "serve.py").exists():
        server = FormsServer(base_env(tmp / "outbox.sqlite3", **{k: v for k, v in fake.items() if k != "FORMS_DB"}),
                             tmp / "forms.log").start()
        try:
            client = Client(server.url)
            client.json_form("/api/subscribe", {"email": "a@example.org", "consent": "yes", "source": "/"})
            client.json_form("/api/contact", {"name": "A", "email": "a@example.org",
                                              "message": "Hello there, this is a test message."})
        finally:
            server.stop()
    output = tmp / "output"
    build = build_site(output, "https://blog.example.test", fake)
    captured["build"] = build.stdout + build.stderr
    env = {**os.environ, **fake, "PYTHONUNBUFFERED": "1"}
    sync = subprocess.run([sys.executable, "-m", "forms.sync", "--wait", "5"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    captured["sync"] = sync.stdout + sync.stderr
    captured["sync_exit"] = sync.returncode
    return {"tmp": tmp, "output": output, "captured": captured, "build": build}


def test_secrets_do_not_leak(secret_run):
    assert secret_run["build"].returncode == 0, secret_run["captured"]["build"]
    hits = grep_tree(secret_run["tmp"], SECRETS)  # output/, forms.log, the outbox file
    for label, text in secret_run["captured"].items():
        if isinstance(text, str):
            hits += grep_text(label, text, SECRETS)
    assert hits == []


def test_the_sync_really_ran_and_failed(secret_run):
    # It tried to deliver (and could not: the ports are closed), so the error
    # paths, the ones that tend to print configuration, were exercised.
    assert secret_run["captured"]["sync_exit"] == 1, secret_run["captured"]["sync"]
    assert list(secret_run["output"].rglob("*.html"))


def test_secret_gate_catches_a_leak(tmp_path):
    (tmp_path / "page.html").write_text(f"<p>debug: key={SECRETS[0]}</p>")
    assert grep_tree(tmp_path, SECRETS) == [f"{tmp_path / 'page.html'}: {SECRETS[0]}"]
    assert grep_text("stderr", f"password {SECRETS[1]}", SECRETS)
