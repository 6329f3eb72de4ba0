"""Benchmark: sync 10,000 pending signups from 5 sources against the fake Mailchimp
with 100 ms added latency per request, using the real client over loopback.

    .venv/bin/python -m tests.fake_mailchimp.bench_sync [--signups N] [--sources K] [--latency S]

or from code (e.g. tools/bench.py):  from tests.fake_mailchimp.bench_sync import run_bench
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def run_bench(signups: int = 10_000, sources: int = 5, latency: float = 0.1) -> dict:
    from forms.mailchimp_client import MailchimpConfig
    from forms.mailchimp_sync import sync_signups
    from forms.outbox import Outbox

    from .server import FakeMailchimp

    with tempfile.TemporaryDirectory() as tmp, FakeMailchimp(latency=latency) as fake:
        outbox = Outbox(Path(tmp) / "bench.sqlite3")
        t0 = time.perf_counter()
        for i in range(signups):
            outbox.add_signup(f"reader{i}@example.org", f"Reader {i}", True, "yes",
                              f"/posts/article-{i % sources}/", "198.51.100.23")
        fill = time.perf_counter() - t0
        config = MailchimpConfig(api_key=fake.api_key, list_id=fake.list_id,
                                 api_root=fake.api_root, double_optin=True)
        t0 = time.perf_counter()
        report = sync_signups(outbox, config)
        wall = time.perf_counter() - t0
        counts = outbox.counts()
        outbox.close()
        result = {
            "signups": signups,
            "sources": sources,
            "latency_s": latency,
            "wall_s": round(wall, 2),
            "api_calls": report.api_calls,
            "calls_by_kind": fake.call_counts(),
            "max_members_per_call": max((c.members for c in fake.calls), default=0),
            "max_in_flight": fake.max_in_flight,
            "members_in_fake": len(fake.members),
            "synced": counts["signups_synced"],
            "report": report.summary(),
            "ok": report.ok,
            "outbox_fill_s": round(fill, 2),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args(argv)
    result = run_bench(args.signups, args.sources, args.latency)
    print(json.dumps(result, indent=2))
    budget_ok = result["ok"] and result["wall_s"] < 20 and result["calls_by_kind"].get("batch_subscribe", 0) <= 20
    return 0 if budget_ok else 1


if __name__ == "__main__":
    sys.exit(main())
