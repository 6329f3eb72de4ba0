"""Social cards (og:image, 1200x630): the crop of a cover around its focus
point, or a card drawn with Pillow from the post's title, category and the
site's name, in the theme's palette, with a typeface that ships in a package."""

import functools
import io

from PIL import Image, ImageColor, ImageDraw, ImageFont

try:  # Source Sans Pro (SIL OFL 1.1), from the font-source-sans-pro package
    import font_source_sans_pro as _fonts
    FONT_FILES = {"bold": _fonts.font_files_ttf.get("SourceSansProBold"),
                  "regular": _fonts.font_files_ttf.get("SourceSansPro"),
                  "semibold": _fonts.font_files_ttf.get("SourceSansProSemibold")}
except ImportError:  # Pillow's embedded Aileron Regular: ASCII only
    FONT_FILES = {}
FONT_ID = "source-sans-pro-2.020" if FONT_FILES.get("bold") else "pillow-default"


# Part of a generated card's cache key: bump it when the drawing changes.
# "p3": a palette PNG at zlib level 3 (2.4 ms a card against 4.9 ms at level
# 6, 25 KB against 20 KB; the RGB card at level 6 took 19 ms).
CARD_STYLE = "p3"
PNG_LEVEL = 3


def parse_focus(value):
    """'30%,60%' (or '0.3,0.6') -> (0.3, 0.6). Raises ValueError with the reason."""
    parts = [part.strip() for part in str(value).split(",")]
    if len(parts) != 2:
        raise ValueError(f"Image_focus '{value}' should be 'x%,y%', e.g. 50%,30%")
    focus = []
    for part in parts:
        try:
            number = float(part[:-1]) / 100 if part.endswith("%") else float(part)
        except ValueError:
            raise ValueError(f"Image_focus '{value}' should be 'x%,y%', e.g. 50%,30%") from None
        if not 0 <= number <= 1:
            raise ValueError(f"Image_focus '{value}' is outside 0%..100%")
        focus.append(number)
    return tuple(focus)


def crop_box(width, height, focus, size):
    """The largest box of the card's shape in a width x height image, centred
    on the focus point as far as the edges allow, as fractions of the image."""
    target = size[0] / size[1]
    if width / height > target:
        crop_w, crop_h = height * target, height
    else:
        crop_w, crop_h = width, width / target
    left = min(max(focus[0] * width - crop_w / 2, 0), width - crop_w)
    top = min(max(focus[1] * height - crop_h / 2, 0), height - crop_h)
    return (left / width, top / height, (left + crop_w) / width, (top + crop_h) / height)


@functools.lru_cache(maxsize=None)
def _font(weight, size):
    path = FONT_FILES.get(weight) or FONT_FILES.get("regular")
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _wrap(draw, text, font, width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _fit_title(draw, title, width, max_lines, sizes=(76, 68, 60, 54, 48)):
    for size in sizes:
        font = _font("bold", size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= max_lines:
            return font, lines, size
    # Still too long: keep the first lines and end with an ellipsis.
    lines = lines[:max_lines]
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    lines[-1] = last.rstrip(",;:.-–— ") + "…"
    return font, lines, size


class _Palette:
    """The card's colours as one PNG palette: the theme's solid colours, then
    for each text colour on its background a ramp of LEVELS blends, so the
    text's anti-aliased edges look as they do drawn in RGB."""

    def __init__(self, colors):
        self.rgb = []
        self.solid = {name: self._add(_rgb(value)) for name, value in colors.items()}
        self.ramps = {}
        for fg, bg in RAMPS:
            low, high = _rgb(colors[bg]), _rgb(colors[fg])
            first = len(self.rgb)
            for level in range(LEVELS):
                self._add(tuple(round(a + (b - a) * level / (LEVELS - 1)) for a, b in zip(low, high)))
            # Coverage 0..255 -> the nearest blend's index (0 stays the background).
            self.ramps[fg, bg] = [first + round(value * (LEVELS - 1) / 255) for value in range(256)]

    def _add(self, rgb):
        self.rgb.append(rgb)
        return len(self.rgb) - 1

    def flat(self):
        return [channel for rgb in self.rgb for channel in rgb]


LEVELS = 32  # blends per text colour: a step of at most 4 in 255 between neighbours
RAMPS = (("accent", "bg"), ("fg", "bg"), ("muted", "bg"), ("muted", "surface"))
_SOLID = [0] + [255] * 255  # any coverage -> inside the text


def _rgb(value):
    return ImageColor.getrgb(value)[:3]


def _text(card, palette, xy, text, font, fg, bg):
    """Draw `text` in colour `fg` over the plain `bg` area at xy of `card`, an
    image of palette indices: Pillow's anti-aliased coverage, mapped onto the
    fg-on-bg ramp."""
    box = ImageDraw.Draw(card).textbbox(xy, text, font=font)
    if box[2] <= box[0] or box[3] <= box[1]:
        return
    coverage = Image.new("L", (box[2] - box[0], box[3] - box[1]), 0)
    ImageDraw.Draw(coverage).text((xy[0] - box[0], xy[1] - box[1]), text, font=font, fill=255)
    card.paste(coverage.point(palette.ramps[fg, bg]), box[:2], coverage.point(_SOLID))


@functools.lru_cache(maxsize=8)
def _base(width, height, colors, site, host):
    """What every card of a site shares: background, accent stripes, site name
    and address. Drawn once per worker, copied for each card."""
    colors = dict(colors)
    palette = _Palette(colors)
    card = Image.new("L", (width, height), palette.solid["bg"])
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 18, height), fill=palette.solid["accent"])
    draw.rectangle((0, height - 10, width, height), fill=palette.solid["accent"])
    _text(card, palette, (MARGIN, 70), site, _font("bold", 38), "accent", "bg")
    if host:
        _text(card, palette, (MARGIN, height - 84), host, _font("regular", 30), "muted", "bg")
    return card, palette


MARGIN = 88


def generated_card(transform):
    """PNG bytes of a card: site name, category, title, site address.

    Drawn straight into a palette image (quantizing an RGB card cost more
    than drawing it): 8-bit PNG, about half the bytes of RGB and a fifth of
    the encoding time."""
    width, height = transform["w"], transform["h"]
    base, palette = _base(width, height, tuple(sorted(transform["colors"].items())),
                          transform["site"], transform.get("host") or "")
    card = base.copy()
    draw = ImageDraw.Draw(card)
    top = 170
    if transform.get("label"):
        label_font = _font("semibold", 30)
        label = transform["label"].upper()
        box = draw.textbbox((MARGIN, top), label, font=label_font)
        draw.rounded_rectangle((box[0] - 14, box[1] - 10, box[2] + 14, box[3] + 10), radius=8,
                               fill=palette.solid["surface"], outline=palette.solid["line"], width=2)
        _text(card, palette, (MARGIN, top), label, label_font, "muted", "surface")
        top = box[3] + 44
    room = height - top - 120
    font, lines, size = _fit_title(draw, transform["title"], width - 2 * MARGIN,
                                   max(1, room // int(size_line(76))))
    line_height = size_line(size)
    for index, line in enumerate(lines):
        _text(card, palette, (MARGIN, top + index * line_height), line, font, "fg", "bg")
    card.putpalette(palette.flat())
    out = io.BytesIO()
    card.save(out, "PNG", compress_level=PNG_LEVEL)
    return out.getvalue()


def size_line(size):
    return round(size * 1.15)
