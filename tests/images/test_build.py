"""The image pipeline in a real build (tests/images/conftest.py): variants
and their sizes after rotation, no metadata anywhere in output/, the markup,
social cards, and a warm build that encodes nothing."""

import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from .conftest import build

WIDTHS = {320, 480, 720, 1080, 1440}
SEED = "2026/03/sales-and-marketing-sibling-rivalry/index.html"


def soup_of(site, relative):
    return BeautifulSoup((site["output"] / relative).read_text(encoding="utf-8"), "lxml")


def variants(site, stem):
    found = {}
    for path in (site["output"] / "img").glob(f"{stem}-*.*"):
        match = re.fullmatch(rf"{re.escape(stem)}-(\d+)\.[0-9a-f]{{10}}\.(\w+)", path.name)
        if match:
            found.setdefault(match.group(2), {})[int(match.group(1))] = path
    return found


def test_sideways_camera_photo_gets_upright_variants_in_webp_and_jpeg(photo_site):
    found = variants(photo_site, "photo-cover-0")  # stored 4000x2667, orientation 6
    assert set(found) == {"webp", "jpg"}
    for fmt, by_width in found.items():
        assert set(by_width) == WIDTHS, fmt
        for width, path in by_width.items():
            with Image.open(path) as image:
                assert image.size == (width, round(4000 * width / 2667)), path.name
                assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[fmt]


def test_orientation_8_photo_and_small_images_are_never_upscaled(photo_site):
    team = variants(photo_site, "team-photo")  # 3000x2000 stored, orientation 8
    with Image.open(team["jpg"][1440]) as image:
        assert image.size == (1440, 2160)
    alpha = variants(photo_site, "diagram-alpha")  # 900x600 PNG with alpha
    assert set(alpha) == {"webp", "png"}
    assert set(alpha["png"]) == {320, 480, 720, 900}
    with Image.open(alpha["webp"][900]) as image:
        assert image.mode == "RGBA" and image.size == (900, 600)
    flower = variants(photo_site, "flower")  # a real 480x360 camera photo
    assert set(flower["jpg"]) == {320, 480}


def test_cmyk_and_16_bit_sources_become_ordinary_rgb(photo_site):
    cmyk = variants(photo_site, "print-cmyk")
    with Image.open(cmyk["jpg"][720]) as image:
        assert image.mode == "RGB"
    deep = variants(photo_site, "gradient-16bit")
    with Image.open(deep["png"][800]) as image:
        low, high = image.convert("L").getextrema()
        assert low <= 2 and high >= 250


def test_no_image_in_output_carries_metadata(photo_site):
    """Every image file in output/, whatever wrote it: no EXIF (so no GPS), no
    XMP, IPTC, ICC profile, comment or text chunk."""
    output = photo_site["output"]
    files = [p for p in output.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"}]
    assert len(files) > 140
    sources_with_gps = [p for p in photo_site["content"].rglob("*.jpg") if Image.open(p).getexif().get_ifd(0x8825)]
    assert len(sources_with_gps) >= 6  # the camera photos, the banner, the real exif_gps.jpg
    leaks = []
    for path in files:
        with Image.open(path) as image:
            exif = image.getexif()
            found = set(image.info) & {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "photoshop",
                                        "comment", "iptc", "adobe"}
            text = getattr(image, "text", {}) if image.format == "PNG" else {}
            if len(exif) or exif.get_ifd(0x8825) or found or text:
                leaks.append((path.relative_to(output).as_posix(), sorted(found), dict(exif)))
            if image.format == "JPEG":
                assert b"Exif\x00\x00" not in path.read_bytes()[:65536], path
    assert leaks == []


def test_uploaded_files_are_published_as_clean_upright_copies(photo_site):
    published = photo_site["output"] / "images" / "photo-cover-0.jpg"
    with Image.open(published) as image:
        assert image.size == (1707, 2560)  # upright, at most IMAGES_ORIGINAL_MAX
    gif = photo_site["output"] / "images" / "spinner.gif"
    assert gif.read_bytes() == (photo_site["content"] / "images" / "spinner.gif").read_bytes()
    with Image.open(gif) as image:
        assert image.n_frames == 4


def test_cover_markup(photo_site):
    soup = soup_of(photo_site, SEED)
    picture = soup.select_one("figure.cover picture")
    sources = picture.find_all("source")
    assert [s["type"] for s in sources] == ["image/webp"]
    assert all(s["sizes"] and s["srcset"].count("w,") == 4 for s in sources)
    img = picture.find("img")
    assert (img["width"], img["height"]) == ("1440", "2160")  # as displayed, not 4000x2667
    assert img["fetchpriority"] == "high" and img["decoding"] == "async"
    assert "loading" not in img.attrs
    assert img["alt"].startswith("A hillside") and img["src"].endswith(".jpg")
    assert (photo_site["output"] / img["src"].lstrip("/")).is_file()
    for candidate in img["srcset"].split(", ") + sources[0]["srcset"].split(", "):
        assert (photo_site["output"] / candidate.split()[0].lstrip("/")).is_file()


def test_body_images_are_lazy_pictures_and_titled_ones_figures(photo_site):
    prose = soup_of(photo_site, SEED).select_one(".prose")
    pictures = prose.find_all("picture")
    assert len(pictures) == 4  # team photo, alpha PNG, CMYK JPEG, 16-bit PNG
    for picture in pictures:
        img = picture.find("img")
        assert img["loading"] == "lazy" and img["width"] and img["height"] and "sizes" in img.attrs
    figures = prose.find_all("figure", class_="figure")
    assert [f.figcaption.get_text() for f in figures] == ["The team, spring offsite", "Sixteen bits per sample"]
    assert all(f.parent.name != "p" for f in figures)
    gif = prose.find("img", src=re.compile(r"spinner\.gif$"))
    assert (gif["width"], gif["height"], gif["loading"]) == ("320", "200", "lazy")
    assert not prose.find("img", src=re.compile(r"\{static\}"))


def test_real_camera_photos_in_a_post(photo_site):
    soup = soup_of(photo_site, "2026/10/photos-from-the-field/index.html")
    prose = soup.select_one(".prose")
    alts = [img["alt"] for img in prose.find_all("img")]
    assert len(alts) == 7
    caption = prose.find("figure").figcaption.get_text()
    assert caption == "A Canon PowerShot S40, 2003"
    upright = [prose.find("img", alt=a) for a in alts if "portrait" in a]
    assert len(upright) == 3 and all(i["width"] == i["height"] == "128" for i in upright)


def test_every_article_and_page_has_a_social_card(photo_site):
    output = photo_site["output"]
    pages = [p for p in output.rglob("index.html")
             if re.match(r"(20\d\d/\d\d/[^/]+|about|contact|newsletter|privacy)/index.html$",
                         p.relative_to(output).as_posix())]
    assert len(pages) >= 12
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        meta = {m.get("property") or m.get("name"): m["content"] for m in soup.find_all("meta", content=True)}
        assert meta["twitter:card"] == "summary_large_image", page
        assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630"), page
        assert meta["og:image:alt"].strip() and meta["og:image:type"] in ("image/jpeg", "image/png")
        card = output / meta["og:image"].split("://", 1)[1].split("/", 1)[1]
        with Image.open(card) as image:
            assert image.size == (1200, 630) and image.format in ("JPEG", "PNG"), page


def test_generated_card_of_a_post_without_a_cover(photo_site):
    without = [p for p in sorted(photo_site["output"].glob("20*/*/*/index.html"))
               if "figure class=\"cover\"" not in p.read_text(encoding="utf-8")]
    assert len(without) == 2  # content-calendar and measuring-what-matters
    soup = BeautifulSoup(without[0].read_text(encoding="utf-8"), "lxml")
    title = soup.find("h1").get_text(strip=True)
    url = soup.find("meta", property="og:image")["content"]
    assert url.endswith(".png")
    assert soup.find("meta", property="og:image:alt")["content"].startswith(title)
    card = Image.open(photo_site["output"] / url.split("/", 3)[3]).convert("RGB")
    assert card.size == (1200, 630)
    css = Path("theme/static/css/main.css").read_text()
    bg = re.search(r"--bg:\s*(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1)
    accent = re.search(r"--accent:\s*(#[0-9a-f]{6})", css).group(1)
    assert card.getpixel((600, 20)) == _rgb(bg)          # the theme's background
    assert card.getpixel((6, 300)) == _rgb(accent)       # its accent stripe
    title_band = card.crop((80, 250, 1120, 480)).convert("L")
    dark = sum(1 for value in title_band.get_flattened_data() if value < 90)
    assert dark > 5000  # the title is drawn, in the dark text colour
    name_band = card.crop((80, 60, 600, 120))
    assert _rgb(accent) in {c for _, c in name_band.getcolors(100000)}  # the site name, in the accent


def _rgb(hex_color):
    hex_color = hex_color.lstrip("#")
    if len(hex_color) == 3:
        hex_color = "".join(c * 2 for c in hex_color)
    return tuple(int(hex_color[i:i + 2], 16) for i in (0, 2, 4))


def test_cover_card_is_cropped_around_the_focus_point(photo_site):
    soup = soup_of(photo_site, "2026/10/where-the-eye-goes/index.html")
    url = soup.find("meta", property="og:image")["content"]
    card = Image.open(photo_site["output"] / url.split("/", 3)[3]).convert("RGB")
    assert card.size == (1200, 630) and url.endswith(".jpg")
    red = sum(1 for r, g, b in card.resize((120, 63)).get_flattened_data() if r > 150 and b < 100)
    assert red > 120 * 63 * 0.12  # the subject at the far left is in the card


def test_list_pages_show_cover_thumbnails_with_a_fixed_shape(photo_site):
    home = soup_of(photo_site, "index.html")
    cards = home.select(".article-list > li")
    featured = cards[0]
    assert "card-featured" in featured["class"]
    lead = featured.select_one(".card-media img")
    assert lead["fetchpriority"] == "high" and "loading" not in lead.attrs and lead["alt"] == ""
    thumbs = home.select(".article-list > li:not(.card-featured) .card-media img")
    assert thumbs and all(t["loading"] == "lazy" and t["width"] and t["height"] for t in thumbs)
    assert any(t.find_parent("picture") for t in thumbs)
    category = soup_of(photo_site, "category/strategy/index.html")
    images = category.select(".card-media img")
    assert images and "loading" not in images[0].attrs
    assert all("fetchpriority" not in i.attrs for i in images)
    css = Path("theme/static/css/main.css").read_text()
    assert re.search(r"\.card-media img \{[^}]*aspect-ratio: 3 / 2", css)


def test_warm_build_encodes_nothing(photo_site):
    cold, warm = photo_site["cold"], photo_site["warm"]
    assert cold["encoded"] > 140 and cold["encoded"] == cold["outputs"]
    assert warm["encoded"] == 0 and warm["reused"] == cold["outputs"]
    for path, mtime in photo_site["entries_before"].items():
        assert path.stat().st_mtime_ns == mtime, path  # no cache entry was rewritten


def test_an_edited_photo_is_encoded_again_and_nothing_else(photo_site, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(photo_site["content"], content)
    cache = tmp_path / "cache"
    shutil.copytree(photo_site["cache"], cache)
    from tests.support import photos
    photos.write_jpeg(content / "images" / "team-photo.jpg", 3000, 2000, orientation=8, seed=99)
    result, stats, _ = build(content, tmp_path / "out", cache)
    assert result.returncode == 0, result.stderr[-3000:]
    # 5 widths x 2 formats + the clean copy of the uploaded file
    assert stats["encoded"] == 11, stats


def test_broken_images_and_focus_values_fail_the_build_by_name(tmp_path):
    from tests.support import photos
    root = Path(__file__).resolve().parents[2]
    content = photos.photo_content(root, tmp_path / "content", covers=1)
    shutil.copy(root / "tests" / "fixtures" / "photos" / "ultrahdr.jpg", content / "images" / "ultrahdr.jpg")
    seed = content / "posts" / "sales-and-marketing-sibling-rivalry.md"
    photos.set_front_matter(seed, Image="images/ultrahdr.jpg")
    result, _, _ = build(content, tmp_path / "out", tmp_path / "cache")
    assert result.returncode != 0
    assert "ultrahdr.jpg: cannot read the image" in result.stdout + result.stderr
    assert "sales-and-marketing-sibling-rivalry.md" in result.stdout + result.stderr
    (content / "images" / "ultrahdr.jpg").unlink()
    photos.set_front_matter(seed, Image="images/photo-cover-0.jpg", Image_focus="middle")
    result, _, _ = build(content, tmp_path / "out", tmp_path / "cache")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "sales-and-marketing-sibling-rivalry.md" in out and "Image_focus 'middle'" in out


def test_avif_is_off_by_default_and_listed_first_when_on(photo_site, tmp_path):
    assert not list((photo_site["output"] / "img").glob("*.avif"))
    from tests.support import photos
    root = Path(__file__).resolve().parents[2]
    content = photos.photo_content(root, tmp_path / "content", covers=1)
    result, stats, _ = build(content, tmp_path / "out", tmp_path / "cache", extra_env={"IMAGES_AVIF": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    soup = soup_of({"output": tmp_path / "out"}, SEED)
    types = [s["type"] for s in soup.select("figure.cover picture source")]
    assert types == ["image/avif", "image/webp"]
    avif = sorted((tmp_path / "out" / "img").glob("photo-cover-0-*.avif"))
    assert len(avif) == 5
    with Image.open(avif[0]) as image:
        assert image.format == "AVIF" and len(image.getexif()) == 0
