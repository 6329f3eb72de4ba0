"""Reading a source image into clean pixels: EXIF orientation applied,
colours converted to sRGB, 8-bit RGB or RGBA, and no metadata at all."""

import io

from PIL import Image, ImageCms, ImageOps

Image.MAX_IMAGE_PIXELS = 120_000_000  # a 100-megapixel camera, not a decompression bomb
_SRGB = ImageCms.createProfile("sRGB")
_ROTATED = {5, 6, 7, 8}  # orientations that swap width and height


def probe(path):
    """(format, displayed width, displayed height, has_alpha, frames) from the header."""
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1) if image.format in ("JPEG", "WEBP", "PNG") else 1
        if orientation in _ROTATED:
            width, height = height, width
        alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
        return image.format, width, height, alpha, getattr(image, "n_frames", 1)


def load(path, longest=None):
    """Decode `path` as clean sRGB pixels. With `longest`, a JPEG may be
    decoded at a reduced scale, as long as it stays at least that big."""
    with Image.open(path) as image:
        if longest and image.format == "JPEG":
            # draft() picks the smallest 1/2, 1/4 or 1/8 scale still >= the size asked.
            scale = longest / max(image.size)
            if scale < 1:
                image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
        icc = image.info.get("icc_profile")
        image.load()
        image = ImageOps.exif_transpose(image)
        return _to_srgb(image, icc)


def _to_srgb(image, icc):
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grey: scale to 8 bits rather than clip at 255.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        mode = "L"
    if mode == "CMYK":
        rgb = _convert_profile(image, icc, "RGB") if icc else None
        image = rgb if rgb is not None else image.convert("RGB")
        return _bare(image)
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if icc and not _is_srgb(icc):
        if has_alpha:
            alpha = image.getchannel("A")
            rgb = _convert_profile(image.convert("RGB"), icc, "RGB")
            if rgb is not None:
                rgb.putalpha(alpha)
                image = rgb
        else:
            image = _convert_profile(image, icc, "RGB") or image
    return _bare(image)


def _convert_profile(image, icc, out_mode):
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space.strip() != {"RGB": "RGB", "CMYK": "CMYK"}.get(image.mode, ""):
            # A grey profile on an RGB-converted image, or similar: convert plainly.
            return None
        return ImageCms.profileToProfile(image, source, _SRGB, renderingIntent=ImageCms.Intent.PERCEPTUAL,
                                         outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None  # an unreadable profile: keep the pixels as they are


def _is_srgb(icc):
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (ImageCms.PyCMSError, OSError):
        return False
    return "srgb" in description.lower().replace(" ", "")


def _bare(image):
    """The same pixels with no metadata: no EXIF, ICC, XMP, comments or text."""
    image.info = {}
    return image


def resize(image, width, height):
    if image.size == (width, height):
        return image
    if image.mode == "RGBA":
        # Resample premultiplied, so transparent pixels do not bleed colour.
        return _bare(image.convert("RGBa").resize((width, height), Image.Resampling.LANCZOS,
                                                  reducing_gap=3.0).convert("RGBA"))
    return _bare(image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0))


def flatten(image, color):
    """RGBA onto a solid background, for formats without transparency."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, color)
    background.paste(image, mask=image.getchannel("A"))
    return _bare(background)
