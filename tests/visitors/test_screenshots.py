"""The README's screenshots come from tools/screenshots.py; it still makes all
16 (four pages, two widths, two schemes), each small, from the running site."""

from PIL import Image, ImageStat

from tools.screenshots import PAGES, SCHEMES, SIZES, shoot


def test_the_screenshot_script_makes_every_picture(site, tmp_path):
    written = shoot(site.url, tmp_path, site.browser)
    assert len(written) == len(PAGES) * len(SIZES) * len(SCHEMES) == 16
    for path in written:
        name, width, scheme = path.stem.split("-")
        with Image.open(path) as shot:
            assert shot.size == (int(width), SIZES[int(width)])
            brightness = ImageStat.Stat(shot.convert("L")).mean[0]
        assert (brightness < 100) == (scheme == "dark"), (path.name, brightness)
        assert path.stat().st_size < 80 * 1024, path.name
