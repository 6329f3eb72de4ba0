"""Social cards (og:image, 1200x630): the crop of a cover around its focus
point, or a card drawn with Pillow from the post's title, category and the
site's name, in the theme's palette, with a typeface that ships in a package."""

import io

from PIL import Image, ImageDraw, ImageFont

try:  # Source Sans Pro (SIL OFL 1.1), from the font-source-sans-pro package
    import font_source_sans_pro as _fonts
    FONT_FILES = {"bold": _fonts.font_files_ttf.get("SourceSansProBold"),
                  "regular": _fonts.font_files_ttf.get("SourceSansPro"),
                  "semibold": _fonts.font_files_ttf.get("SourceSansProSemibold")}
except ImportError:  # Pillow's embedded Aileron Regular: ASCII only
    FONT_FILES = {}
FONT_ID = "source-sans-pro-2.020" if FONT_FILES.get("bold") else "pillow-default"


PNG_LEVEL = 6


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


def generated_card(transform):
    """PNG bytes of a card: site name, category, title, site address."""
    width, height = transform["w"], transform["h"]
    colors = transform["colors"]
    card = Image.new("RGB", (width, height), colors["bg"])
    draw = ImageDraw.Draw(card)
    margin = 88
    draw.rectangle((0, 0, 18, height), fill=colors["accent"])
    draw.rectangle((0, height - 10, width, height), fill=colors["accent"])
    site_font = _font("bold", 38)
    draw.text((margin, 70), transform["site"], font=site_font, fill=colors["accent"])
    top = 170
    if transform.get("label"):
        label_font = _font("semibold", 30)
        label = transform["label"].upper()
        box = draw.textbbox((margin, top), label, font=label_font)
        draw.rounded_rectangle((box[0] - 14, box[1] - 10, box[2] + 14, box[3] + 10), radius=8,
                               fill=colors["surface"], outline=colors["line"], width=2)
        draw.text((margin, top), label, font=label_font, fill=colors["muted"])
        top = box[3] + 44
    room = height - top - 120
    font, lines, size = _fit_title(draw, transform["title"], width - 2 * margin, max(1, room // int(size_line(76))))
    line_height = size_line(size)
    for index, line in enumerate(lines):
        draw.text((margin, top + index * line_height), line, font=font, fill=colors["fg"])
    if transform.get("host"):
        host_font = _font("regular", 30)
        draw.text((margin, height - 84), transform["host"], font=host_font, fill=colors["muted"])
    out = io.BytesIO()
    # zlib level 6, not optimize=True: 0.027 s instead of 0.066 s a card for 6 % more
    # bytes (35.8 -> 37.8 KB); with a card for every post it was most of a cold build.
    card.save(out, "PNG", compress_level=PNG_LEVEL)
    return out.getvalue()


def size_line(size):
    return round(size * 1.15)
