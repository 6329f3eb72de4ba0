"""Headless Chromium (Debian's, driven by Playwright), for the tools that look
at pages as a person does: the writer-loop benchmark, screenshots, rehearsals."""

import os

# Debian's Chromium by default; CI on other systems points CHROME_PATH elsewhere.
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach
# Google's services, which this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
