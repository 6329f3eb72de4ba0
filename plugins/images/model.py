"""What the pipeline knows about each image, and what templates are given."""

from dataclasses import dataclass, field


@dataclass
class Source:
    """A raster image under content/, as its header describes it."""
    path: str          # absolute
    rel: str           # relative to the content folder, e.g. "images/photo.jpg"
    digest: str        # SHA-256 of the file's bytes
    fmt: str           # "JPEG", "PNG", "WEBP"
    width: int         # as displayed: after EXIF orientation
    height: int
    alpha: bool


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    fmt: str           # "jpeg", "png", "webp", "avif"
    name: str          # output-relative path, fingerprinted
    key: str           # cache key


@dataclass(frozen=True)
class Card:
    """A social card: og:image and twitter:image."""
    path: str          # output-relative
    width: int
    height: int
    alt: str
    type: str          # "image/jpeg" or "image/png"
    key: str = ""


@dataclass
class Picture:
    """A processed image: its variants by format, best first, and markup."""
    source: Source
    alt: str
    siteurl: str
    sizes: dict
    formats: dict = field(default_factory=dict)   # fmt -> [Variant], widest last
    fallback_fmt: str = "jpeg"
    focus: tuple = (0.5, 0.5)

    @property
    def width(self):
        return self.formats[self.fallback_fmt][-1].width

    @property
    def height(self):
        return self.formats[self.fallback_fmt][-1].height

    @property
    def fallback(self):
        """The <img src>: the variant nearest 720 px wide, never upscaled."""
        choices = self.formats[self.fallback_fmt]
        return min(choices, key=lambda v: (abs(v.width - 720), -v.width))

    def url(self, variant):
        return f"{self.siteurl}/{variant.name}"

    def srcset(self, fmt):
        return ", ".join(f"{self.url(v)} {v.width}w" for v in self.formats[fmt])

    def html(self, role="body", eager=False, priority=False, alt=None, css_class=None):
        from .markup import picture_html
        return picture_html(self, role, eager=eager, priority=priority, alt=alt, css_class=css_class)
