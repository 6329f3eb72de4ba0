"""`make newsletter`: every new post becomes one Mailchimp campaign, exactly once.

    python -m tools.newsletter [--dry-run] [--issues FILE]

Without --issues it renders the posts' emails first, with publishconf.py (so
SITEURL must be the public site) into a temporary folder; with --issues it
reads the JSON that a build wrote (NEWSLETTER_ISSUES_FILE). Then it runs the
campaign sender (plugins/email_issues/campaigns.py) with the settings from the
environment: NEWSLETTER_CAMPAIGNS, NEWSLETTER_SINCE, MAILCHIMP_*, ...

Exit status: 0 when every post is where it should be, 1 when any post failed,
2 when the settings cannot work (nothing was created).
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_issues(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
        raise ValueError(f"{path}: not a newsletter issues file")
    return data["issues"]


def render_issues(settings_file):
    """Build the site into a temporary folder; return its issues."""
    from tools.build import build

    with tempfile.TemporaryDirectory(prefix="newsletter-") as folder:
        target = os.path.join(folder, "issues.json")
        problems = build(settings_file, output=os.path.join(folder, "output"), overrides={
            "NEWSLETTER_ISSUES_FILE": target, "NEWSLETTER_SEND_ON_PUBLISH": False,
            "NEWSLETTER_PREVIEW_PAGES": False, "SEARCH_ENABLED": False,
            "ASSETS_PRECOMPRESS": False,
        })
        if problems:
            print(f"Newsletter: the build failed with {len(problems)} problem(s), so no "
                  "campaign was touched:", file=sys.stderr)
            for problem in problems:
                print("  - " + problem, file=sys.stderr)
            return None
        return load_issues(target)


def site_settings(settings_file):
    """The NEWSLETTER_* settings of the settings file (pelicanconf.py when
    publishconf.py cannot load, e.g. without SITEURL in --issues mode)."""
    from pelican.settings import read_settings

    for candidate in (settings_file, str(ROOT / "pelicanconf.py")):
        try:
            return read_settings(candidate)
        except SystemExit:
            continue
    return {}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="list what would be created; make no write call to Mailchimp")
    parser.add_argument("--issues", help="a NEWSLETTER_ISSUES_FILE written by a build")
    parser.add_argument("--settings", default=str(ROOT / "publishconf.py"),
                        help="settings to render with (default publishconf.py)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "plugins"))
    from email_issues.campaigns import (NewsletterConfigError, NewsletterSettings, run_campaigns,
                                        settings_environ)

    try:
        settings = NewsletterSettings.from_env(settings_environ(site_settings(args.settings)))
    except NewsletterConfigError as error:
        print(f"Newsletter: {error}; nothing was created.", file=sys.stderr)
        return 2
    if settings.mode == "off" and not args.dry_run:
        print("Newsletter: NEWSLETTER_CAMPAIGNS is off (draft, test, schedule or send turns "
              "it on); nothing to do.")
        return 0
    if args.issues:
        try:
            issues = load_issues(args.issues)
        except (OSError, ValueError) as error:
            print(f"Newsletter: cannot read the issues: {error}", file=sys.stderr)
            return 2
    else:
        try:
            issues = render_issues(args.settings)
        except SystemExit as stop:  # publishconf.py refuses to run without SITEURL
            print(f"Newsletter: {stop}", file=sys.stderr)
            return 2
        if issues is None:
            return 1
    report = run_campaigns(issues, settings, dry_run=args.dry_run)
    if report.error:
        return 2
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
