"""Finding shortcode paragraphs in rendered HTML and rendering their partials."""

import html
import re
from collections import Counter

# <p>[name key="value" ...]</p>. Smarty may have curled the quotes either
# way (after "=" it picks a closing quote), raw or as entities.
_QUOTE = r"(?:\"|&quot;|&[lr]dquo;|[“”])"
_PARAGRAPH = re.compile(
    r"<p>\[([a-z][a-z0-9_-]*)((?:\s+[a-z_]+=" + _QUOTE + r"[^\]]*?" + _QUOTE + r")*)\s*\]</p>")
_ATTRIBUTE = re.compile(r"([a-z_]+)=[\"“”](.*?)[\"“”]")


class ShortcodeError(ValueError):
    """An unknown shortcode; Pelican reports it with the file's name."""


def expand_shortcodes(markup, shortcodes, env, content, once=(), repeated=None, used=None):
    """`markup` with each shortcode paragraph replaced by its rendered partial.

    A shortcode named in `once` (a form) renders its partial the first time
    only; a repeat renders the same partial with `repeat` set (a link to the
    form above) and is reported through `repeated(name, line_text)`. `used`,
    a Counter if given, counts the shortcodes rendered."""
    used = Counter() if used is None else used
    if not markup or "[" not in markup:
        return markup

    def render(match):
        name, raw_attributes = match.group(1), html.unescape(match.group(2))
        if name not in shortcodes:
            known = ", ".join(f"[{n}]" for n in sorted(shortcodes))
            raise ShortcodeError(f"{_line_of(content, '[' + name)}unknown shortcode [{name}]; "
                                 f"known shortcodes: {known}")
        used[name] += 1
        repeat = name in once and used[name] > 1
        if repeat and repeated is not None:
            repeated(name, _line_of(content, "[" + name, nth=used[name]))
        attributes = dict(_ATTRIBUTE.findall(raw_attributes))
        context = dict(content.settings)
        context.update(
            form_id=f"{name}-{1 if repeat else used[name]}",
            form_title=attributes.get("title", ""),
            source="/" + content.url.replace("index.html", ""),
            output_file=content.save_as,
            shortcode=attributes,
            repeat=repeat,
        )
        return env.get_template(shortcodes[name]).render(context)

    return _PARAGRAPH.sub(render, markup)


def _line_of(content, needle, nth=1):
    """"line N: " for the nth source line starting with `needle`, else ""."""
    try:
        with open(content.source_path, encoding="utf-8-sig") as handle:
            seen = 0
            for number, line in enumerate(handle, start=1):
                if line.lstrip().startswith(needle):
                    seen += 1
                    if seen == nth:
                        return f"line {number}: "
    except (OSError, TypeError, UnicodeDecodeError):
        pass
    return ""
