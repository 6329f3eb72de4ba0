"""What each page and feed depends on, as one digest, so a warm build renders only what changed.

A page's key is the digest of everything its rendering can read:
  - the site: every setting, every file of the theme, the project's code
    that is loaded (the plugins and what they import) and the version of
    every installed package;
  - the template's name and the output file;
  - the value of each context variable that the template, or a template it
    extends, includes or imports, names (found with jinja2.meta), and the
    Jinja environment's globals;
  - for a content object in those values, all its own fields (its body
    included); for the page's own article or page (a variable that is a
    content object), also the own fields of the content it points to by
    attribute (related posts, previous and next, translations). An item of a
    list is described by its own fields, where what it points to counts by
    URL only: a list shows its items, not their related posts. The pages
    before and after a page of a paginated list count by number and URL.
A body holding an internal link ({filename}, {static}, ...) depends on the
URL of every content object as well.

A feed's key is the site's digest and the digests of the items it shows.

Anything the digest cannot describe reliably (an object whose repr names its
memory address, a template whose includes are computed at render time)
gives a key that never matches, so that page is always rendered: an unknown
is never taken for unchanged. Objects can describe themselves with a
`render_key()` method.

The keys of the last build are kept in CACHE_PATH/render-keys.json, with
the output folder they describe.
"""

import datetime
import enum
import hashlib
import json
import os
import sys
import uuid
from functools import cached_property
from importlib import metadata
from pathlib import Path, PurePath

import jinja2
import jinja2.meta
from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper

RECORD = "render-keys.json"
_LINK_MARKERS = ("{filename}", "{static}", "{attach}", "{category}", "{tag}", "{author}",
                 "{index}", "|filename|", "|static|", "|attach|", "|category|", "|tag|",
                 "|author|", "|index|")
_SKIPPED_FIELDS = {"settings", "_context"}  # the settings are in the site's digest
# Memos set the first time something reads the value they keep, so present in
# one build and not in another: url_cache's copies of url and save_as (which
# are digested themselves).
_MEMO_PREFIXES = ("_remembered_",)


def _digest_file(path):
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _digest(value):
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class Keys:
    """The digests of one build: site-wide parts computed once, content memoized."""

    def __init__(self, settings, context):
        self.settings = settings
        self.context = context
        self._own = {}
        self._linked = {}
        self._lists = {}
        self._names = {}
        self._url_map = None
        self.files = self._site_files()
        self.site = _digest((self.files, self.encode(dict(settings))))
        self._parsed = {}  # template name -> (names it reads, templates it pulls in)
        self._env_globals = {}  # id(environment) -> (environment, digest of its globals)

    # -- the site -------------------------------------------------------------------

    def prepare(self, contents):
        """Digest `contents` now: done before the writer forks, so that every
        process inherits the digests instead of making them again."""
        for content in contents:
            self.linked(content)

    def _site_files(self):
        """The theme's files and the code that renders: every loaded module
        that is not part of Python or an installed package (the plugins and
        what they import from the project), and every installed package's version."""
        folders = [self.settings.get("THEME", "")]
        folders += list(self.settings.get("THEME_TEMPLATES_OVERRIDES", ()))
        paths = set()
        for folder in {str(f) for f in folders if f}:
            paths.update(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        libraries = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None)
            if source and source.endswith(".py") and not os.path.realpath(source).startswith(libraries):
                paths.add(Path(source))
        files = tuple((str(p), _digest_file(p)) for p in sorted(paths) if p.is_file())
        packages = tuple(sorted((d.metadata["Name"] or "", d.version) for d in metadata.distributions()))
        return files, packages

    # -- templates ------------------------------------------------------------------

    def names(self, template):
        """The context variables `template` and the templates it pulls in can read;
        None when that cannot be known (an include computed at render time)."""
        name = template.name
        if name not in self._names:
            self._names[name] = self._names_of(template.environment, name)
        return self._names[name]

    def _names_of(self, env, root):
        seen, todo, names = set(), [root], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            parsed = self._parse(env, name)
            if parsed is None:
                return None
            names.update(parsed[0])
            todo.extend(parsed[1])
        return sorted(names)

    def _parse(self, env, name):
        if name not in self._parsed:
            try:
                source, _, _ = env.loader.get_source(env, name)
                tree = env.parse(source)
            except jinja2.TemplateError:
                self._parsed[name] = None
            else:
                used = list(jinja2.meta.find_referenced_templates(tree))
                self._parsed[name] = (None if None in used else
                                      (sorted(jinja2.meta.find_undeclared_variables(tree)), used))
        return self._parsed[name]

    def remembered_names(self):
        """The template names found, for the record: a later build with the same
        site files reuses them instead of parsing every template again."""
        return {"site": self.site, "names": self._names}

    def remember_names(self, record):
        if record and record.get("site") == self.site:
            self._names.update(record.get("names", {}))

    def page(self, template, localcontext):
        names = self.names(template)
        if names is None:
            return None
        missing = object()
        values = []
        for name in names:
            value = localcontext.get(name, missing)
            if value is missing:
                value = template.environment.globals.get(name, missing)
            if name.endswith(("_previous_page", "_next_page")) and isinstance(value, Page):
                value = ("neighbouring page", value.number, value.full_name, value.base_url)
            values.append((name, None if value is missing else self.encode(value)))
        return _digest((self.site, self._globals(template.environment), template.name,
                        localcontext.get("output_file"), values))

    def _globals(self, env):
        """The environment's globals (jinja2.meta does not count them among a
        template's names): Jinja's own, the settings' JINJA_GLOBALS, plugins' ones."""
        key = id(env)
        if key not in self._env_globals:
            self._env_globals[key] = (env, _digest(self.encode(dict(env.globals))))
        return self._env_globals[key][1]

    def feed(self, elements, path, url, feed_type, feed_title):
        items = [self.own(e) for e in elements[: self.settings.get("FEED_MAX_ITEMS")]]
        return _digest((self.site, "feed", path, url, feed_type, self.encode(feed_title), items))

    # -- values ---------------------------------------------------------------------

    def encode(self, value, depth=0):
        """A deterministic, hashable description of `value` for the digest."""
        if value is None or isinstance(value, (bool, int, float, str, bytes)):
            return value
        if isinstance(value, Content):
            return ("content", self.linked(value) if depth == 0 else self.own(value))
        if isinstance(value, URLWrapper):
            return (type(value).__name__, value.name, value.slug, value.url)
        if isinstance(value, Page):
            return ("page", value.full_name, value.base_url, value.number,
                    self.encode(value.object_list, depth + 1), self.encode(value.paginator, depth + 1))
        if isinstance(value, Paginator):
            return ("paginator", value.name, value.url, value.per_page, value.count, value.num_pages)
        if isinstance(value, (datetime.date, datetime.time, datetime.timedelta, PurePath, enum.Enum)):
            return repr(value)
        if depth > 6:
            return _never()
        if isinstance(value, (list, tuple)):
            # The site's long lists (all posts, a tag's posts) are shown on many
            # pages: each is described once. The list is kept with its
            # description so that its id cannot be reused by another list.
            long = isinstance(value, list) and len(value) > 50
            if long and id(value) in self._lists:
                return self._lists[id(value)][1]
            encoded = tuple(self.encode(item, depth + 1) for item in value)
            if long:
                encoded = ("list", _digest(encoded))
                self._lists[id(value)] = (value, encoded)
            return encoded
        if isinstance(value, dict):
            return ("dict", tuple(sorted(((repr(k), self.encode(v, depth + 1)) for k, v in value.items()))))
        if isinstance(value, (set, frozenset)):
            return ("set", tuple(sorted(repr(self.encode(v, depth + 1)) for v in value)))
        if hasattr(value, "render_key"):
            return ("own", value.render_key())
        if callable(value) and hasattr(value, "__qualname__"):
            return ("code", getattr(value, "__module__", ""), value.__qualname__)
        if type(value).__module__ == "builtins" and type(value).__name__ == "module":
            return ("module", value.__name__)
        text = repr(value)
        if " at 0x" in text or " object at " in text:
            return _never()
        return (type(value).__qualname__, text)

    def own(self, content):
        """All of a content object's fields, with the content it points to as its URL."""
        key = id(content)
        if key not in self._own:
            fields = []
            for name, value in sorted(_fields(content)):
                fields.append((name, self._shallow(value)))
            fields.append(("url", content.url))
            fields.append(("save_as", content.save_as))
            body = getattr(content, "_content", None) or ""
            if any(marker in body for marker in _LINK_MARKERS):
                fields.append(("site urls", self.url_map()))
            self._own[key] = _digest(tuple(fields))
        return self._own[key]

    def linked(self, content):
        """A content object's own digest and those of the content it points to."""
        key = id(content)
        if key not in self._linked:
            pointed = []
            for _, value in sorted(_fields(content)):
                pointed.extend(self.own(c) for c in _contents_in(value))
            self._linked[key] = _digest((self.own(content), tuple(pointed)))
        return self._linked[key]

    def _shallow(self, value, depth=0):
        if isinstance(value, Content):
            return ("ref", value.url, value.source_path)
        if depth < 4 and isinstance(value, (list, tuple)):
            return tuple(self._shallow(v, depth + 1) for v in value)
        if depth < 4 and isinstance(value, dict):
            return ("dict", tuple(sorted((repr(k), self._shallow(v, depth + 1)) for k, v in value.items())))
        return self.encode(value, depth + 1)

    def url_map(self):
        if self._url_map is None:
            urls = []
            for group in ("generated_content", "static_content"):
                for source, content in sorted((self.context.get(group) or {}).items()):
                    urls.append((source, getattr(content, "url", None)))
            self._url_map = _digest(tuple(urls))
        return self._url_map


def _fields(content):
    """A content object's own fields. Values a cached_property or a memo has
    kept are left out: they follow from the fields, and exist only once
    something asked for them."""
    derived = _derived(type(content))
    return [(n, v) for n, v in vars(content).items()
            if n not in _SKIPPED_FIELDS and n not in derived and not n.startswith(_MEMO_PREFIXES)]


_derived_names = {}


def _derived(cls):
    if cls not in _derived_names:
        _derived_names[cls] = {name for klass in cls.__mro__ for name, member in vars(klass).items()
                               if isinstance(member, cached_property)}
    return _derived_names[cls]


def _contents_in(value, depth=0):
    if isinstance(value, Content):
        yield value
    elif depth < 3 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _contents_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _contents_in(item, depth + 1)


def _never():
    """A part no later build can match: the page is always rendered."""
    return ("unknown", uuid.uuid4().hex)


# -- the record of the last build ------------------------------------------------------

def load(settings):
    """The last build's record: {"keys": {output name: key}, "templates": ...},
    or {} when there is none for this output folder."""
    output = os.path.abspath(settings["OUTPUT_PATH"])
    try:
        with open(_path(settings), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return record if record.get("output") == output else {}


def save(settings, keys, templates):
    path = _path(settings)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"output": os.path.abspath(settings["OUTPUT_PATH"]), "keys": keys,
                   "templates": templates}, handle)
    os.replace(temporary, path)


def forget(settings):
    try:
        os.remove(_path(settings))
    except FileNotFoundError:
        pass


def _path(settings):
    return os.path.join(settings.get("CACHE_PATH", "cache"), RECORD)
