"""Real WordPress exports written by others (tests/fixtures/wordpress/README.md): import, build, old URLs.

The theme-review test data is imported beside the kit's own content and
built once with the strict build; the other exports are small and built
together. Images are downloaded from a loopback HTTP server standing in for
the export's image host.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from tools.import_wordpress import main as import_main
from tools.slugs import read_front_matter
from tools.wordpress.wxr import read_namespaces

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "wordpress"
THEME_TEST = FIXTURES / "themeunittestdata.wordpress.xml"
WXR_11 = FIXTURES / "small-export-wxr-1.1.xml"
UTF8 = FIXTURES / "wxr-utf-8-challenges.xml"
IMAGE_HOST = "https://wpthemetestdata.files.wordpress.com"

# Under the error/advice policy, advice (empty alt text, images on another host,
# a long Summary) prints but never fails the build; any error fails these tests.



def make_site(root: Path) -> Path:
    """A copy of the kit's content and settings, as a new user's checkout has them."""
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copy(ROOT / "pelicanconf.py", root / "pelicanconf.py")
    return root / "content"


def run_import(export: Path, content: Path, *args) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        code = import_main([str(export), "--content", str(content), *args])
    assert code == 0
    return out.getvalue()


def build(content: Path, output: Path):
    """The strict build, in its own process: (result, errors, advice, seconds)."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tools.build", "pelicanconf.py", "--content", str(content), "--output", str(output),
         "-e", "SEARCH_ENABLED=false"],
        cwd=ROOT, env={**os.environ, "SITEURL": ""}, capture_output=True, text=True)
    seconds = time.monotonic() - started
    before, _, after = result.stderr.partition("Build FAILED with")
    advice = [line.strip()[2:] for line in before.splitlines() if line.startswith("  - ")]
    errors = [line.strip()[2:] for line in after.splitlines() if line.startswith("  - ")]
    errors += [line.strip() for line in after.splitlines() if line.startswith("      ")]
    return result, errors, advice, seconds


def section(summary: str, heading: str) -> list[str]:
    lines = summary.split(heading + "\n", 1)[1].splitlines()
    return [line for line in lines[:next((i for i, l in enumerate(lines) if not l.startswith("  ")), len(lines))]]


class Imported:
    def __init__(self, root, content, summary, result=None, problems=(), advice=(), seconds=0.0):
        self.root, self.content, self.summary = root, content, summary
        self.result, self.problems, self.advice, self.seconds = result, list(problems), list(advice), seconds
        self.output = root / "output"
        self.map = json.loads((content / "redirects" / "wordpress.json").read_text(encoding="utf-8"))
        self.comments = json.loads((root / "var" / "import" / "wordpress-comments.json").read_text(encoding="utf-8"))

    def meta(self, relative):
        return read_front_matter(self.content / relative)


@pytest.fixture(scope="module")
def theme_test(tmp_path_factory):
    root = tmp_path_factory.mktemp("theme-test")
    content = make_site(root)
    summary = run_import(THEME_TEST, content)
    result, problems, advice, seconds = build(content, root / "output")
    print(f"\nimported theme test data built in {seconds:.1f} s; errors: {len(problems)}; advice: {len(advice)}")
    for line in advice:
        print("  advice: " + line)
    return Imported(root, content, summary, result, problems, advice, seconds)


# --------------------------------------------------------------------------- reading any export

@pytest.mark.parametrize("export, wp_uri", [
    (THEME_TEST, "https://wordpress.org/export/1.2/"),
    (WXR_11, "http://wordpress.org/export/1.1/"),
    (UTF8, "http://wordpress.org/export/1.2/"),
])
def test_namespaces_are_read_from_the_document(export, wp_uri):
    found = read_namespaces(export)
    assert found["wp"] == wp_uri
    assert found["excerpt"] == wp_uri + "excerpt/"


def test_an_unheard_of_version_and_scheme_still_imports(tmp_path):
    text = WXR_11.read_text(encoding="utf-8").replace("http://wordpress.org/export/1.1/",
                                                      "https://wordpress.org/export/1.3/")
    export = tmp_path / "future.xml"
    export.write_text(text, encoding="utf-8")
    summary = run_import(export, make_site(tmp_path / "site"))
    assert "written: 6 posts, 5 pages" in summary


# --------------------------------------------------------------------------- the theme test data

def test_theme_test_data_counts(theme_test):
    s = theme_test.summary
    assert "export: WXR 1.2 (https://wordpress.org/export/1.2/), WordPress.com" in s
    assert "written: 58 posts, 21 pages" in s
    assert "posts: 55 published, 1 scheduled, 2 not published" in s
    assert "skipped: 37 attachment, 70 nav_menu_item" in s
    assert section(s, "Not published (imported as drafts; publish by hand if you mean to):") == [
        f"  {theme_test.content / 'posts/draft.md'}: draft",
        f"  {theme_test.content / 'posts/template-password-protected.md'}: password-protected"]
    assert "Redirects: 165 old URLs mapped in" in s
    assert len(theme_test.map["redirects"]) == 165
    assert ("Comments: 33 written to" in s
            and "(30 approved, 3 pending; 29 comment, 2 pingback, 2 trackback)" in s)
    assert "Categories not in CATEGORIES" not in s  # the sample settings allow any category
    warnings = section(s, "Warnings:")
    assert len(warnings) == 5  # a 196-character excerpt, an empty title, two empty bodies, HTML in a title
    written = sorted(p.name for p in (theme_test.content / "posts").glob("*.md"))
    assert len(written) == 58 + 8  # the kit's eight sample posts stay


def test_statuses_kinds_and_formats(theme_test):
    assert theme_test.meta("posts/scheduled.md")["date"] == "2030-01-01 12:00"
    assert theme_test.meta("posts/scheduled.md")["status"] == "published"  # the build holds it until its date
    assert theme_test.meta("posts/template-password-protected.md")["status"] == "draft"
    assert theme_test.meta("posts/draft.md")["status"] == "draft"
    assert theme_test.meta("posts/template-sticky.md")["sticky"] == "yes"
    assert theme_test.meta("posts/template-sticky.md")["newsletter"] == "off"  # WordPress published it already
    assert "newsletter" not in theme_test.meta("posts/scheduled.md")  # its issue goes out on its day
    assert "newsletter" not in theme_test.meta("posts/draft.md")
    assert theme_test.meta("posts/post-format-aside.md")["post_format"] == "aside"
    assert "aside: 1" in section(theme_test.summary, "Post formats (kept as Post_format):")[0]
    assert not any("password" in key for key in theme_test.meta("posts/template-password-protected.md"))


def test_awkward_items(theme_test):
    assert theme_test.meta("posts/edge-case-no-title.md")["title"] == "This post has no title, but it still…"
    assert theme_test.meta("posts/markup-title-with-markup.md")["title"] == "Markup: Title With Markup"
    long = theme_test.meta("posts/title-should-not-overflow-the-content-area.md")
    assert len(long["title"]) > 80 and long["slug"] == "title-should-not-overflow-the-content-area"
    assert (theme_test.content / "posts/edge-case-no-content.md").read_text(encoding="utf-8").endswith("\n\n")
    tags = theme_test.meta("posts/edge-case-many-tags.md")["tags"].split(", ")
    assert len(tags) == 45
    many = theme_test.meta("posts/edge-case-many-categories.md")
    # 63 categories: the first is the Category, the other 62 join the post's tags (which repeat some of them)
    assert many["category"] == "Classic" and len(many["tags"].split(", ")) == 62
    greek = sorted(p.name for p in (theme_test.content / "pages").glob("epipedo*.md"))
    assert greek == ["epipedo-2.md", "epipedo-3.md"]  # non-ASCII slugs (επίπεδο-2), transliterated


def test_the_kits_pages_are_never_overwritten(theme_test):
    assert (theme_test.content / "pages/about.md").read_bytes() == (ROOT / "content/pages/about.md").read_bytes()
    assert theme_test.meta("pages/about-the-tests.md")["slug"] == "about-the-tests"
    assert (f"  {theme_test.content / 'pages/about-the-tests.md'}: wanted 'about' (already used by the site)"
            in section(theme_test.summary, "Slugs changed (the WordPress slug was taken; old URLs redirect):"))


def test_shortcodes_embeds_and_blocks(theme_test):
    bodies = {p.name: p.read_text(encoding="utf-8") for p in (theme_test.content).rglob("*.md")}
    gallery = bodies["post-format-gallery.md"]
    assert gallery.count('<div class="gallery">') == 10 and gallery.count("<figure><img ") == 230
    assert "[gallery" not in "".join(bodies.values())
    assert not re.search(r"\[/?caption[ \]](?!\()", "".join(bodies.values()))
    assert '<p class="embed"><a href="https://www.youtube.com/watch?v=SQEQr7c0-dw">Watch on YouTube</a></p>' \
        in bodies["post-format-video-youtube.md"]
    assert bodies["post-format-audio.md"].count('<p class="embed"><a href="https://wpthemetestdata.files.'
                                                'wordpress.com/2008/06/originaldixieland') == 1
    assert "Twitter" in bodies["media-twitter-embeds.md"] and "<script" not in bodies["media-twitter-embeds.md"]
    for name, body in bodies.items():
        assert "<iframe" not in body and "<script" not in body, name
        prose = re.sub(r"^```.*?^```", "", body, flags=re.M | re.S)  # a code block may show block markup
        assert not re.search(r"<!--\s*/?wp:", prose), name
        assert "<!--more-->" not in body and "<!--nextpage-->" not in body, name
    assert bodies["template-paginated.md"].count("\n---\n") >= 2
    assert theme_test.meta("posts/template-more-tag.md")["summary"].startswith("This content is before the more tag.")


def test_imported_site_builds(theme_test):
    assert theme_test.problems == [], theme_test.result.stderr[-4000:]
    assert theme_test.result.returncode == 0
    assert any("alt" in line for line in theme_test.advice)  # advice printed, the build not failed
    assert (theme_test.output / "2013/01/markup-html-tags-and-formatting/index.html").is_file()
    assert (theme_test.output / "level-3/index.html").is_file()
    assert not (theme_test.output / "2030").exists()  # scheduled: not out before its date


def test_no_third_party_embed_loads_in_the_built_site(theme_test):
    for path in theme_test.output.rglob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["iframe", "embed", "object", "audio", "video"]):
            pytest.fail(f"{path}: {tag}")
        for script in soup.find_all("script", src=True):
            assert not urlsplit(script["src"]).netloc, f"{path}: {script}"


def test_every_old_url_resolves(theme_test):
    output = theme_test.output
    lines = set((output / "_redirects").read_text(encoding="utf-8").splitlines())
    published = {e["file"] for e in theme_test.map["redirects"]} - {
        "posts/scheduled.md"}  # scheduled posts redirect once they are out
    checked = 0
    for entry in theme_test.map["redirects"]:
        if entry["file"] not in published:
            continue
        source, target = urlsplit(entry["from"]), entry["to"]
        assert (output / target.strip("/") / "index.html").is_file(), entry
        if source.query:
            assert f"{source.path} {source.query} {target} 301" in lines, entry
            checked += 1
            continue
        page = output / unquote(source.path).strip("/") / "index.html"
        assert page.is_file(), entry
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        refresh = soup.find("meta", attrs={"http-equiv": "refresh"})
        if refresh is None:  # an old URL the kit itself uses, such as /about/: the kit's page stays
            assert entry["from"] == "/about/" and "About" in soup.title.get_text()
            continue
        assert refresh["content"] == f"0; url={target}"
        assert soup.find("link", rel="canonical")["href"].endswith(target)
        assert f"{source.path} {target} 301" in lines
        checked += 1
    assert checked == 161  # 165 entries, less 3 for the scheduled post and /about/, the kit's own About page
    nested = output / "level-1/level-2/level-3/index.html"
    assert 'url=/level-3/' in nested.read_text(encoding="utf-8")


def test_comments_data_file(theme_test):
    data = theme_test.comments
    assert data["source"] == "wordpress" and data["site"] == "https://wordpress.com/"
    assert len(data["comments"]) == 33
    keys = {"wp_id", "post_wp_id", "post_path", "parent_wp_id", "author", "email", "url", "ip", "date_gmt",
            "status", "type", "body_html"}
    assert all(set(c) == keys for c in data["comments"])
    assert {c["status"] for c in data["comments"]} == {"approved", "pending"}
    assert {c["type"] for c in data["comments"]} == {"comment", "pingback", "trackback"}
    threaded = [c for c in data["comments"] if c["parent_wp_id"]]
    ids = {c["wp_id"] for c in data["comments"]}
    assert threaded and all(c["parent_wp_id"] in ids for c in threaded)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["date_gmt"]) for c in data["comments"])
    on_comments = [c for c in data["comments"] if c["post_wp_id"] == 1148]
    assert on_comments and {c["post_path"] for c in on_comments} == {"/2012/01/template-comments/"}
    # the file sits under var/, which git ignores: commenters' emails never reach the repository
    assert "var/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- other exports

def test_wxr_1_1_and_wordpress_6_exports_build_together(tmp_path):
    content = make_site(tmp_path)
    small = run_import(WXR_11, content, "--redirects", str(content / "redirects" / "small.json"))
    assert "export: WXR 1.1 (http://wordpress.org/export/1.1/), WordPress/3.1-RC2-17315" in small
    assert "written: 6 posts, 5 pages" in small
    assert "posts: 5 published, 0 scheduled, 1 not published" in small
    assert section(small, "Not published (imported as drafts; publish by hand if you mean to):") == [
        f"  {content / 'pages/draft-page.md'}: draft", f"  {content / 'posts/private-post.md'}: private"]
    assert "Redirects: 14 old URLs mapped in" in small
    assert "Comments: 1 written to" in small
    utf8 = run_import(UTF8, content)
    assert "export: WXR 1.2 (http://wordpress.org/export/1.2/), WordPress/6.5.4" in utf8
    assert "written: 1 post, 0 pages" in utf8
    post = read_front_matter(content / "posts/hello-world-utf8-test.md")
    assert "Frost" in post["title"] and post["wordpress_id"] == "10"
    # a writer's own old address, beside the imported ones
    kit_post = content / "posts/sales-and-marketing-sibling-rivalry.md"
    head, body = kit_post.read_text(encoding="utf-8").split("\n\n", 1)
    kit_post.write_text(head + "\nRedirect_from: /landing-pages/, /old/checklist.html\n\n" + body, encoding="utf-8")

    result, problems, _, _ = build(content, tmp_path / "output")
    assert problems == [] and result.returncode == 0, result.stderr[-3000:]
    output = tmp_path / "output"
    lines = (output / "_redirects").read_text(encoding="utf-8")
    new = "/" + [e for e in json.loads((content / "redirects/small.json").read_text())["redirects"]
                 if e["file"] == "posts/many-categories.md"][0]["to"].strip("/") + "/"
    assert f"/ p=" in lines and new in lines
    kit_url = next(line.split()[1] for line in lines.splitlines() if line.startswith("/landing-pages/ "))
    assert (output / kit_url.strip("/") / "index.html").is_file() and kit_url.startswith("/20")
    refresh = BeautifulSoup((output / "landing-pages/index.html").read_text(encoding="utf-8"), "html.parser")
    assert refresh.find("meta", attrs={"http-equiv": "refresh"})["content"] == f"0; url={kit_url}"
    assert (output / "old/checklist.html").is_file()
    assert (output / "2024/06/hello-world-utf8-test/index.html").is_file()


# --------------------------------------------------------------------------- images

class _Images(BaseHTTPRequestHandler):
    """Any *.jpg/*.png path answers with a real JPEG (made with Pillow); others 404."""
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        if not re.search(r"\.(jpe?g|png|gif)(\?|$)", self.path):
            self.send_error(404)
            return
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "JPEG")
        data = buffer.getvalue()
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Images.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_images_from_a_loopback_server(tmp_path, image_server):
    export = tmp_path / "export.xml"
    export.write_text(THEME_TEST.read_text(encoding="utf-8").replace(IMAGE_HOST, image_server), encoding="utf-8")
    content = make_site(tmp_path / "site")
    without = run_import(export, make_site(tmp_path / "listed"))
    listed = section(without, "Remote images (download them with --download-images, or by hand):")
    assert len(listed) > 100 and all(image_server in line for line in listed)
    assert _Images.requests == []  # without the option nothing is fetched

    summary = run_import(export, content, "--download-images")
    saved = sorted(p for p in (content / "images" / "wordpress").rglob("*") if p.is_file())
    match = re.search(r"^Images: (\d+) downloaded under content/images/wordpress/$", summary, re.M)
    assert match and int(match[1]) == len(saved) == len(set(_Images.requests)) > 30
    assert "Remote images (download" not in summary and "could not be downloaded" not in summary
    for path in content.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(rf"{re.escape(image_server)}[^\s\"')]*\.(jpe?g|png|gif)", text), path
        for target in re.findall(r"\{static\}/(images/wordpress/[^\s\"')]+)", text):
            assert (content / target).is_file(), (path, target)
    cover = read_front_matter(content / "posts/template-featured-image-horizontal.md")
    assert cover["image"].startswith("images/wordpress/") and (content / cover["image"]).is_file()
    assert cover["image_alt"]
    with Image.open(saved[0]) as image:
        assert image.size == (40, 30)


def test_a_redirect_to_a_deleted_post_fails_the_build_naming_the_map(tmp_path):
    content = make_site(tmp_path)
    (content / "redirects").mkdir()
    (content / "redirects" / "old.json").write_text(json.dumps({"redirects": [
        {"from": "/2019/01/01/gone/", "to": "/2019/01/gone/", "file": "posts/gone.md"},
        {"from": "/?p=7", "file": "posts/cold-email-without-the-chill.md"}]}), encoding="utf-8")
    result, problems, _, _ = build(content, tmp_path / "output")
    assert result.returncode == 1
    assert [p for p in problems if "redirects:" in p] == [
        f"redirects: {content / 'redirects' / 'old.json'}: entry 1 (/2019/01/01/gone/) points at posts/gone.md, "
        "which does not exist"]


def test_make_import_wordpress_loads_the_comments_into_the_store(tmp_path):
    """`make import-wordpress` passes --load-comments: the theme-test-data's threaded
    comments land in the comments store, approved and pending as they were."""
    from forms.comments.store import CommentStore
    from forms.outbox import Outbox

    content = make_site(tmp_path / "site")
    db = tmp_path / "forms.sqlite3"
    env = {**os.environ, "FORMS_DB": str(db), "FORMS_SECRET": "test-secret"}
    command = [sys.executable, "-m", "tools.import_wordpress", str(THEME_TEST), "--load-comments",
               "--content", str(content), "--comments", str(tmp_path / "comments.json")]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "imported approved=26 pending=3" in first.stdout
    again = subprocess.run(command + ["--force"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    outbox = Outbox(db)
    try:
        store = CommentStore(outbox)
        statuses = [c.status for c in store.list(None)]
        threaded = [c for c in store.list(None) if c.parent_id]
    finally:
        outbox.close()
    assert sorted(set(statuses)) == ["approved", "pending"]
    assert (statuses.count("approved"), statuses.count("pending")) == (26, 3)  # a rerun adds none
    assert threaded
