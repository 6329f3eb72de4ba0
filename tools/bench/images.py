"""Images: what photos cost the build, and what a reader's phone gets.

1. Build time for N posts each with a camera photo cover (default 100,
   4000x2667 JPEGs stored sideways with GPS, ~2.3 MB each), cold (empty
   image cache and output) and warm (cache kept: nothing re-encoded),
   against the same corpus without photos, as ratios measured in the same
   run, interleaved.
2. Lighthouse (mobile) on the seed article with a 4000x2667 photo cover and
   on the home page with ten photo covers, built like `make publish`, plus
   the article's bytes on the wire at 412 px, 1.75x (Lighthouse's phone).

    python -m tools.bench.images [--photos 100] [--size 4000x2667] [--repeat 3] [--no-lighthouse]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import photos
from tools.bench.corpus import generate

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def build(content, output, cache, settings="pelicanconf.py", siteurl=""):
    env = {**os.environ, "SITEURL": siteurl, "FORMS_URL": "http://127.0.0.1:8001",
           "IMAGES_CACHE_PATH": str(cache)}
    started = time.perf_counter()
    result = subprocess.run([PYTHON, "-m", "tools.build", settings, "--content", str(content),
                             "--output", str(output), "-e", "CATEGORIES=[]"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed\n{result.stderr[-3000:]}{result.stdout[-2000:]}")
    stats = json.loads((Path(cache) / "last-build.json").read_text())
    return seconds, stats


def photo_corpus(count, size, workdir):
    plain = generate(count, workdir / "plain")
    with_photos = workdir / "photos"
    shutil.copytree(plain, with_photos)
    (with_photos / "images").mkdir()
    width, height = size
    for number in range(count):
        name = f"camera-{number}.jpg"
        photos.write_jpeg(with_photos / "images" / name, width, height, orientation=6, gps=True, seed=number)
        photos.set_front_matter(with_photos / "posts" / f"generated-post-{number}.md",
                                Image=f"images/{name}", Image_alt=f"Photo {number} from the field")
    return plain, with_photos


def build_speed(count, size, repeat, workdir):
    plain, with_photos = photo_corpus(count, size, workdir)
    megabytes = sum(p.stat().st_size for p in (with_photos / "images").glob("*.jpg")) / 1e6
    times = {side: {"cold": [], "warm": []} for side in ("photos", "plain")}
    encoded = {}
    for _ in range(repeat):
        for side, content in (("plain", plain), ("photos", with_photos)):
            output, cache = workdir / f"out-{side}", workdir / f"cache-{side}"
            shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            seconds, stats = build(content, output, cache)
            times[side]["cold"].append(seconds)
            encoded[f"{side} cold"] = stats["encoded"]
        for side, content in (("plain", plain), ("photos", with_photos)):
            seconds, stats = build(content, workdir / f"out-{side}", workdir / f"cache-{side}")
            times[side]["warm"].append(seconds)
            encoded[f"{side} warm"] = stats["encoded"]
    medians = {side: {kind: statistics.median(v) for kind, v in kinds.items()} for side, kinds in times.items()}
    print(f"{count} posts, each with a {size[0]}x{size[1]} camera JPEG cover "
          f"({megabytes:.0f} MB of photos), against the same posts without photos; "
          f"median of {repeat}, {os.cpu_count()} cores\n")
    print("| build | with photos (s) | without (s) | ratio | files encoded (with / without) |")
    print("|---|---:|---:|---:|---:|")
    for kind in ("cold", "warm"):
        mine, base = medians["photos"][kind], medians["plain"][kind]
        print(f"| {kind} | {mine:.2f} | {base:.2f} | {mine / base:.2f} | "
              f"{encoded[f'photos {kind}']} / {encoded[f'plain {kind}']} |", flush=True)


def lighthouse_runs(workdir, runs):
    from playwright.sync_api import sync_playwright

    from tests.quality.helpers import CHROME_PATH, StaticServer
    from tests.quality.test_lighthouse import CATEGORIES, lighthouse
    from tests.quality.test_page_budget import measure
    from tests.support.servers import free_port

    content = photos.photo_content(ROOT, workdir / "lh-content", covers=10)
    port = free_port()
    output = workdir / "lh-out"
    env_siteurl = f"http://127.0.0.1:{port}"
    build(content, output, workdir / "lh-cache", settings="publishconf.py", siteurl=env_siteurl)
    pages = {"seed article, 4000x2667 photo cover": "/2026/03/sales-and-marketing-sibling-rivalry/",
             "home, ten photo covers": "/"}
    print("\n| page | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS | SI |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with StaticServer(output, port) as server:
        for label, path in pages.items():
            for run in range(runs):
                report = lighthouse(server.url + path, workdir / f"lh-{run}.json")
                scores = [round(report["categories"][c]["score"] * 100) for c in CATEGORIES]
                audits = report["audits"]
                values = [audits[a]["displayValue"].replace("\xa0", " ") for a in
                          ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                           "cumulative-layout-shift", "speed-index")]
                print(f"| {label} | " + " | ".join(map(str, scores)) + " | " + " | ".join(values) + " |",
                      flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROME_PATH, args=["--no-sandbox"])
            metrics = measure(browser, server.url + pages["seed article, 4000x2667 photo cover"], scale=1.75)
            browser.close()
    total = sum(r["bytes"] for r in metrics["resources"])
    cover = next(r for r in metrics["resources"] if r["url"] == metrics["cover"])
    print(f"\nSeed article at 412 px, 1.75x: {total:,} bytes on the wire in {len(metrics['resources'])} "
          f"requests, of which the cover ({metrics['cover'].rsplit('/', 1)[1]}) {cover['bytes']:,}; "
          f"CLS {metrics['cls']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--size", default="4000x2667")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lighthouse-runs", type=int, default=3)
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args(argv)
    size = tuple(int(n) for n in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="bench-images-") as folder:
        workdir = Path(folder)
        if not args.no_build:
            build_speed(args.photos, size, args.repeat, workdir)
        if not args.no_lighthouse:
            lighthouse_runs(workdir, args.lighthouse_runs)


if __name__ == "__main__":
    main()
