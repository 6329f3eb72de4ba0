"""Cover images: where they are and how big, read from the file itself.

PNG sizes come from the IHDR chunk, SVG sizes from width/height or viewBox,
JPEG sizes from the first SOF marker; no imaging library is needed.
"""

import os
import re
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Cover:
    path: str       # relative to the site root, e.g. "images/cover.svg"
    width: int
    height: int
    alt: str


def cover_of(metadata, content_root):
    image = metadata.get("image")
    if not image:
        return None
    path = str(image).strip().lstrip("/")
    full = os.path.join(content_root, path)
    if not os.path.isfile(full):
        return None  # content_checks reports the missing file with its post
    width, height = image_size(full)
    alt = str(metadata.get("image_alt") or "")
    return Cover(path, width, height, alt)


def image_size(path):
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return struct.unpack(">II", head[16:24])
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(head, path)
    return _svg_size(head.decode("utf-8", "replace"), path)


def _svg_size(text, path):
    root = re.search(r"<svg\b[^>]*>", text, re.S)
    tag = root.group(0) if root else ""
    width = re.search(r'\bwidth="([\d.]+)(?:px)?"', tag)
    height = re.search(r'\bheight="([\d.]+)(?:px)?"', tag)
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = re.search(r'viewBox="[\d.\s,-]*?([\d.]+)[\s,]+([\d.]+)"', tag)
    if box:
        return round(float(box.group(1))), round(float(box.group(2)))
    raise ValueError(f"{path}: cannot tell the SVG's size; give it width and height or a viewBox")


def _jpeg_size(data, path):
    index = 2
    while index < len(data) - 9:
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    raise ValueError(f"{path}: cannot find the JPEG's size")
