"""Gate: every page of the publish builds (forms service and zero-server mode)
and of the development build (`make html`) passes the Nu Html Checker with 0
errors. One vnu run for everything (the JVM start
is the slow part), crafted broken pages included to prove the gate bites."""

import json
import subprocess
from pathlib import Path

import pytest

from .helpers import ROOT

GOOD_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ok</title></head><body><main><p>Fine.</p></main></body></html>"""
BROKEN_PAGES = {
    "bad-attribute.html": GOOD_PAGE.replace("<p>", '<p colour="red">'),
    "duplicate-id.html": GOOD_PAGE.replace("<p>Fine.</p>", '<p id="x">a</p><p id="x">b</p>'),
    "img-without-alt.html": GOOD_PAGE.replace("<p>Fine.</p>", '<img src="a.png">'),
}


def served_error_pages(folder, forms_server, site_url, article_path):
    """The pages the forms service answers plain posts with errors: a signup, a
    contact message and a comment, each wrong in every field it can be."""
    from tests.support.servers import Client

    client = Client(forms_server.url)
    posts = {"signup": ("/api/subscribe", {"email": "nope", "name": "Ada\nLovelace"}),
             "contact": ("/api/contact", {"name": "", "email": "", "message": ""}),
             "comment": ("/api/comments", {"post": article_path, "body": "", "name": "", "email": "x"})}
    for name, (path, fields) in posts.items():
        reply = client.form(path, fields, {"Origin": site_url})
        assert reply.status in (400, 422) and b"error-summary" in reply.body, (name, reply.status)
        (folder / f"{name}.html").write_bytes(reply.body)
    return folder


@pytest.fixture(scope="session")
def vnu_report(node_tools, site_dir, zero_server_dir, dev_site_dir, tmp_path_factory, server, forms_server,
               site_url, article_path):
    served = served_error_pages(tmp_path_factory.mktemp("vnu-served"), forms_server, site_url, article_path)
    crafted = tmp_path_factory.mktemp("vnu-crafted")
    (crafted / "good.html").write_text(GOOD_PAGE)
    for name, html in BROKEN_PAGES.items():
        (crafted / name).write_text(html)
    # A real page of the site, broken on purpose (an attribute HTML lacks).
    real = (site_dir / "contact" / "index.html").read_text(encoding="utf-8")
    (crafted / "real-contact-bad-attribute.html").write_text(real.replace("<main ", "<main colour=red ", 1))
    files = (sorted(site_dir.rglob("*.html")) + sorted(zero_server_dir.rglob("*.html"))
             + sorted(dev_site_dir.rglob("*.html")) + sorted(served.glob("*.html"))
             + sorted(crafted.glob("*.html")))
    jar = node_tools / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(
        ["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    by_file = {}
    for message in report["messages"]:
        if message.get("type") == "error" or message.get("subType") == "fatal":
            path = Path(message.get("url", "").removeprefix("file:"))
            by_file.setdefault(path.resolve(), []).append(
                f"{message.get('lastLine', '?')}: {message['message']}")
    return {"by_file": by_file, "files": files, "crafted": crafted, "served": served,
            "exit": result.returncode}


def _errors_under(report, folder):
    folder = Path(folder).resolve()
    return {str(p.relative_to(folder)): errs for p, errs in report["by_file"].items()
            if folder in p.parents}


def test_vnu_checked_every_page(vnu_report, site_dir):
    assert len(list(site_dir.rglob("*.html"))) > 20
    assert len(vnu_report["files"]) > 40


def test_site_with_forms_service_is_valid_html(vnu_report, site_dir):
    assert _errors_under(vnu_report, site_dir) == {}


def test_zero_server_site_is_valid_html(vnu_report, zero_server_dir):
    assert _errors_under(vnu_report, zero_server_dir) == {}


def test_development_build_is_valid_html(vnu_report, dev_site_dir):
    """`make html` output: unminified, relative URLs, drafts written. Its
    Mastodon share page once had action="" (the publish minifier dropped it)."""
    assert (dev_site_dir / "share" / "mastodon" / "index.html").is_file()
    assert any(dev_site_dir.glob("drafts/*/index.html"))
    assert _errors_under(vnu_report, dev_site_dir) == {}


def test_error_pages_the_forms_service_answers_with_are_valid_html(vnu_report):
    assert len(list(vnu_report["served"].glob("*.html"))) == 3
    assert _errors_under(vnu_report, vnu_report["served"]) == {}


def test_both_form_variants_were_rendered_as_forms(site_dir, zero_server_dir):
    service = (site_dir / "contact" / "index.html").read_text()
    zero = (zero_server_dir / "contact" / "index.html").read_text()
    assert "/api/contact" in service and "<form" in service
    assert "forms.example.net" in zero and "<form" in zero
    assert "list-manage.com" in (zero_server_dir / "newsletter" / "index.html").read_text()


@pytest.mark.parametrize("name", sorted(BROKEN_PAGES) + ["real-contact-bad-attribute.html"])
def test_vnu_gate_catches_broken_html(vnu_report, name):
    errors = _errors_under(vnu_report, vnu_report["crafted"])
    assert "good.html" not in errors
    assert errors.get(name), f"vnu did not flag {name}"
