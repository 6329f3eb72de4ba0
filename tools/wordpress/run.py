"""The import as a whole: items to files, images, the redirect map, the comments file, the summary."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tools.slugs import (default_settings_file, effective_slug, markdown_files, make_slug, read_front_matter,
                         slug_settings)
from tools.wordpress import comments as comments_file
from tools.wordpress import links, redirects
from tools.wordpress.documents import Document, build_document
from tools.wordpress.images import Downloader, remote_images, rewrite
from tools.wordpress.shortcodes import FormRules
from tools.wordpress.wxr import Export, ExportError, Item, parse_export

TARGET_DIRS = {"post": "posts", "page": "pages"}
IMPORTED_STATUSES = {"publish", "draft", "pending", "private", "future"}
# Top-level folders the build writes itself: a page there would clash with them.
RESERVED_PAGE_SLUGS = {"category", "categories", "tag", "tags", "author", "authors", "archives", "search",
                       "feeds", "drafts", "share", "theme", "images", "extra", "pagefind", "page", "api",
                       "sitemap", "robots", "index", "404"}
SLUG_MAX = 80


@dataclass
class Report:
    source: Path
    export: Export | None = None
    docs: list[Document] = field(default_factory=list)
    written: list[Document] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)  # not written, and why
    skipped: Counter = field(default_factory=Counter)
    renamed: list[tuple[Document, str, str]] = field(default_factory=list)  # doc, wanted slug, why
    downloaded: dict[str, str] = field(default_factory=dict)
    failed_images: dict[str, str] = field(default_factory=dict)
    redirects_path: Path | None = None
    redirect_count: int = 0
    comments_path: Path | None = None
    comments: dict = field(default_factory=dict)
    relinked: int = 0  # links to the old site's posts now pointing at the imported files
    outside_categories: Counter = field(default_factory=Counter)  # category → posts, when CATEGORIES is a closed list

    def count(self, kind: str) -> int:
        return sum(1 for doc in self.written if doc.kind == kind)


def skip_reason(item: Item) -> str | None:
    if item.post_type not in TARGET_DIRS:
        return item.post_type
    if item.status not in IMPORTED_STATUSES:
        return f"{item.post_type} with status {item.status or 'none'}"
    return None


class SlugBook:
    """Slugs in use for one kind: the site's own files, the reserved names, and this run's picks.

    Files an earlier import wrote (they carry ``Wordpress_id``) do not count:
    importing the same export again finds them at the same slugs.
    """

    def __init__(self, directory: Path, settings: dict, kind: str):
        self.settings = settings
        self.taken = set(RESERVED_PAGE_SLUGS if kind == "page" else ())
        self.site = set()
        self.picked: set[str] = set()
        for path in markdown_files(directory):
            if not read_front_matter(path).get("wordpress_id"):
                self.site.add(effective_slug(path, settings))
        self.taken |= self.site

    def pick(self, item: Item, title: str) -> tuple[str, str]:
        """(slug, why it is not the WordPress one, or "")."""
        by_title = _cap(make_slug(title, self.settings))
        wanted = _cap(make_slug(item.name, self.settings)) or by_title or f"{item.post_type}-{item.post_id}"
        for slug in [wanted, by_title] + [f"{wanted}-{n}" for n in range(2, 1000)]:
            if slug and slug not in self.taken:
                why = "" if slug == wanted else (
                    "used by another imported item" if wanted in self.picked
                    else "already used by the site" if wanted in self.site else "reserved by the site")
                self.taken.add(slug)
                self.picked.add(slug)
                return slug, why
        raise ExportError(f"no free slug for {item.post_type} {item.post_id}")


def _cap(slug: str) -> str:
    if len(slug) <= SLUG_MAX:
        return slug
    return slug[:SLUG_MAX].rsplit("-", 1)[0]


def run_import(source: Path, content_dir: Path, force: bool, forms: FormRules, settings: dict | None = None,
               download_images: bool = False, redirects_path: Path | None = None,
               comments_path: Path | None = None) -> Report:
    """Import ``source`` into ``content_dir`` and return what happened."""
    content_dir = Path(content_dir)
    export = parse_export(source)
    settings_file = default_settings_file(content_dir)
    settings = settings or slug_settings(settings_file)
    urls = redirects.url_settings(settings_file)
    form_items = (i for i in export.items if i.post_type == "wpcf7_contact_form")
    forms.titles = {i.post_id: i.title for i in form_items} | forms.titles
    report = Report(source=source, export=export)
    books = {kind: SlugBook(content_dir / folder, settings, kind) for kind, folder in TARGET_DIRS.items()}
    downloader = Downloader(content_dir) if download_images else None
    for item in export.items:
        reason = skip_reason(item)
        if reason:
            report.skipped[reason] += 1
            continue
        doc = build_document(item, export, "", forms)
        slug, why = books[item.post_type].pick(item, dict(doc.fields)["Title"])
        doc.slug = slug
        allowed = settings.get("CATEGORIES") or []
        category = dict(doc.fields).get("Category")
        if allowed and category and category not in allowed:
            report.outside_categories[category] += 1
        doc.set_field("Slug", slug)
        if why:
            report.renamed.append((doc, make_slug(item.name, settings) or item.name, why))
        report.docs.append(doc)
    hosts = {urlsplit(url).netloc for url in (export.base_blog_url, export.link)}
    hosts |= {urlsplit(doc.item.link).netloc for doc in report.docs if doc.item.link}
    attachment_pages = {i.link: i.attachment_url for i in export.items
                        if i.post_type == "attachment" and i.link and i.attachment_url}
    report.relinked = links.relink(report.docs, hosts, lambda doc: f"{TARGET_DIRS[doc.kind]}/{doc.slug}.md",
                                   attachment_pages)
    for doc in report.docs:
        doc.images = remote_images(doc.body)  # again: relinked attachment pages now lead to image files
        if downloader is not None:
            _download(doc, downloader)
        write_document(doc, content_dir / TARGET_DIRS[doc.kind], force, report)
    if downloader is not None:
        report.downloaded, report.failed_images = downloader.saved, downloader.failed
    site = export.base_blog_url or export.link or export.base_site_url
    report.redirects_path = redirects_path or content_dir / "redirects" / "wordpress.json"
    redirect_map = redirects.build_map(report.docs, content_dir, urls, site)
    redirects.write_map(redirect_map, report.redirects_path)
    report.redirect_count = len(redirect_map["redirects"])
    paths = {doc.item.post_id: redirects.new_path(doc, urls) for doc in report.docs}
    report.comments = comments_file.collect(export, paths)
    report.comments_path = comments_path or content_dir.resolve().parent / comments_file.DEFAULT_PATH
    comments_file.write(report.comments, report.comments_path)
    return report


def _download(doc: Document, downloader: Downloader) -> None:
    saved = {url: local for url in doc.images if (local := downloader.fetch(url))}
    doc.body = rewrite(doc.body, saved)
    if doc.cover_url and (local := downloader.fetch(doc.cover_url)):
        doc.set_field("Image", local)
        doc.set_field("Image_alt", doc.cover_alt or dict(doc.fields)["Title"])


def write_document(doc: Document, target_dir: Path, force: bool, report: Report) -> None:
    path = target_dir / f"{doc.slug}.md"
    if path.exists() and not force:
        report.kept.append((path, "exists (use --force to overwrite)"))
        doc.path = path
        return
    target_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(doc.text(), encoding="utf-8")
    doc.path = path
    report.written.append(doc)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _section(heading: str, lines: list[str]) -> list[str]:
    return [heading] + lines if lines else []


def format_summary(report: Report) -> str:
    """The closing summary: what was written and what a human still has to do."""
    export = report.export
    docs = report.written
    posts = [d for d in docs if d.kind == "post"]
    lines = [f"WordPress import from {report.source}",
             f"  export: WXR {export.wxr_version or '?'} ({export.namespaces['wp']}), {export.generator or 'unknown generator'}",
             f"  written: {_plural(report.count('post'), 'post')}, {_plural(report.count('page'), 'page')}",
             f"    posts: {sum(1 for d in posts if d.status == 'published' and not d.scheduled)} published, "
             f"{sum(1 for d in posts if d.scheduled)} scheduled, {sum(1 for d in posts if d.status == 'draft')} not published"]
    for doc in docs:
        lines.append(f"    {doc.path}  [{doc.status}{', scheduled for ' + format(doc.date, '%Y-%m-%d %H:%M') if doc.scheduled else ''}]")
    if report.kept:
        lines.append(f"  not written: {len(report.kept)}")
        lines += [f"    {path}: {why}" for path, why in report.kept]
    skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
    lines.append(f"  skipped: {skipped or 'nothing'}")
    lines += _section("Not published (imported as drafts; publish by hand if you mean to):",
                      [f"  {d.path}: {d.why_not_published}" for d in docs if d.why_not_published])
    lines += _section("Scheduled (kept scheduled: the build publishes them on their date):",
                      [f"  {d.path}: {d.date:%Y-%m-%d %H:%M}" for d in docs if d.scheduled])
    lines += _section("Sticky in WordPress (marked Sticky: yes; this site lists posts by date):",
                      [f"  {d.path}" for d in docs if d.item.sticky and d.kind == "post"])
    formats = Counter(d.item.post_format for d in docs if d.item.post_format not in ("", "standard"))
    lines += _section("Post formats (kept as Post_format):",
                      [f"  {name}: {count}" for name, count in sorted(formats.items())])
    lines += _section("Slugs changed (the WordPress slug was taken; old URLs redirect):",
                      [f"  {d.path}: wanted '{wanted}' ({why})" for d, wanted, why in report.renamed])
    several = [d for d in docs if d.extra_categories]
    if several:
        most = max(several, key=lambda d: d.extra_categories)
        lines.append(f"Extra categories: {_plural(len(several), 'post')} had more than one category; the first is "
                     f"the Category and the others became tags ({most.extra_categories} on {most.path})")
    lines += _section("Galleries (the images attached in WordPress):",
                      [f"  {d.path}: {_plural(len(d.galleries), 'gallery').replace('ys', 'ies')} "
                       f"({', '.join(str(n) for n in d.galleries)} images)" for d in docs if d.galleries])
    lines += _section("Galleries with no images in the export (removed; add the images by hand):",
                      [f"  {d.path}" for d in docs if 0 in d.galleries])
    lines += _section("Paginated posts (<!--nextpage--> parts joined on one page, divided by a rule):",
                      [f"  {d.path}: {d.pages} parts" for d in docs if d.pages > 1])
    lines += _section("Embeds and media turned into links (nothing loads from another site before a click):",
                      [f"  {d.path}: {url}" for d in docs for url in d.media_links])
    lines += _section("Scripts and empty embeds removed:", [f"  {d.path}: {what}" for d in docs for what in d.removed])
    lines += _section("Forms (check the signup/contact choice; override with --signup-form-ids/--contact-form-ids):",
                      [f"  {doc.path}: contact-form-7 id={fid or '?'} \"{title}\" -> [{kind}]"
                       for doc in docs for fid, title, kind in doc.forms])
    lines += _section("Unknown shortcodes (shown as code in the text; fix by hand):",
                      [f"  {doc.path}: {code}" for doc in docs for code in doc.unknown_shortcodes])
    if report.relinked:
        lines.append(f"Links to the old site: {report.relinked} now point at the imported posts ({{filename}} links) "
                     "or, for attachment pages, at the image itself")
    lines += _images_lines(report)
    lines.append(f"Redirects: {_plural(report.redirect_count, 'old URL')} mapped in {report.redirects_path}")
    statuses, types = comments_file.counts(report.comments)
    total = len(report.comments.get("comments", []))
    detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    kinds = ", ".join(f"{n} {t}" for t, n in sorted(types.items()))
    lines.append(f"Comments: {total} written to {report.comments_path}"
                 + (f" ({detail}; {kinds})" if total else "")
                 + (" - it holds commenters' emails: keep it out of public repositories" if total else ""))
    if report.outside_categories:
        lines.append("Categories not in CATEGORIES (add them there, or empty it to allow any): " + ", ".join(
            f"{name!r} ({_plural(n, 'post')})" for name, n in report.outside_categories.most_common()))
    lines += _section("Warnings:", [f"  {doc.path}: {w}" for doc in docs for w in doc.warnings])
    return "\n".join(lines) + "\n"


def _images_lines(report: Report) -> list[str]:
    docs = report.written
    if report.downloaded or report.failed_images:
        lines = [f"Images: {len(report.downloaded)} downloaded under content/images/wordpress/"]
        lines += _section("Images that could not be downloaded (still remote):",
                          [f"  {url}: {why}" for url, why in report.failed_images.items()])
        return lines
    listed = [f"  {doc.path}: {url}" for doc in docs for url in doc.images]
    listed += [f"  {doc.path}: {doc.cover_url} (featured image: save it under content/images/ and set Image:)"
               for doc in docs if doc.cover_url]
    return _section("Remote images (download them with --download-images, or by hand):", listed)


def _id_set(value: str) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.import_wordpress",
                                     description="Import a WordPress export (WXR) into content/.")
    parser.add_argument("export", type=Path, help="the WXR file from WordPress > Tools > Export")
    parser.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    parser.add_argument("--download-images", action="store_true",
                        help="fetch every image the imported posts use into content/images/wordpress/")
    parser.add_argument("--redirects", type=Path, default=None,
                        help="the old-URL map to write (default: CONTENT/redirects/wordpress.json)")
    parser.add_argument("--comments", type=Path, default=None,
                        help="the comments data file (default: var/import/wordpress-comments.json beside CONTENT)")
    parser.add_argument("--load-comments", action="store_true",
                        help="then load the comments file into the forms outbox's comments store "
                             "(FORMS_DB), as `make import-wordpress` does")
    parser.add_argument("--signup-form-ids", default="", help="Contact Form 7 ids that are newsletter signups")
    parser.add_argument("--contact-form-ids", default="", help="Contact Form 7 ids that are contact forms")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    forms = FormRules(signup_ids=_id_set(args.signup_form_ids), contact_ids=_id_set(args.contact_form_ids))
    if not args.export.is_file():
        print(f"import_wordpress: {args.export} not found", file=sys.stderr)
        return 2
    try:
        report = run_import(args.export, args.content, args.force, forms, download_images=args.download_images,
                            redirects_path=args.redirects, comments_path=args.comments)
    except ExportError as exc:
        print(f"import_wordpress: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(format_summary(report))
    if args.load_comments and report.comments.get("comments"):
        # The build side may use the forms service's code (never the reverse).
        from forms.comments.cli import main as comments_main

        return comments_main(["import-wordpress", str(report.comments_path)])
    return 0
