"""The work done in the pool: decode a source once, write each of its
missing outputs (variants, clean original, social card) to the cache.

Runs in worker processes, so it takes and returns plain data only."""

import io
import os

from . import cache, cards, pixels


def encode_source(path, tasks, cache_path, targets=None):
    """tasks: [(key, transform)], all for the image at `path`; each result goes
    to the cache and to targets[key] (output paths). Returns how many were encoded."""
    longest = max(task[1]["need"] for task in tasks)
    try:
        image = pixels.load(path, longest=longest)
    except Exception as error:  # noqa: BLE001 - reported with the file's name
        raise ImageError(path, f"cannot read the image ({error.__class__.__name__}: {error})") from None
    made = []  # resized images, reused across formats and as the next size's source
    for key, transform in sorted(tasks, key=lambda task: -task[1]["w"]):
        data = render(image, transform, made)
        _keep(cache_path, key, transform["fmt"], data, targets)
    return len(tasks)


def encode_generated(tasks, cache_path, targets=None):
    for key, transform in tasks:
        _keep(cache_path, key, transform["fmt"], cards.generated_card(transform), targets)
    return len(tasks)


def _keep(cache_path, key, fmt, data, targets):
    cache.store(cache_path, key, fmt, data)
    for target in (targets or {}).get(key, ()):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(data)


def render(image, transform, made=None):
    op = transform["op"]
    if op == "card":
        left, top, right, bottom = transform["box"]
        width, height = image.size
        picture = image.crop((round(left * width), round(top * height),
                              round(right * width), round(bottom * height)))
        picture = pixels.resize(picture, transform["w"], transform["h"])
        return save(pixels.flatten(picture, transform["bg"]), transform)
    picture = _resized(image, transform["w"], transform["h"], made if made is not None else [])
    if transform["fmt"] == "jpeg":
        picture = pixels.flatten(picture, transform.get("bg", "#ffffff"))
    return save(picture, transform)


def _resized(image, width, height, made):
    for earlier in made:
        if earlier.size == (width, height):
            return earlier
    # Downscale from the smallest image made so far that is still larger:
    # 1440 -> 1080 -> 720 costs far less than each from the full photo.
    bigger = [m for m in made if m.width >= width and m.height >= height]
    base = min(bigger, key=lambda m: m.width) if bigger else image
    picture = pixels.resize(base, width, height)
    made.append(picture)
    return picture


def save(image, transform):
    out = io.BytesIO()
    fmt, quality = transform["fmt"], transform.get("q", 80)
    image.info = {}
    if fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif fmt == "webp":
        image.save(out, "WEBP", quality=quality, method=4)
    elif fmt == "avif":
        image.save(out, "AVIF", quality=quality, speed=6)
    elif fmt == "png":
        image.save(out, "PNG", compress_level=9 if image.width <= 1080 else 6)
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    return out.getvalue()


class ImageError(Exception):
    """A source image that cannot be decoded; says which file."""

    def __init__(self, path, message):
        super().__init__(f"{path}: {message}")
        self.path = path

    def __reduce__(self):  # raised in a worker process, re-raised in the build
        return (ImageError, (self.path, str(self).split(": ", 1)[1]))
