"""The pixel work on its own, on generated and real photos: orientation,
sRGB, bit depth, alpha, and that nothing of the source's metadata survives
an encode."""

import io
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.support import photos

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))

from images import cards, encode, pixels  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "photos"


@pytest.mark.parametrize("orientation, displayed", [(1, (600, 400)), (3, (600, 400)),
                                                     (6, (400, 600)), (8, (400, 600))])
def test_orientation_is_applied_to_the_pixels(tmp_path, orientation, displayed):
    path = photos.write_jpeg(tmp_path / "p.jpg", 600, 400, orientation=orientation)
    assert pixels.probe(path)[1:3] == displayed
    image = pixels.load(path)
    assert image.size == displayed and image.mode == "RGB" and image.info == {}


def test_real_rotated_portraits_come_out_upright_and_alike():
    upright = [pixels.load(FIXTURES / f"hopper_orientation_{n}.jpg") for n in (3, 6, 8)]
    raw = Image.open(FIXTURES / "hopper_orientation_6.jpg").convert("RGB")
    for image in upright[1:]:
        assert _difference(upright[0], image) < 6  # the same picture, JPEG noise aside
    assert _difference(upright[1], raw) > 20       # and not the file as stored


def _difference(a, b):
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_adobe_rgb_photo_is_converted_to_srgb():
    source = Image.open(FIXTURES / "xmp_test.jpg")
    assert b"Adobe RGB" in source.info["icc_profile"]
    converted = pixels.load(FIXTURES / "xmp_test.jpg")
    assert converted.info == {} and converted.mode == "RGB"
    # Adobe RGB's wider gamut: the saturated reds move most in sRGB numbers.
    assert max(high for _, high in ImageChops.difference(converted, source.convert("RGB")).getextrema()) >= 20


def test_colormatch_png_with_alpha_keeps_its_alpha_and_turns_upright():
    image = pixels.load(FIXTURES / "xmp_tags_orientation.png")
    assert image.mode == "RGBA" and image.info == {}
    stored = Image.open(FIXTURES / "xmp_tags_orientation.png").convert("RGBA")
    assert image.size == stored.size  # orientation 3: a half turn
    assert _difference(image.convert("RGB"), stored.rotate(180).convert("RGB")) < \
        _difference(image.convert("RGB"), stored.convert("RGB"))


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = photos.write_cmyk_jpeg(tmp_path / "cmyk.jpg", 300, 200)
    assert Image.open(path).mode == "CMYK"
    image = pixels.load(path)
    assert image.mode == "RGB"
    original = photos.photo(300, 200, seed=3)
    assert _difference(image, original) < 25  # close to the picture before it went to CMYK


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    path = photos.write_png16(tmp_path / "deep.png", 512, 64)
    assert Image.open(path).mode == "I;16"
    image = pixels.load(path)
    assert image.mode == "RGB"
    low, high = image.convert("L").getextrema()
    assert low <= 2 and high >= 250
    assert 100 < image.getpixel((256, 32))[0] < 156  # mid-grey stays mid-grey


def test_encoded_outputs_carry_no_metadata():
    source = FIXTURES / "xmp_test.jpg"
    assert {"exif", "xmp", "photoshop", "icc_profile"} <= set(Image.open(source).info)
    image = pixels.load(source, longest=720)
    for fmt in ("jpeg", "webp", "png", "avif"):
        data = encode.render(image, {"op": "variant", "w": 720, "h": 386, "fmt": fmt, "q": 70, "need": 720})
        out = Image.open(io.BytesIO(data))
        assert out.size == (720, 386), fmt
        assert len(out.getexif()) == 0, fmt
        assert not ({"exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "comment"} & set(out.info)), (fmt, out.info)


def test_focus_point_moves_the_card_crop():
    assert cards.crop_box(2400, 800, (0.5, 0.5), (1200, 630))[0] == pytest.approx((2400 - 1523.8) / 2 / 2400, abs=1e-3)
    left = cards.crop_box(2400, 800, (0.05, 0.5), (1200, 630))
    assert left[0] == 0
    portrait = cards.crop_box(1000, 3000, (0.5, 0.05), (1200, 630))
    assert portrait[1] == 0 and portrait[2] == 1


@pytest.mark.parametrize("value", ["50%", "120%,10%", "left,top", "10%;20%"])
def test_bad_focus_values_are_refused_with_the_reason(value):
    with pytest.raises(ValueError, match="Image_focus"):
        cards.parse_focus(value)


def test_a_truncated_camera_file_fails_with_its_name():
    """ultrahdr.jpg (a Pixel 6 photo) is cut short in Pillow's test data."""
    with pytest.raises(encode.ImageError, match="ultrahdr.jpg.*truncated"):
        encode.encode_source(str(FIXTURES / "ultrahdr.jpg"),
                             [("k", {"op": "variant", "w": 100, "h": 178, "fmt": "webp", "need": 178})], "/nonexistent")
