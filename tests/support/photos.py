"""Realistic test photos made with Pillow: smooth sky-to-ground gradients,
soft shapes, sensor noise and camera EXIF (orientation, GPS, make/model),
plus the awkward cases: alpha PNG, CMYK JPEG, 16-bit PNG, animated GIF.

Used by tests/images, tests/quality and tools/bench."""

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(width, height, seed=1, noise=10):
    """An RGB image that compresses like a photo rather than like a flat graphic."""
    rng = random.Random(seed)
    small = (max(8, width // 8), max(8, height // 8))
    top = (rng.randint(60, 140), rng.randint(110, 170), rng.randint(170, 235))
    bottom = (rng.randint(60, 130), rng.randint(70, 120), rng.randint(30, 80))
    gradient = Image.linear_gradient("L").resize(small)
    image = Image.composite(Image.new("RGB", small, bottom), Image.new("RGB", small, top), gradient)
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randint(0, small[0]), rng.randint(small[1] // 3, small[1])
        r = rng.randint(small[0] // 20, small[0] // 5)
        color = tuple(rng.randint(30, 220) for _ in range(3))
        draw.ellipse((x - r, y - r // 2, x + r, y + r), fill=color)
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1, small[0] // 120)))
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    if not noise:
        return image
    # Grain at several scales, stronger towards the ground than in the sky:
    # a 4000x2667 JPEG at q92 weighs about 2.3 MB, like a camera's.
    textured = image
    for scale, amount in ((24, 0.29), (6, 0.22), (2, 0.16), (1, 0.10)):
        grain = Image.effect_noise((max(1, width // scale), max(1, height // scale)), 64)
        grain = grain.resize((width, height), Image.Resampling.BICUBIC).convert("RGB")
        textured = Image.blend(textured, ImageChops.overlay(textured, grain), amount * noise / 10)
    mask = Image.linear_gradient("L").resize((width, height)).point(lambda v: 40 + v * 0.8)
    return Image.composite(textured, image, mask)


def camera_exif(orientation=1, gps=True, make="Northwind Test Camera", model="NT-1"):
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0131] = "tests/support/photos.py"
    exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0),
                         5: b"\x00", 6: 35.0, 29: "2026:03:14"}
    return exif


def jpeg_bytes(width, height, orientation=1, gps=True, seed=1, quality=92):
    out = io.BytesIO()
    photo(width, height, seed).save(out, "JPEG", quality=quality, exif=camera_exif(orientation, gps))
    return out.getvalue()


def write_jpeg(path, width, height, orientation=1, gps=True, seed=1, quality=92):
    """A JPEG stored width x height; with orientation 5-8 it displays height x width."""
    path.write_bytes(jpeg_bytes(width, height, orientation, gps, seed, quality))
    return path


def write_png_alpha(path, width=900, height=600):
    image = photo(width, height, seed=7).convert("RGBA")
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).ellipse((40, 40, width - 40, height - 40), fill=255)
    image.putalpha(mask)
    image.save(path, "PNG")
    return path


def write_cmyk_jpeg(path, width=1200, height=800):
    photo(width, height, seed=3).convert("CMYK").save(path, "JPEG", quality=90,
                                                       exif=camera_exif(1, gps=True))
    return path


def write_png16(path, width=800, height=500):
    """A 16-bit greyscale PNG: a full-range gradient (0..65535)."""
    gradient = Image.linear_gradient("L").resize((width, height)).convert("I")
    gradient.point(lambda v: v * 257).convert("I;16").save(path, "PNG")
    return path


def write_gif(path, frames=4, size=(320, 200)):
    images = []
    for index in range(frames):
        frame = Image.new("RGB", size, (240, 240, 240))
        ImageDraw.Draw(frame).ellipse((40 + index * 50, 60, 120 + index * 50, 140), fill=(200, 40 + index * 50, 40))
        images.append(frame)
    images[0].save(path, "GIF", save_all=True, append_images=images[1:], duration=120, loop=0)
    return path


SEED_ARTICLE = "sales-and-marketing-sibling-rivalry.md"
FIELD_NOTE = """Title: Field Note {n}: What the Photos Taught Us
Date: 2025-03-{day:02d} 09:00
Category: Content
Tags: photography
Summary: A short note from a shoot, and what we changed afterwards.
Slug: field-note-{n}

We took the camera out again and came back with a handful of frames worth keeping.

The best ones were the least planned: good light, a clear subject, and nothing else in the way.
"""


def set_front_matter(post, **fields):
    """Set (or replace) front-matter keys of a Markdown post, in place."""
    head, _, body = post.read_text(encoding="utf-8").partition("\n\n")
    lines = [line for line in head.splitlines()
             if line.split(":", 1)[0].strip().lower() not in {k.lower() for k in fields}]
    lines += [f"{key}: {value}" for key, value in fields.items() if value is not None]
    post.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")


def photo_content(root, destination, covers=1, body_images=False):
    """A copy of the sample content/ where the seed article (and, with
    covers=N, the N newest posts) has a 4000x2667 camera JPEG cover stored
    sideways (EXIF orientation 6, GPS tags). Returns the content folder."""
    import shutil
    from pathlib import Path

    destination = Path(destination)
    shutil.copytree(Path(root) / "content", destination, dirs_exist_ok=True)
    images = destination / "images"
    posts = sorted((destination / "posts").glob("*.md"),
                   key=lambda p: _date_of(p), reverse=True)
    seed = destination / "posts" / SEED_ARTICLE
    published = [p for p in posts if "status: draft" not in p.read_text(encoding="utf-8").lower()]
    for extra in range(max(0, covers - len(published))):
        # More posts than the samples have: short field notes, dated before them.
        note = destination / "posts" / f"field-note-{extra + 1}.md"
        note.write_text(FIELD_NOTE.format(n=extra + 1, day=10 + extra), encoding="utf-8")
        published.append(note)
    chosen = [seed] + [p for p in published if p != seed][: max(0, covers - 1)]
    for index, post in enumerate(chosen):
        name = f"photo-cover-{index}.jpg"
        write_jpeg(images / name, 4000, 2667, orientation=6, gps=True, seed=index + 1)
        set_front_matter(post, Image=f"images/{name}",
                         Image_alt=f"A hillside of coloured stones under a pale sky, view {index + 1}")
    if body_images:
        write_png_alpha(images / "diagram-alpha.png")
        write_cmyk_jpeg(images / "print-cmyk.jpg")
        write_png16(images / "gradient-16bit.png")
        write_gif(images / "spinner.gif")
        write_jpeg(images / "team-photo.jpg", 3000, 2000, orientation=8, gps=True, seed=42)
        text = seed.read_text(encoding="utf-8")
        text += ("\n\n![Our team at the spring offsite]({static}/images/team-photo.jpg "
                 "\"The team, spring offsite\")\n\n"
                 "A diagram with a transparent background: ![Funnel diagram]({static}/images/diagram-alpha.png)\n\n"
                 "![Print proof in CMYK]({static}/images/print-cmyk.jpg)\n\n"
                 "![A grey gradient]({static}/images/gradient-16bit.png \"Sixteen bits per sample\")\n\n"
                 "![Loading animation]({static}/images/spinner.gif)\n")
        seed.write_text(text, encoding="utf-8")
    return destination


def _date_of(post):
    for line in post.read_text(encoding="utf-8").splitlines():
        if line.lower().startswith("date:"):
            return line.split(":", 1)[1].strip()
    return ""
