"""Finding shortcode paragraphs in rendered HTML and rendering their partials."""

import html
import re

# <p>[name key="value" ...]</p>. Smarty may have curled the quotes either
# way (after "=" it picks a closing quote), raw or as entities.
_QUOTE = r"(?:\"|&quot;|&[lr]dquo;|[“”])"
_PARAGRAPH = re.compile(
    r"<p>\[([a-z][a-z0-9_-]*)((?:\s+[a-z_]+=" + _QUOTE + r"[^\]]*?" + _QUOTE + r")*)\s*\]</p>")
_ATTRIBUTE = re.compile(r"([a-z_]+)=[\"“”](.*?)[\"“”]")


class ShortcodeError(ValueError):
    """An unknown shortcode; Pelican reports it with the file's name."""


def expand_shortcodes(markup, shortcodes, env, content):
    if not markup or "[" not in markup:
        return markup
    counter = {"n": 0}

    def render(match):
        name, raw_attributes = match.group(1), html.unescape(match.group(2))
        if name not in shortcodes:
            known = ", ".join(f"[{n}]" for n in sorted(shortcodes))
            raise ShortcodeError(f"{_line_of(content, '[' + name)}unknown shortcode [{name}]; "
                                 f"known shortcodes: {known}")
        counter["n"] += 1
        attributes = dict(_ATTRIBUTE.findall(raw_attributes))
        context = dict(content.settings)
        context.update(
            form_id=f"{name}-{counter['n']}",
            form_title=attributes.get("title", ""),
            source="/" + content.url.replace("index.html", ""),
            output_file=content.save_as,
            shortcode=attributes,
        )
        return env.get_template(shortcodes[name]).render(context)

    return _PARAGRAPH.sub(render, markup)


def _line_of(content, needle):
    """"line N: " for the first source line holding `needle`, else ""."""
    try:
        with open(content.source_path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if line.lstrip().startswith(needle):
                    return f"line {number}: "
    except (OSError, TypeError, UnicodeDecodeError):
        pass
    return ""
