"""The page a plain (no-JavaScript) form post gets when something needs fixing.

It is the built site's /form-error/ page, so it has the site's look, filled
in here: the form the visitor sent, with what they typed still in it, each
problem named under its field and listed, linked to the field, in a summary
at the top. Only the problems of this post are shown.

The shell comes from FORMS_ERROR_PAGE (a URL or a file path), by default
`$SITEURL/form-error/`, or `output/form-error/index.html` when SITEURL is
empty (development); `off` keeps the older answer, a redirect to the static
/form-error/ page naming one problem. The theme writes into it (templates/form_error.html):

    <div data-form-fix-slot>...</div>            replaced by the summary and the form
    <template data-form-fix="subscribe">...</template>   one per form: the form
    <template data-form-fix="contact">...</template>     as the theme renders it
    <template data-form-fix="comment">...</template>

The shell is cached for a minute; a stale copy is served while a thread
fetches the next, and a failed fetch keeps the last good copy. Only the
first read of all waits in the request (a local file in development; the
site itself, a static host or CDN, in production). Without any copy,
`render` returns None and the caller falls back to a redirect.

    ErrorPages(settings).render(form, errors, fields, messages) -> str | None
    page_response(request, form, status, errors, headers) -> HTMLResponse | None
                                             (forms.app's hook for plain form posts)
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from starlette.responses import HTMLResponse

from .settings import PROJECT_ROOT, Settings
from .validation import ERRORS

log = logging.getLogger("forms.error_page")

TTL = 60.0
MAX_BYTES = 1024 * 1024
SLOT = "data-form-fix-slot"
TEMPLATE = "data-form-fix"
# Fields that must never be filled back in: the honeypot, and the time trap's
# stamp (a new page view starts a new count).
NEVER_REFILL = {"website", "rendered_at"}
_TRUE = {"on", "true", "1", "yes", "y", "checked"}
_ROOT_RELATIVE = re.compile(r"""(\b(?:href|src|action)=["']?)/(?!/)""")


def default_location(settings: Settings) -> str:
    if settings.error_page:
        return settings.error_page
    if settings.siteurl:
        return f"{settings.siteurl}/form-error/"
    return str(PROJECT_ROOT / "output" / "form-error" / "index.html")


class ErrorPages:
    """The /form-error/ shell, cached, and the pages made from it."""

    def __init__(self, settings: Settings, location: str | None = None, ttl: float = TTL):
        self.settings = settings
        self.location = location or default_location(settings)
        self.ttl = ttl
        self._shell: str | None = None
        self._loaded_at = 0.0
        self._refreshing = False
        self._lock = threading.Lock()

    # -- the shell -----------------------------------------------------------

    def _read(self) -> str:
        if self.location.startswith(("http://", "https://")):
            with urllib.request.urlopen(self.location, timeout=3) as response:
                text = response.read(MAX_BYTES).decode("utf-8")
            if self.settings.siteurl:
                # A development build links root-relative; this page is served from
                # the forms service's origin, so they must name the site's.
                text = _ROOT_RELATIVE.sub(lambda m: m.group(1) + self.settings.siteurl + "/", text)
        else:
            text = Path(self.location).read_text(encoding="utf-8")
        if TEMPLATE not in text:
            raise ValueError(f"no {TEMPLATE} template in it (is it the theme's form-error page?)")
        return text

    def _refresh(self) -> None:
        try:
            shell = self._read()
        except (OSError, ValueError) as exc:
            log.warning("form errors: cannot read the error page %s: %s", self.location, exc)
            with self._lock:
                self._loaded_at = time.monotonic()  # try again after the TTL, not at once
                self._refreshing = False
            return
        with self._lock:
            self._shell, self._loaded_at, self._refreshing = shell, time.monotonic(), False

    def shell(self) -> str | None:
        """The cached shell. The first call reads it in place; later, a stale copy is
        served while a thread reads the next, so a request never waits for the site."""
        with self._lock:
            shell, stale = self._shell, time.monotonic() - self._loaded_at > self.ttl
            start_thread = shell is not None and stale and not self._refreshing
            if start_thread:
                self._refreshing = True
        if shell is None:
            self._refresh()
            return self._shell
        if start_thread:
            threading.Thread(target=self._refresh, name="forms-error-page", daemon=True).start()
        return shell

    # -- the page ------------------------------------------------------------

    def render(self, form: str, errors: dict[str, str], fields: dict, messages: dict[str, str]
               ) -> str | None:
        """The error page for a post of `form` ("subscribe", "contact", "comment"):
        `errors` maps a field to an error code, `messages` a code to its words,
        `fields` holds what was posted. None when no shell can be had."""
        if self.location == "off":
            return None
        shell = self.shell()
        if shell is None:
            return None
        parts = _Shell.split(shell)
        if parts is None or form not in parts.templates:
            log.warning("form errors: the error page has no %s form", form)
            return None
        filled, problems = fill_form(parts.templates[form], errors, fields, messages)
        return parts.assemble(summary(problems) + filled, len(problems))


# -- reading the shell ------------------------------------------------------------

class _Positions(HTMLParser):
    """Where the slot and each form template start and end in the shell."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.slot: list[int] = []          # [start of inner, end of inner]
        self.templates: dict[str, list[int]] = {}
        self.spans: list[tuple[int, int]] = []  # whole <template> elements, to remove
        self._open: list[tuple[str, str | None, int, int]] = []  # tag, role, outer start, inner start

    def _here(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        start = self._here()
        inner = self.text.index(">", start) + 1
        role = None
        if tag == "template" and TEMPLATE in attributes:
            role = "template:" + (attributes[TEMPLATE] or "")
        elif SLOT in attributes:
            role = "slot"
        if role or (self._open and tag == self._open[-1][0]):
            self._open.append((tag, role, start, inner))

    def handle_endtag(self, tag):
        if not self._open or self._open[-1][0] != tag:
            return
        _, role, outer, inner = self._open.pop()
        end = self._here()
        close = self.text.index(">", end) + 1
        if role == "slot":
            self.slot = [inner, end]
        elif role and role.startswith("template:"):
            self.templates[role.split(":", 1)[1]] = [inner, end]
            self.spans.append((outer, close))


class _Shell:
    def __init__(self, text, slot, templates, spans):
        self.text, self.slot, self.spans = text, slot, spans
        self.templates = {name: text[a:b] for name, (a, b) in templates.items()}

    @classmethod
    def split(cls, text: str) -> "_Shell | None":
        found = _Positions(text)
        found.feed(text)
        found.close()
        if not found.slot:
            return None
        return cls(text, found.slot, found.templates, found.spans)

    def assemble(self, content: str, count: int) -> str:
        """The shell with `content` in the slot, the templates gone, and the title marked."""
        cuts = sorted([(self.slot[0], self.slot[1], content)]
                      + [(a, b, "") for a, b in self.spans], reverse=True)
        text = self.text
        for start, end, replacement in cuts:
            text = text[:start] + replacement + text[end:]
        word = "problem" if count == 1 else "problems"
        return re.sub(r"<title>", f"<title>Error ({count} {word}): ", text, count=1)


# -- filling the form -----------------------------------------------------------

class _Fields(HTMLParser):
    """First pass over a form: each field's id, type and label, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[dict] = []     # {"name", "id", "type", "described"}
        self.labels: dict[str, str] = {}
        self._label: str | None = None
        self._label_text: list[str] = []
        self._skip = 0  # inside a span of the label: "(required)" is no part of its name

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "textarea", "select") and a.get("name"):
            self.fields.append({"name": a["name"], "id": a.get("id"), "type": (a.get("type") or tag),
                                "described": a.get("aria-describedby")})
        elif tag == "label":
            self._label, self._label_text = a.get("for"), []
        elif tag == "span" and self._label is not None:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "label" and self._label is not None:
            self.labels[self._label] = " ".join("".join(self._label_text).split())
            self._label = None
        elif tag == "span" and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._label is not None and not self._skip:
            self._label_text.append(data)


class _Filler(HTMLParser):
    """Second pass: the form again, with values, checked boxes, aria-invalid and the
    field errors shown. Start tags that need no change are copied as written."""

    def __init__(self, values: dict[str, str], invalid: set[str], notes: dict[str, str]):
        super().__init__(convert_charrefs=False)
        self.values, self.invalid, self.notes = values, invalid, notes
        self.out: list[str] = []
        self._textarea: str | None = None
        self._note: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        changed = False
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "checkbox":
                if name in self.values:
                    a.pop("checked", None)
                    if self.values[name].strip().lower() in _TRUE:
                        a["checked"] = None
                    changed = True
            elif name in self.values:
                # A one-line field cannot hold a line break (HTML strips it): a space instead.
                a["value"] = " ".join(self.values[name].splitlines())
                changed = True
            if name in self.invalid:
                a["aria-invalid"] = "true"
                changed = True
        elif tag == "textarea" and name:
            if name in self.invalid:
                a["aria-invalid"] = "true"
                changed = True
            if name in self.values:
                self._textarea = self.values[name]
        elif tag == "p" and a.get("id") in self.notes:
            self._note = self.notes[a["id"]]
            a.pop("hidden", None)
            changed = True
        self.out.append(_tag(tag, a) if changed else self.get_starttag_text())

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.out.append(html.escape(self._textarea, quote=False))
            self._textarea = None
        elif tag == "p" and self._note is not None:
            self.out.append(html.escape(self._note, quote=False))
            self._note = None
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if self._textarea is None and self._note is None:
            self.out.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")


def _tag(tag: str, attributes: dict) -> str:
    parts = [tag] + [key if value is None else f'{key}="{html.escape(value, quote=True)}"'
                     for key, value in attributes.items()]
    return "<" + " ".join(parts) + ">"


def fill_form(form_html: str, errors: dict[str, str], fields: dict, messages: dict[str, str]
              ) -> tuple[str, list[tuple[str, str | None, str]]]:
    """(the form filled in, [(label, field id or None, message), ...] in the form's order)."""
    found = _Fields()
    found.feed(form_html)
    found.close()
    by_name = {f["name"]: f for f in found.fields}
    values = {}
    for name, value in fields.items():
        if name in by_name and name not in NEVER_REFILL and isinstance(value, (str, int, float)):
            values[name] = str(value)
    problems, notes, invalid = [], {}, set()
    for field in found.fields:
        code = errors.get(field["name"])
        if not code:
            continue
        message = messages.get(code, code)
        visible = field["type"] != "hidden"
        if visible:
            invalid.add(field["name"])
            if field["described"]:
                notes[field["described"]] = message
            # A checkbox's label is a sentence: its message alone names it ("Tick the box ...").
            label = "" if field["type"] == "checkbox" else found.labels.get(field["id"], field["name"])
            problems.append((label, field["id"], message))
        else:
            values.pop(field["name"], None)  # e.g. a reply to a comment now gone: post it anew
            problems.append(("", None, message))
    for name, code in errors.items():  # the form as a whole: origin, rate limit, server
        if name not in by_name:
            problems.append(("", None, messages.get(code, code)))
    filler = _Filler(values, invalid, notes)
    filler.feed(form_html)
    filler.close()
    return "".join(filler.out), problems


def summary(problems: list[tuple[str, str | None, str]]) -> str:
    """The list at the top of the page: each problem, linked to its field."""
    count = len(problems)
    title = "There is a problem" if count == 1 else f"There are {count} problems"
    items = []
    for label, field_id, message in problems:
        text = html.escape(f"{label}: {message}" if label else message)
        items.append(f'<li><a href="#{html.escape(field_id)}">{text}</a></li>' if field_id
                     else f"<li>{text}</li>")
    return ('<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">'
            f'<h2 id="error-summary-title">{title}</h2>'
            '<p>What you typed is still in the form below. Fix what is marked, then send it again.</p>'
            f'<ul>{"".join(items)}</ul></div>\n')


def page_response(request, form: str, status: int, errors: dict[str, str],
                  headers: dict[str, str]) -> HTMLResponse | None:
    """The error page as the response to a plain form post, or None without a shell.
    What was posted comes from request.state.fields (set once the body is read)."""
    pages = getattr(request.app.state, "error_pages", None)
    if pages is None:
        pages = request.app.state.error_pages = ErrorPages(request.app.state.forms.settings)
    try:
        page = pages.render(form, errors, getattr(request.state, "fields", {}) or {}, ERRORS)
    except Exception:  # a page we cannot fill in must not turn a visitor's mistake into a 500
        log.exception("form errors: cannot fill in the error page %s", pages.location)
        page = None
    if page is None:
        return None
    return HTMLResponse(page, status_code=status, headers={
        **headers, "Cache-Control": "no-store", "X-Robots-Tag": "noindex"})
