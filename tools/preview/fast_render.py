"""Render the pages a save touched, from the site a finished build holds in memory.

The preview's build process keeps its Pelican run (HotSite) once the full
build is done, and for each save it forks; the copy renders the saved files'
pages into the output and ends, leaving the build's state as it was. Two
ways, by what the save changed:

  * Same front matter (the common edit: a sentence, a paragraph, a new word).
    Only the text changed, and every other page depends on a post's front
    matter, not its text (but for a summary taken from the text: the home
    page is then rendered again too). The file is read again, its new
    object takes the old one's place in the site, with what the plugins
    worked out from the front matter for the old one (related posts,
    neighbours, comments, cover, card), and the plugins that work on the
    text at the end of the context step get it through the named signal
    `preview_content_reread` (sender: the generator; content, previous).
    The cost is one file's parse and one page's render, whatever the site's
    size.
  * Anything else (a new file, a deleted one, a changed title, date, tag,
    status...). Pelican's context step runs again with the content objects
    the build already has, reading only the changed files, and the plugins
    see a whole site, as in a full build.

Either way, only these pages are rendered: the page of each file read again,
the first page of the home page listing when a post's place in it may have
changed, and the drafts listing when a draft did. They are rendered into a
folder beside the output and moved into it, so a browser never reads a
half-written page. The pages of deleted files are removed. The full build
that follows does the rest (other listings, feeds, search, email previews)
and writes these pages again, the same.
"""

import logging
import os
import tempfile
from dataclasses import dataclass, field
from functools import partial

from blinker import signal
from pelican import signals
from pelican.contents import Article
from pelican.generators import ArticlesGenerator, PagesGenerator, StaticGenerator
from pelican.writers import Writer

from plugins.pelican_internals import forget_logged_messages

log = logging.getLogger(__name__)
content_reread = signal("preview_content_reread")
_CONTENT_GROUPS = ("articles", "translations", "drafts", "drafts_translations",
                   "hidden_articles", "hidden_translations",
                   "pages", "hidden_pages", "draft_pages", "draft_translations")


@dataclass
class HotSite:
    """What a finished build leaves to render from: the Pelican instance and its generators."""
    pelican: object = None
    generators: list = field(default_factory=list)
    finalized: bool = False      # the run reached `finalized`: every page was handed to the writer

    def capture(self):
        """Remember the next run's Pelican instance and generators. Connected
        before the plugins, so `finalized` is seen before their receivers run."""
        signals.initialized.connect(self._pelican, weak=False)
        signals.all_generators_finalized.connect(self._generators, weak=False)
        signals.finalized.connect(self._finalized, weak=False)

    def _pelican(self, pelican):
        self.pelican = pelican

    def _generators(self, generators):
        self.generators = list(generators)

    def _finalized(self, _pelican):
        self.finalized = True

    @property
    def ready(self):
        return self.pelican is not None and bool(self.generators)

    def pages(self):
        """Each content file's output, as {source path: save_as}."""
        return {content.source_path: content.save_as
                for generator in self.generators for content in contents(generator)
                if getattr(content, "save_as", None)}


@dataclass
class Rendered:
    written: list        # output paths (relative) rewritten
    removed: list        # output paths (relative) of deleted files' pages, removed
    sources: dict        # source path -> save_as, for the files read again
    reread: list         # source paths read again (or for the first time)
    way: str             # "text" or "context"


def contents(generator):
    for group in _CONTENT_GROUPS:
        yield from getattr(generator, group, None) or ()


def render_changes(hot, changed):
    """In a fork of the build process: render the pages of `changed`
    (absolute source paths saved since the hot build began). Returns Rendered."""
    changed = sorted({os.path.abspath(path) for path in changed})
    forget_logged_messages()
    by_source = {c.source_path: (g, c) for g in hot.generators for c in contents(g)}
    swaps = []
    for path in changed:
        if path not in by_source or not os.path.isfile(path):
            break
        generator, old = by_source[path]
        new = _read_again(generator, old)
        if new is None or not _same_front_matter(old, new):
            break
        swaps.append((generator, old, new))
    else:
        if swaps:
            return _render_text_changes(hot, swaps)
    return _render_in_context(hot, changed)


# -- same front matter: the new object in the old one's place ------------------------------

def _read_again(generator, old):
    """The file read again as Pelican reads it (with content_object_init), or
    None when it does not read (the context step then reports it as Pelican does)."""
    articles = isinstance(generator, ArticlesGenerator)
    try:
        new = generator.readers.read_file(
            base_path=generator.path, path=os.path.relpath(old.source_path, generator.path),
            content_class=type(old), context=generator.context,
            preread_signal=signals.article_generator_preread if articles else signals.page_generator_preread,
            preread_sender=generator,
            context_signal=signals.article_generator_context if articles else signals.page_generator_context,
            context_sender=generator)
    except Exception:  # noqa: BLE001 - reported by the context step's own read
        return None
    return new if isinstance(new, type(old)) and new.is_valid() else None


def _same_front_matter(old, new):
    return old.metadata == new.metadata and old.save_as == new.save_as and old.status == new.status


def _render_text_changes(hot, swaps):
    listings = set()
    for generator, old, new in swaps:
        for key, value in vars(old).items():
            if key not in vars(new):    # what the plugins added after reading: front matter's work
                setattr(new, key, value)
        _replace(generator, old, new)
        content_reread.send(generator, content=new, previous=old)
        if isinstance(new, Article) and new.status == "published" and new.summary != old.summary:
            listings.add(hot.pelican.settings.get("INDEX_SAVE_AS") or "index.html")
    reread = [new for _, _, new in swaps]
    generators = {id(g): g for g, _, _ in swaps}.values()
    written = _write(hot.pelican, generators, reread, listings)
    return Rendered(written=written, removed=[], way="text",
                    reread=[c.source_path for c in reread],
                    sources={c.source_path: c.save_as for c in reread if c.save_as})


def _replace(generator, old, new):
    """Put `new` wherever the site holds `old`: the generator's lists, the
    context's lists and mappings, the taxonomies' (name, [posts]) pairs."""
    def swap(value, depth):
        if isinstance(value, list):
            for index, item in enumerate(value):
                if item is old:
                    value[index] = new
                elif depth and isinstance(item, (list, tuple, dict)):
                    swap(item, depth - 1)
        elif isinstance(value, tuple) and depth:
            for item in value:
                if isinstance(item, (list, dict)):
                    swap(item, depth - 1)
        elif isinstance(value, dict) and depth:
            for key, item in value.items():
                if item is old:
                    value[key] = new
                elif isinstance(item, (list, tuple, dict)):
                    swap(item, depth - 1)

    for value in vars(generator).values():
        if isinstance(value, (list, dict)) and value is not generator.context:
            swap(value, 3)
    swap(generator.context, 4)


# -- anything else: Pelican's context step again, from the objects it has --------------------

def _render_in_context(hot, changed):
    pelican = hot.pelican
    # A new run as far as the plugins know: they reset their per-build state.
    signals.initialized.send(pelican)
    settings = dict(pelican.settings, PARALLEL_READERS=0, CACHE_CONTENT=False,
                    LOAD_CONTENT_CACHE=False, CONTENT_CACHING_LAYER="generator")
    context = settings.copy()
    context.update(generated_content={}, static_links=set(), static_content={},
                   localsiteurl=settings["SITEURL"])
    changed = set(changed)
    known, generators = {}, []
    for old in hot.generators:
        generator = type(old)(context=context, settings=settings, path=pelican.path,
                              theme=pelican.theme, output_path=pelican.output_path)
        kept = {os.path.relpath(c.source_path, generator.path): c for c in contents(old)
                if c.source_path not in changed}
        known.update((c.source_path, c) for c in contents(old))
        # What the generator would read from its cache: the objects it already has.
        generator.get_cached_data = lambda name, default=None, kept=kept: kept.get(name, default)
        generators.append(generator)
    for generator in generators:
        generator.generate_context()
        if hasattr(generator, "check_disabled_readers"):
            generator.check_disabled_readers()
    signals.all_generators_finalized.send(generators)
    for generator in generators:
        if hasattr(generator, "refresh_metadata_intersite_links"):
            generator.refresh_metadata_intersite_links()

    fresh = {c.source_path: c for g in generators for c in contents(g)}
    reread = [c for path, c in fresh.items() if known.get(path) is not c]
    deleted = [known[p] for p in known if p not in fresh and not os.path.exists(p)]
    listings = set()
    if any(isinstance(c, Article) for c in (*reread, *deleted)):
        listings.add(settings.get("INDEX_SAVE_AS") or "index.html")
    if any(c.status == "draft" for c in (*reread, *deleted)) and settings.get("DRAFTS_SAVE_AS"):
        listings.add(settings["DRAFTS_SAVE_AS"])
    written = _write(pelican, [g for g in generators if not isinstance(g, StaticGenerator)],
                     reread, listings)
    removed = [c.save_as for c in deleted
               if c.save_as and c.save_as not in written and _remove(pelican.output_path, c.save_as)]
    return Rendered(written=written, removed=removed, way="context",
                    reread=[c.source_path for c in reread],
                    sources={c.source_path: c.save_as for c in reread if c.save_as})


# -- writing the wanted pages ---------------------------------------------------------------------

def _write(pelican, generators, reread, listings):
    """Ask the generators for their pages through a writer that only records,
    and render the pages of `reread` and the first page of each listing in `listings`."""
    settings = pelican.settings
    recorder = _Recorder(pelican.output_path, settings=settings)
    write = partial(recorder.write_file, relative_urls=settings["RELATIVE_URLS"])
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            generator.generate_articles(write)
            generator.generate_drafts(write)
            if listings:
                generator.generate_direct_templates(write)
        elif isinstance(generator, PagesGenerator):
            generator.generate_output(recorder)
    wanted_ids = {id(c) for c in reread}
    wanted = []
    for job in recorder.jobs:
        name, _, _, _, kwargs = job
        content = kwargs.get("article") or kwargs.get("page")
        if content is not None and id(content) in wanted_ids:
            wanted.append((job, False))
        elif content is None and name in listings:
            wanted.append((job, True))
    return _render(pelican.output_path, settings, wanted)


class _Recorder(Writer):
    """Records the pages Pelican asks for; writes nothing."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.jobs = []

    def write_file(self, name, template, context, *args, **kwargs):
        if name:
            self.jobs.append((name, template, context, args, kwargs))

    def write_feed(self, *args, **kwargs):
        return None


class _FirstPageOnly:
    """A template that renders once: the first page of a paginated listing."""

    def __init__(self, template):
        self.template, self.done = template, False

    def render(self, *args, **kwargs):
        if self.done:
            raise _Enough
        self.done = True
        return self.template.render(*args, **kwargs)


class _Enough(Exception):
    pass


def _render(output, settings, wanted):
    """Render the wanted pages into a folder beside `output`, then move each
    into place; returns their paths relative to `output`."""
    parent = os.path.dirname(os.path.abspath(output))
    written = []
    with tempfile.TemporaryDirectory(prefix=".preview-", dir=parent) as scratch:
        writer = Writer(scratch, settings=settings)
        for (name, template, context, args, kwargs), first_only in wanted:
            template = _FirstPageOnly(template) if first_only else template
            try:
                writer.write_file(name, template, context, *args, **kwargs)
            except _Enough:
                pass
        for folder, _, names in os.walk(scratch):
            for filename in names:
                source = os.path.join(folder, filename)
                relative = os.path.relpath(source, scratch)
                target = os.path.join(output, relative)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(source, target)
                written.append(relative.replace(os.sep, "/"))
    return sorted(written)


def _remove(output, save_as):
    target = os.path.normpath(os.path.join(output, save_as))
    if os.path.commonpath([os.path.abspath(output), target]) != os.path.abspath(output):
        return False
    try:
        os.remove(target)
        return True
    except FileNotFoundError:
        return False
