"""The README's screenshots: `python -m tools.screenshots` (`make screenshots`).

Builds the sample site as `make publish` does (with a forms URL, so the forms
show), serves it on loopback and photographs the home page, an article, the
search page with results and the newsletter page in headless Chromium, at a
phone's width (375 x 800) and a desktop's (1280 x 800), in light and dark:
16 PNGs in docs/screenshots/, named PAGE-WIDTH-SCHEME.png. Each is the first
screen a visitor sees, reduced to a 64-colour palette so the repository stays
small. Run it after changing the theme and commit the pictures.

    python -m tools.screenshots [--output docs/screenshots] [--site OUTPUT_DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"home": "/", "article": "/2026/03/sales-and-marketing-sibling-rivalry/",
         "search": "/search/?q=newsletter", "newsletter": "/newsletter/"}
SIZES = {375: 800, 1280: 800}
SCHEMES = ("light", "dark")
COLOURS = 64


def shoot(base_url: str, output: Path, browser=None) -> list[Path]:
    """Every page of the site at `base_url`, at every size, in both schemes, in
    `browser` (a Playwright Chromium; default: one launched here); returns the
    files written."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        from tests.support.browser import launch

        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                return shoot(base_url, output, browser)
            finally:
                browser.close()
    from PIL import Image

    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in PAGES.items():
        for width, height in SIZES.items():
            for scheme in SCHEMES:
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                page = context.new_page()
                page.goto(base_url + path, wait_until="networkidle")
                if name == "search":
                    page.locator(".pagefind-ui__result-excerpt").first.wait_for(timeout=15000)
                page.evaluate("document.activeElement && document.activeElement.blur()")
                page.wait_for_timeout(200)
                target = output / f"{name}-{width}-{scheme}.png"
                page.screenshot(path=str(target))
                context.close()
                with Image.open(target) as shot:
                    small = shot.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
                small.save(target, optimize=True)
                written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--site", type=Path, help="a site already built with publishconf.py for "
                        "http://127.0.0.1:PORT (with --port); default: build one")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    from tests.quality.helpers import StaticServer, build_site
    from tests.support.servers import free_port

    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        site, port = args.site, args.port
        if site is None:
            port = free_port()
            site = Path(folder) / "site"
            result = build_site(site, f"http://127.0.0.1:{port}", {"FORMS_URL": "https://forms.example.com"})
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
        with StaticServer(site, port) as server:
            written = shoot(server.url, args.output)
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} screenshots in {args.output} ({total / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
