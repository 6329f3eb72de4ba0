"""One build's image work, run once every generator has read the content:
find the images (covers, post bodies, static raster files), plan each output,
give posts and pages their pictures and social cards, and start encoding the
missing outputs on every core in the background (pool.py) while the pages
are rendered; when the build is finalized, wait for them and copy the rest
from the cache into output/."""

import logging
import os
import posixpath
import re
import shutil
import time
from urllib.parse import unquote, urlsplit

from pelican.generators import StaticGenerator

try:  # plugins/ on the path, as Pelican's PLUGIN_PATHS has it
    from parallel_writer.stale import prune
except ImportError:  # imported as plugins.images
    from plugins.parallel_writer.stale import prune

from . import cache, cards, pool
from .config import RASTER_SUFFIXES, read_config
from .markup import rewrite_body
from .model import Card, Picture, Source, Variant
from .encode import ImageError
from .pixels import probe

log = logging.getLogger(__name__)
STATE = {"config": None, "site_card": None, "siteurl": "", "origin": "", "stats": {}, "pending": None}


class Build:
    def __init__(self, settings, context, config):
        self.settings = settings
        self.context = context
        self.config = config
        self.root = os.path.abspath(settings["PATH"])
        self.output = os.path.abspath(settings["OUTPUT_PATH"])
        self.siteurl = settings.get("SITEURL", "")
        self.digests = cache.Digests(config.cache_path)
        self.sources = {}       # rel -> Source (or None: not a processable raster)
        self.tasks = {}         # source abs path (or None for generated) -> {key: transform}
        self.outputs = {}       # output-relative path -> (key, fmt)
        self.problems = []
        self.users = {}         # source abs path -> content files that show it
        self.encoding = set()   # keys the background workers encode and write
        self.reused = 0

    # -- sources ------------------------------------------------------------

    def source(self, rel):
        rel = posixpath.normpath(rel.lstrip("/"))
        if rel in self.sources:
            return self.sources[rel]
        path = os.path.join(self.root, rel)
        found = None
        fmt_hint = RASTER_SUFFIXES.get(os.path.splitext(rel)[1].lower())
        if fmt_hint and os.path.isfile(path):
            try:
                fmt, width, height, alpha, frames = probe(path)
            except Exception as error:  # noqa: BLE001 - a broken image is the writer's to fix
                self.problems.append(f"{path}: cannot read the image ({error.__class__.__name__}: {error})")
                fmt = None
            if fmt in ("JPEG", "PNG", "WEBP") and frames == 1:
                found = Source(path, rel, self.digests.of(path), fmt, width, height, alpha)
        self.sources[rel] = found
        return found

    def plan(self, source, transform, name):
        key = cache.key_of(source.digest if source else None, transform)
        self.tasks.setdefault(source.path if source else None, {})[key] = transform
        if name:
            name = name.format(key=key[:10])
            self.outputs[name] = (key, transform["fmt"])
        return key, name

    # -- pictures -----------------------------------------------------------

    def picture(self, source, alt, focus=(0.5, 0.5), user=None):
        config = self.config
        if user:
            self.users.setdefault(source.path, set()).add(os.path.relpath(user))
        formats = (["avif"] if config.avif else []) + ["webp"]
        fallback = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}[source.fmt]
        if fallback not in formats:
            formats.append(fallback)
        widths = [w for w in config.widths if w < source.width]
        if source.width <= config.widths[-1]:
            widths.append(source.width)  # the full size, never more
        else:
            widths.append(config.widths[-1])
        stem = _slug(posixpath.splitext(posixpath.basename(source.rel))[0])
        picture = Picture(source, alt, self.siteurl, config.sizes, fallback_fmt=fallback, focus=focus)
        for fmt in formats:
            variants = []
            for width in sorted(set(widths)):
                height = max(1, round(source.height * width / source.width))
                transform = {"op": "variant", "w": width, "h": height, "fmt": fmt,
                             "q": config.quality.get(fmt, 80), "need": max(width, height)}
                key, name = self.plan(source, transform,
                                      f"{config.output_dir}/{stem}-{width}.{{key}}.{cache.EXTENSIONS[fmt]}")
                variants.append(Variant(width, height, fmt, name, key))
            picture.formats[fmt] = variants
        return picture

    def clean_original(self, static, source):
        """The raster file itself, as linked: oriented, sRGB, no metadata, at
        most IMAGES_ORIGINAL_MAX px on its longest side."""
        width, height = source.width, source.height
        limit = self.config.original_max
        if limit and max(width, height) > limit:
            scale = limit / max(width, height)
            width, height = max(1, round(width * scale)), max(1, round(height * scale))
        fmt = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}[source.fmt]
        transform = {"op": "variant", "w": width, "h": height, "fmt": fmt,
                     "q": max(self.config.quality.get(fmt, 80), 85), "need": max(width, height)}
        key = cache.key_of(source.digest, transform)
        self.tasks.setdefault(source.path, {})[key] = transform
        self.outputs[static.save_as] = (key, fmt)

    # -- cards --------------------------------------------------------------

    def cover_card(self, source, focus, alt, slug):
        size = self.config.card_size
        box = cards.crop_box(source.width, source.height, focus, size)
        # The decoded image must be big enough that the crop still fills the card.
        longest = max(source.width, source.height)
        need = max(size[0] / (box[2] - box[0]) * longest / source.width,
                   size[1] / (box[3] - box[1]) * longest / source.height)
        transform = {"op": "card", "w": size[0], "h": size[1], "box": [round(b, 5) for b in box],
                     "fmt": "jpeg", "q": self.config.quality["card"], "bg": self.config.card_colors["bg"],
                     "need": round(need)}
        key, name = self.plan(source, transform, f"{self.config.output_dir}/{slug}-card.{{key}}.jpg")
        return Card(name, size[0], size[1], alt, "image/jpeg", key)

    def generated_card(self, title, label, slug, alt):
        size = self.config.card_size
        host = urlsplit(self.settings.get("SITE_ORIGIN") or self.siteurl).netloc
        transform = {"op": "gencard", "w": size[0], "h": size[1], "fmt": "png", "title": title,
                     "label": label, "site": self.settings.get("SITENAME", ""), "host": host,
                     "colors": self.config.card_colors, "font": cards.FONT_ID, "style": cards.CARD_STYLE}
        key, name = self.plan(None, transform, f"{self.config.output_dir}/{slug}-card.{{key}}.png")
        return Card(name, size[0], size[1], alt, "image/png", key)

    # -- running ------------------------------------------------------------

    def start_tasks(self):
        """Start encoding what the cache lacks, in the background; each result
        is written to the cache and straight to its places in output/."""
        missing_by_source, generated, self.reused = {}, [], 0
        for path, tasks in self.tasks.items():
            for key, transform in tasks.items():
                if cache.has(self.config.cache_path, key, transform["fmt"]):
                    self.reused += 1
                elif path is None:
                    generated.append((key, transform))
                else:
                    missing_by_source.setdefault(path, []).append((key, transform))
        self.encoding = {key for _, key_transforms in missing_by_source.items() for key, _ in key_transforms}
        self.encoding.update(key for key, _ in generated)
        targets = {}
        for name, (key, _) in self.outputs.items():
            if key in self.encoding:
                targets.setdefault(key, []).append(os.path.join(self.output, name))
        return pool.start(missing_by_source, generated, self.config, targets)

    def written_by_workers(self):
        return sum(1 for key, _ in self.outputs.values() if key in self.encoding)

    def copy_outputs(self):
        """Copy the outputs found in the cache (the encoded ones are written by the workers)."""
        copied = 0
        for name, (key, fmt) in self.outputs.items():
            if key in self.encoding:
                continue
            target = os.path.join(self.output, name)
            entry = cache.entry_path(self.config.cache_path, key, fmt)
            if os.path.isfile(target) and os.path.getsize(target) == os.path.getsize(entry) \
                    and self.config.output_dir and name.startswith(self.config.output_dir + "/"):
                continue  # fingerprinted: same name, same bytes
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(entry, target)
            copied += 1
        return copied


def run(generators):
    settings = generators[0].settings
    context = generators[0].context
    config = read_config(settings)
    STATE.update(config=config, siteurl=settings.get("SITEURL", ""),
                 origin=settings.get("SITE_ORIGIN") or settings.get("SITEURL", ""))
    _wait_for_stale()
    if not config.enabled:
        return
    started = time.perf_counter()
    build = Build(settings, context, config)

    # Raster static files: published as clean copies, never as uploaded.
    for generator in generators:
        if isinstance(generator, StaticGenerator):
            kept = []
            for static in generator.staticfiles:
                rel = static.relative_source_path.replace(os.sep, "/")
                source = build.source(rel)
                if source is None:
                    kept.append(static)
                else:
                    build.clean_original(static, source)
            generator.staticfiles[:] = kept

    for content in _contents(generators):
        _process(build, content)

    label = settings.get("SITESUBTITLE") or ""
    STATE["site_card"] = build.generated_card(label or settings.get("SITENAME", ""), "", "site",
                                              f"{settings.get('SITENAME', '')}: {label}".strip(": "))
    if build.problems:
        for problem in build.problems:
            log.error("images: %s", problem)
        build.digests.save()
        return
    try:
        background = build.start_tasks()
    except ImageError as error:
        _report(build, error)
        return
    STATE["pending"] = (build, background, started)


def reread(generator, content=None, previous=None):
    """One file read again by the preview: its images, as `run` makes them.
    Images it newly shows are encoded by the full build that follows."""
    config = read_config(generator.settings)
    if config.enabled:
        content.images_done = False  # a new object, whatever it took over from the old one
        _process(Build(generator.settings, generator.context, config), content)


def finish(_pelican=None):
    """Once the pages are written: wait for the encoding, copy what the cache
    had, drop outputs this build no longer makes, and report."""
    pending, STATE["pending"] = STATE.get("pending"), None
    if pending is None:
        return
    build, background, started = pending
    try:
        encoded = background.wait()
    except ImageError as error:
        _report(build, error)
        return
    copied = build.copy_outputs()
    # A retitled post's card, a dropped cover's variants: gone from a clean build, so gone here.
    prune(build.settings, list(build.outputs), "written-images.json")
    build.digests.save()
    stats = {"sources": sum(1 for s in build.sources.values() if s), "outputs": len(build.outputs),
             "encoded": encoded, "reused": build.reused, "copied": copied + build.written_by_workers(),
             "seconds": round(time.perf_counter() - started, 3)}
    STATE["stats"] = stats
    _write_stats(build.config.cache_path, stats)
    log.info("images: %(sources)d sources, %(encoded)d encoded, %(reused)d from the cache, "
             "%(copied)d copied to output in %(seconds).2fs", stats)


def _wait_for_stale():
    """A build that failed before `finalized` left its workers running: let them end."""
    pending, STATE["pending"] = STATE.get("pending"), None
    if pending is not None:
        try:
            pending[1].wait()
        except Exception:  # noqa: BLE001 - that build has already failed
            pass


def _report(build, error):
    users = sorted(build.users.get(error.path, ()))
    log.error("images: %s%s", error, f" (used by {', '.join(users)})" if users else "")


def _contents(generators):
    for generator in generators:
        for name in ("articles", "translations", "drafts", "drafts_translations", "hidden_articles",
                     "hidden_translations", "pages", "hidden_pages", "draft_pages"):
            yield from getattr(generator, name, None) or []


def _process(build, content):
    if getattr(content, "images_done", False):
        # Worked out by this process already: the preview's fast render keeps
        # the build's objects, whose body images are <picture> elements now.
        return
    meta = content.metadata
    source_file = getattr(content, "source_path", "?")
    focus = (0.5, 0.5)
    if meta.get("image_focus"):
        try:
            focus = cards.parse_focus(meta["image_focus"])
        except ValueError as error:
            build.problems.append(f"{source_file}: {error}")
    picture = None
    image = str(meta.get("image") or "").strip()
    alt = str(meta.get("image_alt") or "")
    if image:
        source = build.source(image)
        if source is not None:
            picture = build.picture(source, alt, focus, user=source_file)
    content.cover_picture = picture

    def resolve(src):
        rel = _local_path(src, content, build)
        if rel is None:
            return None
        source = build.source(rel)
        if source is not None:
            return build.picture(source, "", user=source_file)
        static = build.context.get("static_content", {}).get(rel)
        if static is not None and rel.lower().endswith(".gif"):
            try:
                _, width, height, _, _ = probe(os.path.join(build.root, rel))
            except Exception:  # noqa: BLE001 - left as written
                return None
            return (width, height, f"{build.siteurl}/{static.url}")
        return None

    if content._content and "<img" in content._content:
        content._content, _ = rewrite_body(content._content, resolve, picture is not None,
                                           build.config.eager_chars)

    slug = _slug(getattr(content, "slug", "") or posixpath.basename(source_file))
    if content.__class__.__name__ == "Article":
        slug = f"{content.date:%Y-%m}-{slug}" if getattr(content, "date", None) else slug
    title = _plain(meta.get("title", ""))
    if picture is not None:
        card = build.cover_card(picture.source, focus, alt or title, slug)
    else:
        category = str(meta.get("category", "")) if content.__class__.__name__ == "Article" else ""
        card = build.generated_card(title, category, slug,
                                    f"{title}" + (f" ({category})" if category else "")
                                    + f", {build.settings.get('SITENAME', '')}")
    content.social_card = card
    content.images_done = True


_PLACEHOLDER = re.compile(r"^[{|](static|attach|filename)[|}](.*)$")


def _local_path(src, content, build):
    """The content-relative path an <img src> names, if it is one of ours."""
    src = src.strip()
    match = _PLACEHOLDER.match(src)
    if match:
        path = unquote(urlsplit(match.group(2)).path)
        if path.startswith("/"):
            return posixpath.normpath(path[1:])
        base = posixpath.dirname(os.path.relpath(content.source_path, build.root).replace(os.sep, "/"))
        return posixpath.normpath(posixpath.join(base, path))
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    path = unquote(parts.path)
    site_path = urlsplit(build.siteurl).path.rstrip("/")
    if site_path and path.startswith(site_path + "/"):
        path = path[len(site_path):]
    rel = posixpath.normpath(path.lstrip("/"))
    for static in build.context.get("static_content", {}).values():
        if getattr(static, "url", None) == rel:
            return static.relative_source_path.replace(os.sep, "/")
    return None


def _slug(text):
    text = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return text[:60] or "image"


def _plain(text):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", str(text))).strip()


def _write_stats(cache_path, stats):
    import json

    os.makedirs(cache_path, exist_ok=True)
    with open(os.path.join(cache_path, "last-build.json"), "w", encoding="utf-8") as handle:
        json.dump(stats, handle)
